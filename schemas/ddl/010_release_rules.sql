-- tipdash database, migration 10.

-- The disclosure rules a release was made with (JSON: threshold, round,
-- fold). Thresholds can be raised in configuration later; a release
-- already published keeps the rules its readers know it by, and later
-- releases are checked with it read by those rules. NULL before this
-- migration: read by the tier's current rules, as before.
ALTER TABLE releases ADD COLUMN rules VARCHAR DEFAULT NULL;
