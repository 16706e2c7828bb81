-- Wall-clock time in the table's zone back to a position (the inverse of position_local). A time
-- skipped by a DST change maps forward, a repeated one to the later offset, so the grid stays ordered.

create or replace function _tide.local_position(mt _tide.managed_tables, local_time timestamp)
returns bigint
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  -- PL/pgSQL, not SQL: called many times per table in each per-table transaction (see lock_key)
  return (extract(epoch from (local_time at time zone
            case when mt.control_type = 'timestamptz'::regtype then mt.time_zone else 'UTC' end)) * 1000000)::bigint;
end
$fn$;

comment on function _tide.local_position(_tide.managed_tables, timestamp) is
  'Wall-clock time in the table''s time zone as a position on its key axis.';
