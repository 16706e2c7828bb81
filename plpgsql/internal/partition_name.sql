-- The name of the partition starting at a grid point: <parent>_<suffix> per DESIGN.md, with the
-- parent part shortened (by whole characters) so the name never exceeds 63 bytes.

create or replace function _tide.partition_name(mt _tide.managed_tables, lower_pos bigint)
returns name
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  loc     timestamp;
  mon     integer;
  dd      integer;
  suffix  text;
  head    text := mt.parent_name;
begin
  if mt.every_int is not null then
    suffix := 'p' || lower_pos::text;
  else
    loc := _tide.position_local(mt, lower_pos);
    mon := extract(year from mt.every_interval)::integer * 12 + extract(month from mt.every_interval)::integer;
    dd  := extract(day from mt.every_interval)::integer;
    suffix := to_char(loc, case
      when mon = 12 then 'YYYY'
      when mon = 3 then 'YYYY"_q"Q'
      when mon > 0 then 'YYYY_MM'
      when dd > 0 and dd % 7 = 0 then 'IYYY"_w"IW'
      when dd > 0 then 'YYYY_MM_DD'
      -- whole hours (the time part of an interval reads normalised: 90 minutes is 1 hour 30 minutes)
      when extract(minute from mt.every_interval) = 0 and extract(second from mt.every_interval) = 0
           and extract(minute from loc) = 0 and extract(second from loc) = 0 then 'YYYY_MM_DD_HH24MI'
      else 'YYYY_MM_DD_HH24MISS' end);
  end if;
  while octet_length(head || '_' || suffix) > 63 loop
    head := left(head, length(head) - 1);
  end loop;
  return (head || '_' || suffix)::name;
end
$fn$;

comment on function _tide.partition_name(_tide.managed_tables, bigint) is
  'Name of the partition starting at a grid point: <parent>_<suffix>, parent part shortened to fit 63 bytes.';
