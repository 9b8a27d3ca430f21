-- tipdash database, migration 2: releases. A release is a frozen copy of the
-- current records (codes only: no keys, no ids), counted at tier public.

CREATE TABLE releases (
    id           BIGINT PRIMARY KEY,
    note         VARCHAR NOT NULL,
    status       VARCHAR NOT NULL,   -- draft, approved
    created_at   TIMESTAMP NOT NULL,
    approved_at  TIMESTAMP,
    records      INTEGER NOT NULL,
    rounding_key BLOB NOT NULL,      -- the release's key for the deterministic rounding
    report       VARCHAR             -- JSON: the disclosure report, table by table
);

CREATE TABLE release_records (
    release BIGINT NOT NULL,
    c0      UBIGINT NOT NULL,
    c1      UBIGINT NOT NULL,
    c2      UBIGINT NOT NULL,
    c3      UBIGINT NOT NULL,
    c4      UBIGINT NOT NULL
);
