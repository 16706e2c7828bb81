-- Rule 1 with a default partition: a CHECK on a non-empty default excluding the cells maintenance is
-- about to create, added NOT VALID here and validated in a later transaction, so ATTACH scans nothing.

create or replace function _tide.fence_default(mt _tide.managed_tables, as_of timestamptz)
returns name
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  dflt      regclass;
  has_rows  boolean;
  now_pos   bigint;
  next_pos  bigint;
  newest_hi bigint;
  unbounded boolean;
  thru_pos  bigint;
  fence     name;
  superseded text;
  typ       text := mt.control_type::text;
begin
  -- ATTACH needs ACCESS EXCLUSIVE on the default and scans it for rows of the new range unless a
  -- validated CHECK already excludes that range. Adding the CHECK NOT VALID takes ACCESS EXCLUSIVE
  -- only for a moment and scans nothing; the caller commits, then validates it under SHARE UPDATE
  -- EXCLUSIVE (application reads and writes go on during that scan). The fence covers only cells
  -- wholly after the current one that no partition covers yet: until maintenance attaches them, a
  -- row of that future range is refused instead of landing in the default (docs/engine.md).
  select nullif(pt.partdefid, 0)::regclass into dflt from pg_partitioned_table pt where pt.partrelid = mt.parent;
  if dflt is null or not mt.enabled then
    return null;
  end if;
  perform set_config('lock_timeout', _tide.lock_timeout_setting(mt.lock_timeout), true);
  -- an empty default costs ATTACH nothing to scan (run_maintenance calls this only for a default
  -- that has pages; one that has some may still hold no live row)
  execute format('select exists (select from only %s)', dflt) into has_rows;
  if not has_rows then
    return null;
  end if;
  now_pos := _tide.current_position(mt, as_of);
  select max(l.upper_pos), coalesce(bool_or(l.upper_pos is null), false) into newest_hi, unbounded
    from _tide.list_partitions(mt) l where not l.is_default;
  if unbounded then
    return null;  -- a partition runs to MAXVALUE: nothing is ever created after it
  end if;
  -- never the current cell: its rows must keep landing somewhere while the run is under way
  next_pos := _tide.grid_next(mt, _tide.grid_floor(mt, now_pos));
  thru_pos := _tide.premake_horizon(mt, now_pos);
  next_pos := greatest(next_pos, newest_hi);
  if next_pos >= thru_pos then
    return null;
  end if;
  if exists (select from pg_constraint k
              where k.conrelid = dflt and k.contype = 'c' and k.convalidated
                and k.conname ~ '^tide_fence_-?[0-9]+_-?[0-9]+$'
                and split_part(substr(k.conname, 12), '_', 1)::bigint <= next_pos
                and split_part(substr(k.conname, 12), '_', 2)::bigint >= thru_pos
                -- substr(…, 12) cuts 'tide_fence_'; a negative lower bound keeps its '-' in part 1
            ) then
    return null;
  end if;
  fence := format('tide_fence_%s_%s', next_pos, thru_pos);
  -- earlier fences go in the same statement: they exclude cells that have partitions by now (or,
  -- after a run that gave up, cells this fence covers again)
  select string_agg(format('drop constraint %I, ', k.conname), '') into superseded
    from pg_constraint k where k.conrelid = dflt and k.conname ~ '^tide_fence_';
  perform _tide.execute_with_retry(format(
    'alter table %s %sadd constraint %I check (not (%I >= %L::%s and %I < %L::%s)) not valid',
    dflt, coalesce(superseded, ''), fence,
    mt.control, _tide.position_bound(mt, next_pos), typ, mt.control, _tide.position_bound(mt, thru_pos), typ),
    mt.lock_retries);
  return fence;
end
$fn$;

comment on function _tide.fence_default(_tide.managed_tables, timestamptz) is
  'Adds, NOT VALID, a CHECK tide_fence_<lower>_<upper> on a managed table''s non-empty default partition excluding the cells maintenance is about to create, so that after validation ATTACH scans nothing; returns its name, or NULL when no fence is needed. Brief ACCESS EXCLUSIVE on the default under the table''s lock_timeout.';
