-- The SQL that hashes every row of a table into the content checksum's terms; one place, so
-- tide.archive_checksum and anything else that needs it build exactly the same expression.
create or replace function _tide.archive_row_hash_sql(tbl regclass)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $fn$
  -- Column i contributes hashtextextended(canonical text, seed i), or the constant i when NULL; the
  -- row's hash is the xor of its columns' (a per-column seed, so moving a value to another column
  -- changes it). COLLATE "C": hashing must not depend on a column's (possibly nondeterministic) collation.
  select '(' || string_agg(format($e$coalesce(pg_catalog.hashtextextended(c%1$s collate "C", %1$s), %1$s)$e$, ordinal), ' # ' order by ordinal) || ')'
  from _tide.archive_columns(tbl)
$fn$;
comment on function _tide.archive_row_hash_sql(regclass) is
  'pgtide: the SQL expression that hashes one row of TBL (columns c1..cN holding canonical text) for the archive checksum';
