-- tipdash database, migration 8.

-- The exact count behind each cell of a release, in the order of cells
-- (JSON: [N, ...]). It is never served: tier admin counts the records
-- themselves. A later release is checked with it: a cell that rose by 1
-- to 4 people between two releases that both show it describes those
-- people (the difference of the two releases), and the engine must know
-- by how many each cell rose to hide such a change. Releases made before
-- this migration have none (NULL): their hidden cells stay hidden in later
-- releases of their tier, as before.
ALTER TABLE release_tables ADD COLUMN exact VARCHAR DEFAULT NULL;

-- The people a table shows (the sum of its published counts; 0 when
-- withheld). A table is served from the approved release of its tier
-- that shows the most people in it, the latest among equals: after a
-- batch of a few people the latest release hides what changed, and its
-- readers keep the earlier table until the changes are large enough to
-- show. NULL before this migration: counts as 0.
ALTER TABLE release_tables ADD COLUMN shown BIGINT DEFAULT NULL;
