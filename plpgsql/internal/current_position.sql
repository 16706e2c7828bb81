-- "Now" on a managed table's key axis: as_of for timestamptz keys, as_of's wall-clock time in the
-- table's zone for timestamp/date keys, and the largest key in a non-default partition for integer keys.

create or replace function _tide.current_position(mt _tide.managed_tables, as_of timestamptz)
returns bigint
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  p    record;
  v    bigint;
begin
  if mt.every_int is null then
    if mt.control_type = 'timestamptz'::regtype then
      return (extract(epoch from as_of) * 1000000)::bigint;
    end if;
    return (extract(epoch from (as_of at time zone mt.time_zone) at time zone 'UTC') * 1000000)::bigint;
  end if;
  -- integer keys: the newest non-empty partition holds the largest key; read only that far. The
  -- default is not read: one stray far-ahead key there would become "now", create every partition
  -- up to it and expire every partition with live rows. Rows that outran premake in the default
  -- are reached as the series advances (premake partitions per run) or by tide.drain_default.
  for p in select l.partition from _tide.list_partitions(mt) l where not l.is_default
            order by l.lower_pos desc nulls last loop
    execute format('select max(%I)::bigint from only %s', mt.control, p.partition) into v;
    exit when v is not null;
  end loop;
  if v is null then
    select min(coalesce(l.lower_pos, l.upper_pos)) into v from _tide.list_partitions(mt) l where not l.is_default;
  end if;
  return coalesce(v, 0);
end
$fn$;

comment on function _tide.current_position(_tide.managed_tables, timestamptz) is
  'The current position on a managed table''s key axis (as_of for time keys, the largest key for integer keys).';
