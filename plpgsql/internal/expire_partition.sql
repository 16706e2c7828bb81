-- Retention for one expired partition: drop it, or detach it (renamed <name>_detached, or moved to
-- the table's detach_schema) and record it, or detach it for the archiver. Plain DROP/DETACH take
-- ACCESS EXCLUSIVE on the parent briefly, under the caller's lock_timeout. A legacy partition
-- tide.convert left and tide.split_legacy has not finished is retired the same way, together with
-- the slice a split was filling, and its _tide.legacy row says so. A standalone table (that slice)
-- is retired like a detached partition.

create or replace function _tide.expire_partition(mt _tide.managed_tables, partition regclass, lower_bound text, upper_bound text, run_id bigint default null)
returns boolean
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  started  timestamptz := clock_timestamp();
  old_name text := partition::text;
  lg       _tide.legacy;
  slice    regclass;
  slice_lo bigint;
begin
  -- a split step holds the legacy row for its whole transaction and takes the parent after it,
  -- the reverse of this transaction's order (the parent since maintain_table began): never wait
  -- for the row. While split_legacy runs (its steps follow each other closely) the legacy partition
  -- is left for a later run, and the rest of retention goes on.
  begin
    select * into lg from _tide.legacy l
     where l.parent = mt.parent and l.legacy = expire_partition.partition and l.state in ('attached', 'splitting')
       for update nowait;
  exception when lock_not_available then
    perform _tide.log_action(run_id, mt.parent, mt.on_expire, old_name, 'skipped', null, started,
                             message => 'another session holds this legacy partition''s row in _tide.legacy (a tide.split_legacy step); it is retired by a later run');
    return false;
  end;
  if found and lg.state = 'splitting' and lower_bound is not null then
    -- the rows split_legacy has moved out of the oldest interval left in the legacy partition wait
    -- in a table of their own, to be attached with that interval: they expire with it
    slice_lo := _tide.key_position(mt, lower_bound);
    slice := _tide.split_slice(mt, lg, slice_lo);
  end if;

  if mt.on_expire = 'drop' then
    perform _tide.execute_with_retry(format('drop table %s', partition), mt.lock_retries);
    perform _tide.log_action(run_id, mt.parent, 'drop', old_name, 'ok', null, started,
                             detail => format('range [%s, %s)', coalesce(lower_bound, 'MINVALUE'), upper_bound));
  else
    perform _tide.retire_detached(mt, partition, lower_bound, upper_bound, run_id, started);
  end if;
  if slice is not null then
    perform _tide.expire_partition(mt, slice, lower_bound, _tide.position_bound(mt, _tide.grid_next(mt, slice_lo)), run_id);
  end if;
  if lg.parent is not null then
    update _tide.legacy l
       set state = 'retired', retired_at = clock_timestamp(), slice = null,
           legacy = case when mt.on_expire = 'drop' then null else l.legacy end
     where l.parent = mt.parent;
  end if;
  return true;
end
$fn$;

comment on function _tide.expire_partition(_tide.managed_tables, regclass, text, text, bigint) is
  'Applies on_expire (drop, detach, archive) to one expired partition under lock_timeout with retries; logs it; true when done. A legacy partition not yet split is retired with the slice a split was filling, and recorded as retired; false (logged skipped) while a split step works on it.';
