-- tipdash database, migration 13.

-- The last year a table of the complete years counted (catalogue
-- "years": "complete": every year before the year in progress). A later
-- release whose year in progress moved on reads that table as the table
-- of those years, not as its own table of the same id. NULL for the
-- tables by year, and for every table of a release made before this
-- migration (which counted all years).
ALTER TABLE release_tables ADD COLUMN years_through INTEGER DEFAULT NULL;
