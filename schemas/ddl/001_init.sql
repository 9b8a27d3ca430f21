-- tipdash database, migration 1. The ENUM types (*_t) are created before
-- this file from codelist v1 (schemas/codelist.json), in code-list order.

CREATE TABLE batches (
    id               BIGINT PRIMARY KEY,
    file_name        VARCHAR NOT NULL,
    file_hash        VARCHAR NOT NULL,      -- SHA-256 of the file's bytes
    format           VARCHAR NOT NULL,
    sheet            VARCHAR,
    profile          VARCHAR NOT NULL,
    reporting_entity institution_t NOT NULL,
    uploaded_by      VARCHAR,
    created_at       TIMESTAMP NOT NULL,
    status           VARCHAR NOT NULL,      -- loading, stored, rolled_back
    rows_read        INTEGER NOT NULL DEFAULT 0,
    accepted         INTEGER NOT NULL DEFAULT 0,
    warned           INTEGER NOT NULL DEFAULT 0,
    rejected         INTEGER NOT NULL DEFAULT 0,
    updated          INTEGER NOT NULL DEFAULT 0,
    report           JSON,                  -- the batch report, rejections excluded (see quarantine)
    rolled_back_at   TIMESTAMP
);

-- One row per version of a person. A later batch that carries the same
-- person id adds a version and clears is_current on the earlier one.
CREATE TABLE record_versions (
    id                    BIGINT NOT NULL,  -- batch_id * 2^32 + source row
    batch_id              BIGINT NOT NULL,
    row_no                INTEGER NOT NULL,
    person_key            UUID,             -- HMAC of the person id; NULL when the source had none
    case_key              UUID,             -- HMAC of the case id
    is_current            BOOLEAN NOT NULL,
    role                  role_t NOT NULL,
    offence               offence_t NOT NULL,
    year                  SMALLINT NOT NULL,
    month                 UTINYINT NOT NULL, -- 0 when only the year is known
    day                   UTINYINT NOT NULL,
    sex                   sex_t NOT NULL,
    gender_identity       gender_identity_t NOT NULL,
    age                   SMALLINT,          -- exact age; NULL when unknown
    age_group             age_group_t NOT NULL,
    age_band              age_band_t NOT NULL,
    sex_age               sex_age_t NOT NULL,
    citizenship           country_t NOT NULL,
    country_exploitation  country_t NOT NULL,
    flow                  flow_t NOT NULL,
    province              province_t NOT NULL,
    border_post           border_post_t NOT NULL,
    status                status_t NOT NULL,
    cj_stage              cj_stage_t NOT NULL,
    migration_status      migration_status_t NOT NULL,
    referring_institution institution_t NOT NULL,
    reporting_entity      institution_t NOT NULL,
    sector                sector_t NOT NULL,
    exploitation_main     exploitation_main_t NOT NULL,
    iccs                  iccs_t NOT NULL
);

CREATE TABLE record_exploitation (id BIGINT NOT NULL, value exploitation_t NOT NULL);
CREATE TABLE record_recruitment (id BIGINT NOT NULL, value recruitment_t NOT NULL);

-- Rejected rows: nothing is lost. Cells hold the mapped, non-personal
-- columns only; ids and personal-data columns are never kept.
CREATE TABLE quarantine (
    batch_id BIGINT NOT NULL,
    row_no   INTEGER NOT NULL,
    reasons  JSON NOT NULL,
    cells    JSON NOT NULL
);

-- records: one row per person (current version), one column per
-- single-valued dimension key, plus role and offence. Open the file with
-- DuckDB and count from here to get the numbers tipdash gives at tier admin.
CREATE VIEW records AS
SELECT
    id, batch_id, role, offence, year,
    CAST(CASE WHEN month = 0 THEN 'unknown' ELSE CAST((month - 1) // 3 + 1 AS VARCHAR) END AS quarter_t) AS quarter,
    CAST(CASE WHEN month = 0 THEN 'unknown' ELSE CAST(month AS VARCHAR) END AS month_t) AS month,
    sex, gender_identity, age_group, age_band, sex_age, citizenship, country_exploitation,
    exploitation_main, iccs, flow, province, border_post, status, cj_stage, migration_status,
    referring_institution, reporting_entity, sector
FROM record_versions
WHERE is_current;

-- The multi-valued dimensions: one row per person and value. A person with
-- two forms of exploitation counts once under each: these are not additive.
CREATE VIEW records_exploitation AS
SELECT e.id, e.value AS exploitation
FROM record_exploitation e JOIN record_versions v ON v.id = e.id
WHERE v.is_current;

CREATE VIEW records_recruitment AS
SELECT e.id, e.value AS recruitment
FROM record_recruitment e JOIN record_versions v ON v.id = e.id
WHERE v.is_current;
