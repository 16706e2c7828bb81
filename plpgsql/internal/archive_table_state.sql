-- What tide.check_archive_content saw of a table besides its content, so tide.complete_archive can
-- tell that nothing changed it since, not even the checking session itself (whose own writes no lock stops).
create or replace function _tide.archive_table_state(tbl regclass)
returns text
language sql volatile
set search_path = pg_catalog, pg_temp
as $fn$
  -- the file (TRUNCATE, VACUUM FULL and rewrites give a new one), this transaction's row writes to
  -- the table, and the columns as the checksum reads them (ADD / DROP / ALTER COLUMN)
  select concat_ws('/', pg_relation_filenode(tbl),
                   pg_stat_get_xact_tuples_inserted(tbl), pg_stat_get_xact_tuples_updated(tbl),
                   pg_stat_get_xact_tuples_deleted(tbl),
                   (select md5(string_agg(format('%s %s %s', ac.ordinal, ac.type_name, ac.canonical), ',' order by ac.ordinal))
                      from _tide.archive_columns(tbl) ac))
$fn$;
comment on function _tide.archive_table_state(regclass) is
  'pgtide: file node, this transaction''s inserted/updated/deleted row counts and a digest of the archived columns of TBL, compared by tide.complete_archive with what tide.check_archive_content saw';
