-- One transaction's worth of tide.drain_default: creates partitions for the oldest ranges that have
-- rows in the default partition (moving those rows) until about batch_rows rows have moved.

create or replace function _tide.drain_default_step(parent regclass, batch_rows integer)
returns bigint
language plpgsql
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
as $fn$
declare
  mt      _tide.managed_tables := _tide.load_existing_managed_table(parent);
  dflt    regclass;
  v       text;
  pos     bigint;
  slot    record;
  made    record;
  moved   bigint := 0;
  old_lt  text := current_setting('lock_timeout');
  finite  text := '';
  lowest  numeric;
begin
  if batch_rows is null or batch_rows < 1 then
    raise exception using errcode = '22023',
      message = format('batch_rows %s for %s must be positive', coalesce(batch_rows::text, 'NULL'), parent),
      detail = 'batch_rows is about how many rows each transaction moves out of the default partition.',
      hint = 'Use e.g. 10000.';
  end if;
  select nullif(pt.partdefid, 0)::regclass into dflt from pg_partitioned_table pt where pt.partrelid = mt.parent;
  if dflt is null then
    return 0;
  end if;
  if not pg_try_advisory_xact_lock(_tide.lock_key('maintain', parent)) then
    raise exception using errcode = '55P03',
      message = format('table %s is being maintained by another session', parent),
      detail = 'Another session holds the table''s maintenance lock (a maintenance run, tide.create_partitions or tide.drain_default); the partitions to create are worked out under that lock.',
      hint = 'Try again when that maintenance has finished.';
  end if;
  -- an unconvert's copy would miss the moved rows (checked again once the rows have moved)
  perform _tide.refuse_unconverting(parent, 'tide.drain_default', 'default partition');
  perform set_config('lock_timeout', _tide.lock_timeout_setting(mt.lock_timeout), true);
  -- 'infinity' and '-infinity' belong to no partition of the grid: they stay in the default, as
  -- NULLs would, and do not stop the other rows from moving
  if mt.control_type in ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) then
    finite := format(' where %I > ''-infinity'' and %I < ''infinity''', mt.control, mt.control);
  elsif mt.every_int is not null then
    -- likewise integer keys whose grid cell the key type cannot bound: below the first whole cell
    -- of the type (a MIN_VALUE sentinel), and, for bigint, in a cell whose end would overflow
    lowest := - _tide.key_type_max(mt.control_type)::numeric - 1;
    lowest := lowest + (((- lowest) % mt.every_int) + mt.every_int) % mt.every_int;
    finite := format(' where %I >= %s', mt.control, lowest);
    if mt.control_type = 'bigint'::regtype then
      -- below the start of the cell that would end past the type (the last multiple of every)
      finite := finite || format(' and %I < %s', mt.control, floor(_tide.key_type_max(mt.control_type)::numeric / mt.every_int) * mt.every_int);
    end if;
  end if;
  loop
    execute format('select min(%I)::text from only %s%s', mt.control, dflt, finite) into v;
    exit when v is null;
    pos := _tide.grid_floor(mt, _tide.key_position(mt, v));
    select s.lower_pos, s.upper_pos into slot from _tide.next_missing_slot(mt, pos, _tide.grid_next(mt, pos)) s;
    if slot.lower_pos is distinct from pos then
      raise exception using errcode = 'TD002',
        message = format('rows of %s in its default partition %s belong to a range no grid partition can hold', parent, dflt),
        detail = format('The smallest key there is %s.', v),
        hint = 'Check the partitions around that value.';
    end if;
    select * into made from _tide.create_partition(mt, slot.lower_pos, slot.upper_pos);
    moved := moved + made.rows_moved;
    exit when moved >= batch_rows;
  end loop;
  -- an unconvert that started while this step waited for its locks: undo the step
  perform _tide.refuse_unconverting(parent, 'tide.drain_default', 'default partition');
  perform set_config('lock_timeout', old_lt, true);
  return moved;
end
$fn$;

comment on function _tide.drain_default_step(regclass, integer) is
  'Moves rows out of a managed table''s default partition by creating their partitions, until about batch_rows rows moved; returns the count.';
