-- Rule 1 for one partition, logged: _tide.add_partition does the work (see there for the locks);
-- manage, create_partitions and drain_default call this, maintenance calls add_partition directly
-- and logs a table's partitions together.

create or replace function _tide.create_partition(mt _tide.managed_tables, lower_pos bigint, upper_pos bigint, run_id bigint default null)
returns table (partition regclass, lower_bound text, upper_bound text, rows_moved bigint)
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  started  timestamptz := clock_timestamp();
  made     record;
begin
  made := _tide.add_partition(mt, lower_pos, upper_pos);
  perform _tide.log_action(run_id, mt.parent, 'create', made.partition::text, 'ok', made.rows_moved, started,
                           message => made.message);
  return query select made.partition, made.lower_bound, made.upper_bound, made.rows_moved;
end
$fn$;

comment on function _tide.create_partition(_tide.managed_tables, bigint, bigint, bigint) is
  'Creates and attaches one partition [lower, upper) per Rule 1 (_tide.add_partition), moving rows of its range out of the default partition; logs it.';
