-- Pre-creates (or back-fills) a managed table's partitions through a key value, contiguously
-- with the partitions it already has.

create or replace function tide.create_partitions(parent regclass, through text)
returns table (partition regclass, lower_bound text, upper_bound text, rows_moved bigint)
language plpgsql
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
as $fn$
declare
  mt        _tide.managed_tables := _tide.load_existing_managed_table(parent);
  thru      bigint;
  from_pos  bigint;
  to_pos    bigint;
  min_lo    bigint;
  los       bigint[];
  his       bigint[];
  i         integer;
  n         integer := 0;
  old_lt    text := current_setting('lock_timeout');
begin
  thru := _tide.key_value_position(mt, through, 'through');
  if thru is null then
    raise exception using errcode = '22023', message = format('through for %s must not be NULL', parent),
      detail = 'through is the key value up to which partitions are created: the partition holding it is the last one.',
      hint = case when mt.every_int is null then 'Pass a time, e.g. ''2025-08-01''.' else 'Pass a whole number.' end;
  end if;
  from_pos := _tide.grid_floor(mt, thru);
  if mt.control_type = 'bigint'::regtype and from_pos > _tide.key_type_max(mt.control_type) - mt.every_int then
    raise exception using errcode = '22023',
      message = format('through %L for %s lies in the last cell of the bigint range', through, parent),
      detail = format('Its cell starts at %s and would end past 9223372036854775807.', from_pos),
      hint = 'Pass a smaller through; maintenance makes that last cell, with no upper bound (MAXVALUE), when the series gets there.';
  end if;
  to_pos := _tide.grid_next(mt, from_pos);
  select min(coalesce(l.lower_pos, l.upper_pos)) into min_lo from _tide.list_partitions(mt) l where not l.is_default;
  from_pos := least(from_pos, min_lo);
  to_pos := greatest(to_pos, min_lo);
  -- the slots are computed under the table's maintenance lock, so no concurrent run fills them meanwhile
  if not pg_try_advisory_xact_lock(_tide.lock_key('maintain', parent)) then
    raise exception using errcode = '55P03',
      message = format('table %s is being maintained by another session', parent),
      detail = 'Another session holds the table''s maintenance lock (a maintenance run, tide.create_partitions or tide.drain_default); the partitions to create are worked out under that lock.',
      hint = 'Try again when that maintenance has finished.';
  end if;
  -- a partition created for rows in the default moves them: an unconvert's copy would lose them
  perform _tide.refuse_unconverting(parent, 'tide.create_partitions', 'default partition');
  -- refuse absurd requests before creating anything (partitions that already exist do not count)
  select array_agg(s.lower_pos order by s.lower_pos), array_agg(s.upper_pos order by s.lower_pos) into los, his
    from _tide.missing_slots(mt, from_pos, to_pos) s;
  n := coalesce(array_length(los, 1), 0);
  if n > 1000 then
    raise exception using errcode = '22023',
      message = format('through %L for %s would create %s partitions, more than 1000', through, parent, n),
      detail = format('From %s to %s with every => %L; nothing was created.', _tide.position_bound(mt, from_pos), _tide.position_bound(mt, to_pos), mt.every),
      hint = 'Create partitions in smaller steps, or choose a larger interval.';
  end if;
  perform set_config('lock_timeout', _tide.lock_timeout_setting(mt.lock_timeout), true);
  for i in 1 .. n loop
    return query select * from _tide.create_partition(mt, los[i], his[i]);
  end loop;
  -- an unconvert that started while this call waited for its locks: undo it
  perform _tide.refuse_unconverting(parent, 'tide.create_partitions', 'default partition');
  perform set_config('lock_timeout', old_lt, true);
end
$fn$;

comment on function tide.create_partitions(regclass, text) is
  'Creates the missing partitions of a managed table through a key value (back-filling older ones contiguously); returns one row per partition. Locks: SHARE UPDATE EXCLUSIVE on the parent per ATTACH under lock_timeout. Refuses (55000, changing nothing) while a tide.unconvert of the table is in progress.';
