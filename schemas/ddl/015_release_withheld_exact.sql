-- tipdash database, migration 15.

-- The exact cells of a table a release withheld (JSON, as cells: [{keys,
-- count}], the count exact), never served. A later release of its tier
-- compares its table with them, as with a shown table's exact counts:
-- without them a withheld table could not be told unchanged, and every
-- table of its measure's years was computed again in every release (in a
-- year of monthly releases, each check grew with the releases held until
-- it ran out of time). NULL: a table shown, carried over, or withheld by a
-- release made before this migration.
ALTER TABLE release_tables ADD COLUMN withheld_exact VARCHAR DEFAULT NULL;
