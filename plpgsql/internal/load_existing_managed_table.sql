-- A managed table's settings row, for work on the table itself: as _tide.load_managed_table, and
-- 42P01 naming it when it was dropped without tide.unmanage() (its regclass then prints as an oid,
-- and the first statement that names it would fail with an error about something else).

create or replace function _tide.load_existing_managed_table(parent regclass)
returns _tide.managed_tables
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  mt _tide.managed_tables := _tide.load_managed_table(parent);  -- TD001 when not managed
begin
  if mt.parent_name is null then
    -- tide.health reports it as table_missing; tide.unmanage still loads it, to forget it
    raise exception using errcode = '42P01',
      message = format('table %s, managed by pgtide, no longer exists', parent),
      detail = 'It was dropped without tide.unmanage(); its settings stay in tide.config until then.',
      hint = format('Call tide.unmanage(%s) to forget them.', parent::oid);
  end if;
  return mt;
end
$fn$;

comment on function _tide.load_existing_managed_table(regclass) is
  'Settings of a managed table that still exists, with its current schema/name; raises TD001 when it is not managed and 42P01 when it was dropped without tide.unmanage().';
