-- Up Migration
-- _tide.obs_tables gained a result column (position_note), which CREATE OR REPLACE cannot give an
-- existing function: the old one goes here, and the code step creates the new one. Its only dependent
-- is pgtide's view tide.tables, which the code step re-creates too; the installer has refused the
-- upgrade before any migration if an object of the user's depends on pgtide's views.
drop view if exists tide.tables;
drop function if exists _tide.obs_tables(timestamptz);

-- Down Migration
