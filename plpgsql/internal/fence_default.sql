-- Rule 1 with a default partition: a CHECK on a non-empty default excluding the cells maintenance is
-- about to create, added NOT VALID here and validated in a later transaction, so ATTACH scans nothing.
-- A fence left from an earlier run that no longer serves is dropped here.

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
  newest_key bigint;
  unbounded boolean;
  thru_pos  bigint;
  top       bigint;
  fence     name;
  superseded text;
  excluded  text;
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
  <<wanted>>
  begin
    -- an empty default costs ATTACH nothing to scan (run_maintenance calls this only for a default
    -- that has pages or a fence; one that has pages may still hold no live row)
    execute format('select exists (select from only %s)', dflt) into has_rows;
    exit wanted when not has_rows;
    now_pos := _tide.current_position(mt, as_of);
    select max(l.upper_pos), coalesce(bool_or(l.upper_pos is null), false) into newest_hi, unbounded
      from _tide.list_partitions(mt) l where not l.is_default;
    -- a partition runs to MAXVALUE: nothing is ever created after it
    exit wanted when unbounded;
    -- never the current cell: its rows must keep landing somewhere while the run is under way
    next_pos := _tide.grid_next(mt, _tide.grid_floor(mt, now_pos));
    thru_pos := _tide.premake_horizon(mt, now_pos);
    if mt.every_int is not null then
      -- integer keys: "now" is the largest key the application has written, and that may sit in the
      -- default (current_position does not read it: the series may have outrun premake). Neither the
      -- cell holding the largest key of the table nor the next one is fenced (the application moves
      -- into it next, and its key is not read at the instant of the fence), so the fence covers only
      -- keys above every row of the default: its validation finds nothing, and no application insert
      -- of the series is refused.
      execute format('select max(%I)::bigint from only %s', mt.control, dflt) into newest_key;
      newest_key := greatest(now_pos, newest_key);
      top := _tide.key_type_max(mt.control_type);
      exit wanted when _tide.grid_floor(mt, newest_key) > top::numeric - 3 * mt.every_int::numeric;  -- no room left before the type's end
      next_pos := greatest(next_pos, _tide.grid_floor(mt, newest_key) + 2 * mt.every_int);
    end if;
    next_pos := greatest(next_pos, newest_hi);
    exit wanted when next_pos >= thru_pos;
    fence := format('tide_fence_%s_%s', next_pos, thru_pos);
  end;
  -- every other fence goes: it excludes cells that have partitions by now (which retention or a DBA
  -- may drop later; rows of those ranges must land in the default again), cells no longer about to
  -- be created, or, after a run that gave up, cells this fence covers again
  select string_agg(format('drop constraint %I, ', k.conname), '') into superseded
    from pg_constraint k
   where k.conrelid = dflt and k.conname ~ '^tide_fence_' and not coalesce(k.conname = fence and k.convalidated, false);
  -- (a wanted fence left NOT VALID by a run that gave up is among them: it is dropped and added again)
  if fence is null or exists (select from pg_constraint k where k.conrelid = dflt and k.conname = fence and k.convalidated) then
    -- no fence wanted, or the one wanted is in place and validated: drop the rest, trying once
    if superseded is not null then
      begin
        perform _tide.execute_with_retry(format('alter table %s %s', dflt, rtrim(superseded, ', ')), 0);
      exception when lock_not_available then
        raise exception using errcode = 'lock_not_available',
          message = format('fences on %s that no longer serve were left: the default partition is busy', dflt),
          detail = format('Constraints: %s.', replace(rtrim(superseded, ', '), 'drop constraint ', '')),
          hint = 'The next maintenance run drops them.';
      end;
    end if;
    return null;
  end if;
  -- the last cell of an integer type's range ends at MAXVALUE: so does the fence
  if top is not null and thru_pos >= top then
    excluded := format('%I >= %L::%s', mt.control, _tide.position_bound(mt, next_pos), typ);
  else
    excluded := format('%I >= %L::%s and %I < %L::%s', mt.control, _tide.position_bound(mt, next_pos), typ,
                       mt.control, _tide.position_bound(mt, thru_pos), typ);
  end if;
  perform _tide.execute_with_retry(format('alter table %s %sadd constraint %I check (not (%s)) not valid',
                                          dflt, coalesce(superseded, ''), fence, excluded),
                                   mt.lock_retries);
  return fence;
end
$fn$;

comment on function _tide.fence_default(_tide.managed_tables, timestamptz) is
  'Adds, NOT VALID, a CHECK tide_fence_<lower>_<upper> on a managed table''s non-empty default partition excluding the cells maintenance is about to create (for integer keys, only past the cell after the table''s largest key), so that after validation ATTACH scans nothing; returns its name, or NULL when no fence is needed. Drops every other tide_fence_* of the default (fences that no longer serve), trying once. Brief ACCESS EXCLUSIVE on the default under the table''s lock_timeout.';
