-- tipdash database, migration 12.

-- The records of a batch rolled back, kept apart (the same columns as
-- record_versions) until `batches purge` deletes them. A release that
-- counted them stays held by its readers: later checks read it as the
-- records it grew from plus these people, a block of unknowns of their
-- own, rather than leaving it out of the program. Nothing else reads them.
CREATE TABLE rolled_back_versions (
    id         BIGINT NOT NULL,
    person_key UUID,
    case_key   UUID,
    is_current BOOLEAN NOT NULL,
    c0         UBIGINT NOT NULL,
    c1         UBIGINT NOT NULL,
    c2         UBIGINT NOT NULL,
    c3         UBIGINT NOT NULL,
    c4         UBIGINT NOT NULL
);
