-- "Now" on a managed table's key axis for the views: as current_position, but for integer keys the
-- largest key is read without waiting (obs_max_key); a partition locked by another session is judged
-- by the statistics instead, and the note says so.

create or replace function _tide.obs_position(mt _tide.managed_tables, as_of timestamptz, out pos bigint, out note text)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $fn$
declare
  p     record;
  r     record;
  busy  text[] := '{}';
begin
  if mt.every_int is null then
    pos := _tide.current_position(mt, as_of);  -- time keys: computed from as_of, no table is read
    return;
  end if;
  -- newest partition first, as current_position; the default is not read (see there)
  for p in select l.partition, l.lower_pos, l.upper_pos,
                  -- rows by the statistics: the collector's live rows (current within seconds) or the last ANALYZE
                  greatest(c.reltuples, pg_stat_get_live_tuples(l.partition)) > 0 as has_rows
             from _tide.list_partitions(mt) l join pg_class c on c.oid = l.partition::oid
            where not l.is_default
            order by l.lower_pos desc nulls last loop
    r := _tide.obs_max_key(p.partition, mt.control);
    if r.locked then
      busy := busy || p.partition::text;
      if p.has_rows then
        -- its largest key is at least its lower bound, and below the next partition's rows: the
        -- partition is right, the position within it is its lower bound
        pos := coalesce(p.lower_pos, p.upper_pos - 1);
        exit;
      end if;
    elsif r.max_key is not null then
      pos := r.max_key;
      exit;
    end if;
  end loop;
  if pos is null then
    select min(coalesce(l.lower_pos, l.upper_pos)) into pos from _tide.list_partitions(mt) l where not l.is_default;
  end if;
  pos := coalesce(pos, 0);
  if cardinality(busy) > 0 then
    note := format('%s locked by another session, so not read: the current position is estimated from the statistics (the lower bound of the newest partition they show rows in)',
                   array_to_string(busy, ', '));
  end if;
end
$fn$;

comment on function _tide.obs_position(_tide.managed_tables, timestamptz) is
  'The current position on a managed table''s key axis for the views, and a note when it is estimated: for integer keys the largest key, read with obs_max_key (never waiting, keeping no lock); a partition another session locks is judged by its statistics. For time keys as current_position. Read-only.';
