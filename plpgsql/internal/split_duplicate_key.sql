-- For the refusal of a legacy split that finds a key both in the legacy partition and in the
-- slice: the WHERE clause naming one such key (by the columns of the unique index INDEX_NAME of
-- the slice), so the HINT can give the statement that resolves it.

create or replace function _tide.split_duplicate_key(legacy regclass, slice regclass, index_name text, control name, lower_bound text, upper_bound text)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  ix     record;
  cols   text;
  lcols  text;
  ltext  text;
  vals   text[];
begin
  select i.indkey::int2[] as keys, i.indpred is not null as partial into ix
    from pg_index i join pg_class c on c.oid = i.indexrelid
   where i.indrelid = slice and c.relname = index_name;
  if not found or ix.partial or 0 = any (ix.keys) then
    return null;  -- an expression or partial index: the DETAIL's key is all there is
  end if;
  select string_agg(quote_ident(a.attname), ', ' order by k.ord),
         string_agg('l.' || quote_ident(a.attname), ', ' order by k.ord),
         string_agg('l.' || quote_ident(a.attname) || '::text', ', ' order by k.ord)
    into cols, lcols, ltext
    from unnest(ix.keys) with ordinality k(attnum, ord)
    join pg_attribute a on a.attrelid = slice and a.attnum = k.attnum;
  execute format('select array[%s] from %s l where (%s) in (select %s from %s) and l.%I >= %L and l.%I < %L limit 1',
                 ltext, legacy, lcols, cols, slice, control, lower_bound, control, upper_bound)
    into vals;
  if vals is null then
    return null;
  end if;
  return format('(%s) = (%s)', cols, (select string_agg(quote_nullable(v), ', ' order by o) from unnest(vals) with ordinality u(v, o)));
end
$fn$;

comment on function _tide.split_duplicate_key(regclass, regclass, text, name, text, text) is
  'For tide.split_legacy''s refusal of a duplicate key: a WHERE clause (key columns of the slice''s unique index INDEX_NAME = their values) naming one key held both by LEGACY (within the interval) and by SLICE, or NULL when the index is on expressions or partial. Reads both tables.';
