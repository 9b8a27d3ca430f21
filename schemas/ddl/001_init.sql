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
-- The codes of the dimensions are packed, by their position in the code
-- list, into five integers (see store/layout.go): appending five values a
-- row instead of thirty is what makes a million-row batch load as fast as
-- DuckDB reads the CSV itself. Read them through the views below (created
-- by tipdash from the same layout), never by hand.
CREATE TABLE record_versions (
    id         BIGINT NOT NULL,   -- batch * 2^32 + source row: id >> 32 is the batch
    person_key UUID,              -- HMAC of the person id; NULL when the source had none
    case_key   UUID,              -- HMAC of the case id
    is_current BOOLEAN NOT NULL,
    c0         UBIGINT NOT NULL,  -- year, month (0 unknown), day (0 unknown), age (65535 unknown)
    c1         UBIGINT NOT NULL,  -- role, offence, sex, gender_identity, age_group, age_band, sex_age, flow
    c2         UBIGINT NOT NULL,  -- province, border_post, status, cj_stage, migration_status, referring_institution, reporting_entity, sector
    c3         UBIGINT NOT NULL,  -- exploitation_main, iccs, citizenship, country_exploitation
    c4         UBIGINT NOT NULL   -- exploitation, recruitment: one bit per code
);

-- Rejected rows: nothing is lost. Cells hold the mapped, non-personal
-- columns only; ids and personal-data columns are never kept.
CREATE TABLE quarantine (
    batch_id BIGINT NOT NULL,
    row_no   INTEGER NOT NULL,
    reasons  VARCHAR NOT NULL,  -- JSON: [{row, column, value, code, message: {es, en}}]
    cells    VARCHAR NOT NULL   -- JSON: {header: value}
);

-- The views records, records_exploitation and records_recruitment are
-- created by tipdash from store/layout.go when it opens the database.
