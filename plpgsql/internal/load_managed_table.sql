-- A managed table's settings row, with its current schema and name (the parent may have been
-- renamed since manage), or TD001 when pgtide does not manage it.

create or replace function _tide.load_managed_table(parent regclass)
returns _tide.managed_tables
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  mt    _tide.managed_tables;
  shown text;
  parts text[];
begin
  select * into mt from _tide.managed_tables m where m.parent = load_managed_table.parent;
  if not found then
    raise exception using errcode = 'TD001',
      message = format('table %s is not managed by pgtide', parent),
      detail = 'It has no row in tide.config.',
      hint = 'Call tide.manage() on it first.';
  end if;
  -- its schema and name as they are now (a rename since manage() shows here, committed: the
  -- catalog as DDL sees it, not as an older snapshot would), read from the regclass's own output:
  -- under this function's search_path that is schema-qualified and quoted as needed for every
  -- table outside pg_temp and pg_catalog, and costs a tenth of the catalog query, which stays for
  -- the others and for a table that no longer exists (whose output is its oid)
  shown := mt.parent::text;
  if shown !~ '^[0-9]+$' then
    parts := parse_ident(shown);
  end if;
  if cardinality(parts) = 2 then
    mt.parent_schema := parts[1]; mt.parent_name := parts[2];
  else
    select n.nspname, c.relname into mt.parent_schema, mt.parent_name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = mt.parent;
  end if;
  return mt;
end
$fn$;

comment on function _tide.load_managed_table(regclass) is
  'Settings of a managed table with its current schema/name; raises TD001 when it is not managed.';
