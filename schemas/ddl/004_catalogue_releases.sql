-- tipdash database, migration 4: releases of the catalogue. A release is
-- the catalogue of one tier computed, protected together and frozen: its
-- published cells and notes are stored and read back as they are. The
-- releases of migration 2 copied the records and were protected query by
-- query, which does not hold against differencing; they are dropped.

DROP TABLE release_records;
DROP TABLE releases;

CREATE SEQUENCE release_ids START 1;

CREATE TABLE releases (
    id          BIGINT PRIMARY KEY,
    kind        VARCHAR NOT NULL,   -- conatt, public
    note        VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,   -- draft, approved
    created_at  TIMESTAMP NOT NULL,
    approved_at TIMESTAMP,
    report      VARCHAR NOT NULL    -- JSON: the disclosure report (exact counts: tier admin only)
);

-- One row per table of a release, its published cells with it: reading
-- a table is one lookup by key.
CREATE TABLE release_tables (
    release  BIGINT NOT NULL,
    position INTEGER NOT NULL,      -- order in the catalogue
    table_id VARCHAR NOT NULL,
    measure  VARCHAR NOT NULL,
    dims     VARCHAR[] NOT NULL,
    withheld BOOLEAN NOT NULL,
    notes    VARCHAR NOT NULL,      -- JSON: [{es, en}]
    cells    VARCHAR NOT NULL,      -- JSON: [{keys: [code, ...], count: N or null when hidden}]
    PRIMARY KEY (release, table_id)
);

-- The key of the cell-key method: a record's key is a keyed hash of its
-- person, so that the same group of people gets the same published value
-- in every table and every later public release.
CREATE TABLE disclosure_keys (
    name VARCHAR PRIMARY KEY,
    key  BLOB NOT NULL
);
