-- Stops managing a table; every partition and every row stays where it is.

create or replace function tide.unmanage(parent regclass)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
begin
  perform _tide.load_managed_table(parent);  -- TD001 when not managed
  delete from _tide.managed_tables m where m.parent = unmanage.parent;
  perform _tide.log_action(null, parent, 'unmanage', null, 'ok');
end
$fn$;

comment on function tide.unmanage(regclass) is
  'Stops pgtide managing a table; partitions and rows stay. Takes no lock on the table.';
