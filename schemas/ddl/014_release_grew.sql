-- tipdash database, migration 14.

-- A table a release computed rather than carried over because its
-- measure's tables of the same years changed by the threshold or more
-- since the release it was compared with (grew_since, the oldest of
-- those compared): with people only added since, that measure's people
-- of those years grew by the threshold or more. Its readers can tell so
-- from the release, and the check of every later release reads it too.
-- NULL: carried over, compared with nothing, or a release made before
-- this migration.
ALTER TABLE release_tables ADD COLUMN grew_since BIGINT DEFAULT NULL;
