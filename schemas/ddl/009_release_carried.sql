-- tipdash database, migration 9.

-- A release carries a measure's tables over, unchanged, from an earlier
-- release of its tier (carried_from) while some table of the measure
-- changed since a release its readers hold by fewer people than the
-- tier's threshold, but not by none: published, the cells that changed
-- would describe those people (which cells are newly hidden is itself
-- their profile). A carried table is that earlier release's table: the
-- engine does not read it again as a release of its own. NULL: computed
-- by this release.
ALTER TABLE release_tables ADD COLUMN carried_from BIGINT DEFAULT NULL;
