-- tipdash database, migration 7.

-- A reader of the conatt tier reads the public releases too, so a release
-- is checked together with the latest approved release of each tier.
-- checked_with_other is the one of the other tier (0 for none); a draft
-- may be approved only while both it was checked with are still the
-- latest approved of their tiers. records names the records a release
-- counted (their number and a hash of their versions): a public release
-- must count the same records as the latest conatt release, so that the
-- two are checked as one population. Releases made before this migration
-- have none and match no other.
ALTER TABLE releases ADD COLUMN checked_with_other BIGINT DEFAULT 0;
ALTER TABLE releases ADD COLUMN records VARCHAR DEFAULT '';
