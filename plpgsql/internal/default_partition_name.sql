-- The name given to a default partition pgtide creates: <parent>_default, shortened to 63 bytes.

create or replace function _tide.default_partition_name(mt _tide.managed_tables)
returns name
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  head text := mt.parent_name;
begin
  while octet_length(head || '_default') > 63 loop
    head := left(head, length(head) - 1);
  end loop;
  return (head || '_default')::name;
end
$fn$;

comment on function _tide.default_partition_name(_tide.managed_tables) is
  'Name of the default partition pgtide creates: <parent>_default, parent part shortened to fit 63 bytes.';
