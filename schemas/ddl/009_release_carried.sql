-- tipdash database, migration 9.

-- A release carries a table over, unchanged, from the latest release of
-- its tier that computed it (carried_from) while the table changed, since
-- some approved release its readers hold, by fewer people than the tier's
-- threshold (none included): published, the cells that changed would
-- describe those people (which cells are newly hidden is itself their
-- profile), and carrying over unchanged tables too keeps the carrying from
-- telling that somebody changed. A carried table is that earlier
-- release's table: the engine does not read it again as a release of its
-- own. NULL: computed by this release.
ALTER TABLE release_tables ADD COLUMN carried_from BIGINT DEFAULT NULL;
