-- tipdash database, migration 1. The ENUM types (*_t) are created before
-- this file from codelist v1 (schemas/codelist.json), in code-list order.

CREATE TABLE batches (
    id               BIGINT PRIMARY KEY,
    file_name        VARCHAR NOT NULL,
    file_hash        VARCHAR NOT NULL,      -- SHA-256 of the file's bytes
    format           VARCHAR NOT NULL,
    sheet            VARCHAR,
    profile          VARCHAR NOT NULL,
    reporting_entity VARCHAR NOT NULL,
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
-- Coded dimensions are stored as their position in the code list (UTINYINT,
-- USMALLINT for countries): fixed-width and fast to append and to group.
-- The views below turn them back into codes (ENUM types, in code-list order).
CREATE TABLE record_versions (
    id                    BIGINT NOT NULL,  -- batch * 2^32 + source row: id >> 32 is the batch
    person_key            UUID,             -- HMAC of the person id; NULL when the source had none
    case_key              UUID,             -- HMAC of the case id
    is_current            BOOLEAN NOT NULL,
    role                  UTINYINT NOT NULL,
    offence               UTINYINT NOT NULL,
    year                  SMALLINT NOT NULL,
    month                 UTINYINT NOT NULL, -- 1-12; 0 when only the year is known
    day                   UTINYINT NOT NULL, -- 0 when unknown
    sex                   UTINYINT NOT NULL,
    gender_identity       UTINYINT NOT NULL,
    age                   SMALLINT,          -- exact age; NULL when unknown
    age_group             UTINYINT NOT NULL,
    age_band              UTINYINT NOT NULL,
    sex_age               UTINYINT NOT NULL,
    citizenship           USMALLINT NOT NULL,
    country_exploitation  USMALLINT NOT NULL,
    flow                  UTINYINT NOT NULL,
    province              UTINYINT NOT NULL,
    border_post           UTINYINT NOT NULL,
    status                UTINYINT NOT NULL,
    cj_stage              UTINYINT NOT NULL,
    migration_status      UTINYINT NOT NULL,
    referring_institution UTINYINT NOT NULL,
    reporting_entity      UTINYINT NOT NULL,
    sector                UTINYINT NOT NULL,
    exploitation_main     UTINYINT NOT NULL,
    iccs                  UTINYINT NOT NULL,
    exploitation          UINTEGER NOT NULL, -- multi-valued: bit n set = code n of the list
    recruitment           UINTEGER NOT NULL
);

-- Rejected rows: nothing is lost. Cells hold the mapped, non-personal
-- columns only; ids and personal-data columns are never kept.
CREATE TABLE quarantine (
    batch_id BIGINT NOT NULL,
    row_no   INTEGER NOT NULL,
    reasons  VARCHAR NOT NULL,  -- JSON: [{row, column, value, code, message: {es, en}}]
    cells    VARCHAR NOT NULL   -- JSON: {header: value}
);

-- records: one row per person (current version), one column per
-- single-valued dimension key, plus role and offence, as codes. Open the
-- file with DuckDB and count from here to get the numbers tipdash gives at
-- tier admin, e.g. SELECT year, sex, count(*) FROM records
-- WHERE role = 'victim' GROUP BY ALL ORDER BY ALL.
CREATE VIEW records AS
SELECT
    id, id >> 32 AS batch_id,
    CAST(enum_range(NULL::role_t)[role + 1] AS role_t) AS role,
    CAST(enum_range(NULL::offence_t)[offence + 1] AS offence_t) AS offence,
    year,
    CAST(CASE WHEN month = 0 THEN 'unknown' ELSE CAST((month - 1) // 3 + 1 AS VARCHAR) END AS quarter_t) AS quarter,
    CAST(CASE WHEN month = 0 THEN 'unknown' ELSE CAST(month AS VARCHAR) END AS month_t) AS month,
    CAST(enum_range(NULL::sex_t)[sex + 1] AS sex_t) AS sex,
    CAST(enum_range(NULL::gender_identity_t)[gender_identity + 1] AS gender_identity_t) AS gender_identity,
    CAST(enum_range(NULL::age_group_t)[age_group + 1] AS age_group_t) AS age_group,
    CAST(enum_range(NULL::age_band_t)[age_band + 1] AS age_band_t) AS age_band,
    CAST(enum_range(NULL::sex_age_t)[sex_age + 1] AS sex_age_t) AS sex_age,
    CAST(enum_range(NULL::country_t)[citizenship + 1] AS country_t) AS citizenship,
    CAST(enum_range(NULL::country_t)[country_exploitation + 1] AS country_t) AS country_exploitation,
    CAST(enum_range(NULL::exploitation_main_t)[exploitation_main + 1] AS exploitation_main_t) AS exploitation_main,
    CAST(enum_range(NULL::iccs_t)[iccs + 1] AS iccs_t) AS iccs,
    CAST(enum_range(NULL::flow_t)[flow + 1] AS flow_t) AS flow,
    CAST(enum_range(NULL::province_t)[province + 1] AS province_t) AS province,
    CAST(enum_range(NULL::border_post_t)[border_post + 1] AS border_post_t) AS border_post,
    CAST(enum_range(NULL::status_t)[status + 1] AS status_t) AS status,
    CAST(enum_range(NULL::cj_stage_t)[cj_stage + 1] AS cj_stage_t) AS cj_stage,
    CAST(enum_range(NULL::migration_status_t)[migration_status + 1] AS migration_status_t) AS migration_status,
    CAST(enum_range(NULL::institution_t)[referring_institution + 1] AS institution_t) AS referring_institution,
    CAST(enum_range(NULL::institution_t)[reporting_entity + 1] AS institution_t) AS reporting_entity,
    CAST(enum_range(NULL::sector_t)[sector + 1] AS sector_t) AS sector
FROM record_versions
WHERE is_current;

-- The multi-valued dimensions: one row per person and value. A person with
-- two forms of exploitation counts once under each: these are not additive.
CREATE VIEW records_exploitation AS
SELECT v.id, CAST(enum_range(NULL::exploitation_t)[c.range + 1] AS exploitation_t) AS exploitation
FROM record_versions v JOIN range(0, 32) c ON (v.exploitation >> c.range) & 1 = 1
WHERE v.is_current;

CREATE VIEW records_recruitment AS
SELECT v.id, CAST(enum_range(NULL::recruitment_t)[c.range + 1] AS recruitment_t) AS recruitment
FROM record_versions v JOIN range(0, 32) c ON (v.recruitment >> c.range) & 1 = 1
WHERE v.is_current;
