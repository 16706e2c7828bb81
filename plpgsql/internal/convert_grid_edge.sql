-- The partition-grid edge at or below a control value (or the first edge above it), as text in the
-- same form _tide.partition_bounds uses, so tide.convert's legacy bounds land on the engine's grid.

create or replace function _tide.convert_grid_edge(
  value text, control_type regtype, every_interval interval, every_int bigint, time_zone text, above boolean default false)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set timezone = 'UTC'
set intervalstyle = 'postgres'
as $fn$
declare
  n     bigint;
  loc   timestamp;
  edge  timestamp;
begin
  if value is null then
    return null;
  end if;
  if control_type in ('integer'::regtype, 'bigint'::regtype) then
    n := value::bigint;
    n := n - (((n % every_int) + every_int) % every_int);
    if above then
      n := n + every_int;
    end if;
    return n::text;
  end if;
  if control_type = 'timestamptz'::regtype then
    loc := value::timestamptz at time zone time_zone;
  else
    loc := value::timestamp;
  end if;
  edge := _tide.grid_floor_local(loc, every_interval);
  -- where a DST change repeats the edge's local time, it names the later pass: step back while the
  -- edge lies past the value (as the engine's grid_floor does), or the legacy bounds miss the oldest row
  if control_type = 'timestamptz'::regtype then
    while (edge at time zone time_zone) > value::timestamptz loop
      edge := edge - every_interval;
    end loop;
  end if;
  if above then
    edge := edge + every_interval;
  end if;
  if control_type = 'timestamptz'::regtype then
    return (edge at time zone time_zone)::text;
  elsif control_type = 'date'::regtype then
    return edge::date::text;
  end if;
  return edge::text;
end
$fn$;

comment on function _tide.convert_grid_edge(text, regtype, interval, bigint, text, boolean) is
  'Grid edge of the partition interval at or below VALUE (or the next edge above it when ABOVE), in the table''s time zone, as bound text. Takes no locks.';
