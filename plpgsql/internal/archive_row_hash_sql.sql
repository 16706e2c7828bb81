-- The SQL that hashes every row of a table into the content checksum's terms; one place, so
-- tide.archive_checksum and anything else that needs it build exactly the same expression.
create or replace function _tide.archive_row_hash_sql(tbl regclass)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $fn$
  -- Each value becomes 'N' (NULL) or 'V' || octet length || ':' || canonical text; the row's
  -- md5 is over their concatenation in column order, so no two rows can collide by shifting.
  select 'md5(concat(' || string_agg(format($e$coalesce('V' || octet_length(c%1$s) || ':' || c%1$s, 'N')$e$, ordinal), ', ' order by ordinal) || '))'
  from _tide.archive_columns(tbl)
$fn$;
comment on function _tide.archive_row_hash_sql(regclass) is
  'pgtide: the SQL expression that hashes one row of TBL (columns c1..cN holding canonical text) for the archive checksum';
