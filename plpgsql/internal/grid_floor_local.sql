-- The start of the grid cell holding a wall-clock time: months from January, weeks from Monday
-- 2001-01-01 (an ISO Monday), days and hours from local midnight. The grid is never session-dependent.

create or replace function _tide.grid_floor_local(local_time timestamp, every interval)
returns timestamp
language plpgsql immutable strict
set search_path = pg_catalog, pg_temp
as $fn$
declare
  mon  integer := extract(year from every)::integer * 12 + extract(month from every)::integer;
  dd   integer;
  us   bigint;
  idx  bigint;
  d    bigint;
  t    bigint;
begin
  -- each part of EVERY is read only when the larger ones are zero (maintenance calls this for
  -- every grid point it computes)
  if mon > 0 then
    idx := extract(year from local_time)::bigint * 12 + extract(month from local_time)::bigint - 1;
    idx := idx - (((idx % mon) + mon) % mon);
    return make_timestamp((idx / 12)::integer, (idx % 12)::integer + 1, 1, 0, 0, 0);
  end if;
  dd := extract(day from every)::integer;
  if dd > 0 then
    d := local_time::date - date '2001-01-01';
    d := d - (((d % dd) + dd) % dd);
    return (date '2001-01-01' + d::integer)::timestamp;
  end if;
  us := ((extract(hour from every) * 3600 + extract(minute from every) * 60 + extract(second from every)) * 1000000)::bigint;
  t := (extract(epoch from (local_time - timestamp '2001-01-01')) * 1000000)::bigint;
  t := t - (((t % us) + us) % us);
  return timestamp '2001-01-01' + t * interval '1 microsecond';
end
$fn$;

comment on function _tide.grid_floor_local(timestamp, interval) is
  'Start of the grid cell of EVERY that holds a wall-clock time (months from January, weeks from ISO Monday, days/hours from midnight).';
