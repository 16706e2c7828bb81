-- The first grid cell at or after a grid point, and before a limit, that no partition covers
-- (the first row of _tide.missing_slots). One that starts or ends off the grid is TD002.

create or replace function _tide.next_missing_slot(mt _tide.managed_tables, from_pos bigint, through_pos bigint)
returns table (lower_pos bigint, upper_pos bigint)
language sql stable
set search_path = pg_catalog, pg_temp
as $fn$
  select s.lower_pos, s.upper_pos from _tide.missing_slots(mt, from_pos, through_pos) s limit 1;
$fn$;

comment on function _tide.next_missing_slot(_tide.managed_tables, bigint, bigint) is
  'First uncovered grid cell in [from, through) of a managed table; raises TD002 when a partition lies off the grid.';
