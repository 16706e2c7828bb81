-- The months and days of an interval, without its time of day: the part that is counted on a
-- calendar, where the rest is elapsed time.

create or replace function _tide.calendar_part(iv interval)
returns interval
language plpgsql immutable strict
set search_path = pg_catalog, pg_temp
as $fn$
begin
  return make_interval(months => (extract(year from iv) * 12 + extract(month from iv))::integer,
                       days => extract(day from iv)::integer);
end
$fn$;

comment on function _tide.calendar_part(interval) is
  'The months and days of IV (its calendar part), without hours, minutes and seconds.';
