-- tipdash database, migration 5: accounts, bearer tokens, the audit log, and
-- batch ids from a sequence.

CREATE SEQUENCE user_ids START 1;

CREATE TABLE users (
    id            BIGINT PRIMARY KEY DEFAULT nextval('user_ids'),
    name          VARCHAR NOT NULL UNIQUE,
    role          VARCHAR NOT NULL,   -- admin, analyst, viewer, researcher
    entity        VARCHAR NOT NULL,   -- institution code (referring_institution code list)
    password_hash VARCHAR NOT NULL,   -- argon2id, PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$hash
    created_at    TIMESTAMP NOT NULL,
    disabled_at   TIMESTAMP
);

-- Only the SHA-256 of a token is kept: the token itself is shown once.
CREATE TABLE tokens (
    hash       BLOB PRIMARY KEY,
    user_id    BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE SEQUENCE audit_ids START 1;

CREATE TABLE audit_log (
    id        BIGINT PRIMARY KEY DEFAULT nextval('audit_ids'),
    at_time   TIMESTAMP NOT NULL,
    user_name VARCHAR NOT NULL,
    entity    VARCHAR NOT NULL,
    action    VARCHAR NOT NULL,
    target    VARCHAR NOT NULL,
    from_addr VARCHAR NOT NULL,
    result    VARCHAR NOT NULL,     -- ok, or the error's code
    details   VARCHAR NOT NULL
);

-- Batch ids came from max(id) + 1, which two uploads at once could both
-- take. The sequence starts after the largest id already used: nextval is
-- drawn once per existing id (a few hundred batches at most).
CREATE SEQUENCE batch_ids START 1;
SELECT max(nextval('batch_ids')) FROM range((SELECT coalesce(max(id), 0) FROM batches));
