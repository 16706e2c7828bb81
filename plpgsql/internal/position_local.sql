-- A time position as wall-clock time in the table's zone (timestamp and date keys are already
-- wall-clock values), which is where the grid and the partition names live.

create or replace function _tide.position_local(mt _tide.managed_tables, pos bigint)
returns timestamp
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  -- PL/pgSQL, not SQL: called many times per table in each per-table transaction (see lock_key)
  return (timestamptz 'epoch' + pos * interval '1 microsecond')
         at time zone case when mt.control_type = 'timestamptz'::regtype then mt.time_zone else 'UTC' end;
end
$fn$;

comment on function _tide.position_local(_tide.managed_tables, bigint) is
  'A time position as wall-clock time in the table''s time zone.';
