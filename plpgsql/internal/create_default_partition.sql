-- The default partition of a managed table, created standalone and attached like any other.

create or replace function _tide.create_default_partition(mt _tide.managed_tables, run_id bigint default null)
returns regclass
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  started timestamptz := clock_timestamp();
  created regclass;
begin
  created := _tide.create_partition_table(mt, _tide.default_partition_name(mt));
  perform _tide.execute_with_retry(format('alter table %s attach partition %s default', mt.parent, created), mt.lock_retries);
  perform _tide.log_action(run_id, mt.parent, 'create_default', created::text, 'ok', null, started);
  return created;
end
$fn$;

comment on function _tide.create_default_partition(_tide.managed_tables, bigint) is
  'Creates and attaches the default partition <parent>_default of a managed table; logs it.';
