-- tipdash database, migration 6.

-- The release a release was checked together with when it was published
-- (the latest approved release of its tier then; 0 for none). A draft may
-- be approved only while that one is still the latest approved of its
-- tier: otherwise the two releases readers would then hold together were
-- never checked together.
ALTER TABLE releases ADD COLUMN checked_with BIGINT DEFAULT 0;
