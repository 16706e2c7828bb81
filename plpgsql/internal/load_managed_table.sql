-- A managed table's settings row, with its current schema and name (the parent may have been
-- renamed since manage), or TD001 when pgtide does not manage it.

create or replace function _tide.load_managed_table(parent regclass)
returns _tide.managed_tables
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  mt _tide.managed_tables;
begin
  select * into mt from _tide.managed_tables m where m.parent = load_managed_table.parent;
  if not found then
    raise exception using errcode = 'TD001',
      message = format('table %s is not managed by pgtide', parent),
      detail = 'It has no row in tide.config.',
      hint = 'Call tide.manage() on it first.';
  end if;
  select n.nspname, c.relname into mt.parent_schema, mt.parent_name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = mt.parent;
  return mt;
end
$fn$;

comment on function _tide.load_managed_table(regclass) is
  'Settings of a managed table with its current schema/name; raises TD001 when it is not managed.';
