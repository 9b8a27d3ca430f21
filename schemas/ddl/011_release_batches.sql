-- tipdash database, migration 11.

-- The batches a release counted (JSON: the ids of the batches stored when
-- it was made, ascending). A later release reads an earlier one as
-- records that today's grew from only while all of them are still stored
-- and no person of theirs has been updated since; after a rollback or an
-- update it is another population. NULL before this migration: read by
-- its records stamp alone, as before.
ALTER TABLE releases ADD COLUMN batches VARCHAR DEFAULT NULL;
