-- After a successful maintenance at AS_OF, the earliest instant at which the table will need
-- work again: when AS_OF enters the next grid cell (one more partition ahead) or when the oldest
-- partition's whole range falls out of KEEP. NULL (always look) for integer keys.
-- The oldest partition's upper position comes from the listing the caller already holds
-- (maintain_table), so the partitions are not listed again.
create or replace function _tide.next_due_at(mt _tide.managed_tables, as_of timestamptz, oldest_upper bigint)
returns timestamptz
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  create_at  timestamptz;
  expire_at  timestamptz;
  next_pos   bigint;
begin
  if mt.every_int is not null or mt.every_interval is null then
    return null;
  end if;
  -- a timestamptz key's positions are instants; a timestamp or date key's are wall-clock times,
  -- first reached at the earliest instant showing them
  next_pos := _tide.grid_point(mt, _tide.current_position(mt, as_of), 1);
  create_at := case when mt.control_type = 'timestamptz'::regtype
                    then timestamptz 'epoch' + next_pos * interval '1 microsecond'
                    else _tide.local_instant(mt, _tide.position_local(mt, next_pos)) end;
  expire_at := _tide.expires_at(mt, oldest_upper);  -- NULL without keep or an oldest partition
  return least(create_at, expire_at);
end
$fn$;

comment on function _tide.next_due_at(_tide.managed_tables, timestamptz, bigint) is
  'The earliest as_of after AS_OF at which a managed table needs maintenance again (next grid cell, or the expiry of the partition ending at OLDEST_UPPER); NULL for integer keys.';
