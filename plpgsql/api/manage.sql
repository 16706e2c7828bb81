-- Takes a range-partitioned table under management: validates everything first (Rule 5), adopts
-- its partitions (names kept, multi-interval legacy ones accepted if on the grid), creates the
-- default partition and what is missing from start_at to premake intervals ahead.

create or replace function tide.manage(
  parent regclass, control name, every text, premake integer default 4, keep text default null,
  on_expire text default 'drop', start_at text default null, time_zone text default 'UTC',
  default_partition boolean default true)
returns table (partition regclass, lower_bound text, upper_bound text, is_default boolean, rows_moved bigint)
language plpgsql
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
as $fn$
declare
  rel       record;
  managed   record;
  key       record;
  mt        _tide.managed_tables;
  parsed    record;
  p         record;
  los       bigint[];
  his       bigint[];
  start_pos bigint;
  now_pos   bigint;
  from_pos  bigint;
  thru_pos  bigint;
  old_lt    text := current_setting('lock_timeout');
  i         integer;
begin
  if parent is null then
    raise exception using errcode = '22023',
      message = 'tide.manage: parent must not be NULL',
      detail = 'parent is the range-partitioned table to take under management.',
      hint = 'Pass the table, e.g. select * from tide.manage(''public.events'', ''created_at'', ''1 month'');';
  end if;
  select c.relkind, c.relname, n.nspname into rel
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = parent;
  if rel.relkind = 'r' then
    raise exception using errcode = '42809',
      message = format('table %s is not partitioned', parent),
      detail = 'tide.manage() takes a table that is already PARTITION BY RANGE.',
      hint = 'Use tide.convert() to turn a plain table with data into a partitioned one.';
  elsif rel.relkind is distinct from 'p' then
    raise exception using errcode = '42809',
      message = format('%s is not a table', parent),
      detail = format('%s is a %s; tide.manage() takes a table that is PARTITION BY RANGE.', parent,
                      case rel.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table'
                                       when 'i' then 'index' when 'I' then 'partitioned index' when 'S' then 'sequence'
                                       when 'c' then 'composite type' when 't' then 'TOAST table' else 'relation of kind ' || rel.relkind::text end),
      hint = 'Pass a range-partitioned table.';
  end if;
  select pt.partstrat, pt.partnatts, pt.partattrs[0] as attnum into key from pg_partitioned_table pt where pt.partrelid = parent;
  if key.partstrat <> 'r' then
    raise exception using errcode = '42809',
      message = format('table %s is partitioned by %s, not by RANGE', parent, case key.partstrat when 'l' then 'LIST' else 'HASH' end),
      detail = format('Its partition key is %s; pgtide lays partitions out on ranges of time or of whole numbers.', pg_get_partkeydef(parent)),
      hint = 'pgtide manages range-partitioned tables only.';
  end if;
  if key.partnatts <> 1 then
    raise exception using errcode = '0A000',
      message = format('table %s has a partition key of %s columns', parent, key.partnatts),
      detail = format('Its partition key is %s.', pg_get_partkeydef(parent)),
      hint = 'pgtide manages tables partitioned by RANGE on one column.';
  end if;
  if key.attnum = 0 then
    raise exception using errcode = '0A000',
      message = format('table %s is partitioned by an expression', parent),
      detail = format('Its partition key is %s.', pg_get_partkeydef(parent)),
      hint = 'pgtide manages tables partitioned by RANGE on a plain column.';
  end if;
  if control is null then
    raise exception using errcode = '22023',
      message = format('control for %s must not be NULL', parent),
      detail = 'control is the partition key column of the table.',
      hint = format('Pass the partition key column %I.', (select a.attname from pg_attribute a where a.attrelid = parent and a.attnum = key.attnum));
  end if;
  if not exists (select from pg_attribute a where a.attrelid = parent and a.attname = control and a.attnum > 0 and not a.attisdropped) then
    raise exception using errcode = '42703',
      message = format('column %I of table %s does not exist', control, parent),
      detail = format('The partition key of %s is %s.', parent, pg_get_partkeydef(parent)),
      hint = format('The partition key column of %s is %I.', parent,
                    (select a.attname from pg_attribute a where a.attrelid = parent and a.attnum = key.attnum));
  end if;
  if (select a.attnum from pg_attribute a where a.attrelid = parent and a.attname = control) <> key.attnum then
    raise exception using errcode = '22023',
      message = format('column %I is not the partition key of %s', control, parent),
      detail = format('The partition key of %s is %s; control names the column the table is partitioned by.', parent, pg_get_partkeydef(parent)),
      hint = format('Pass the partition key column %I.', (select a.attname from pg_attribute a where a.attrelid = parent and a.attnum = key.attnum));
  end if;
  mt.control_type := (select a.atttypid::regtype from pg_attribute a where a.attrelid = parent and a.attnum = key.attnum);
  if mt.control_type not in ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype, 'integer'::regtype, 'bigint'::regtype) then
    raise exception using errcode = '0A000',
      message = format('column %I of %s has type %s, which pgtide does not partition', control, parent, mt.control_type),
      detail = 'pgtide lays partitions out on a grid of time spans or of whole numbers.',
      hint = 'Supported key types: timestamptz, timestamp, date, integer, bigint.';
  end if;
  select m.every, m.every_int, m.time_zone into managed from _tide.managed_tables m where m.parent = manage.parent;
  if found then
    raise exception using errcode = '42710',
      message = format('table %s is already managed by pgtide', parent),
      detail = format('It is managed with every => %L%s; nothing was changed.', managed.every,
                      case when managed.every_int is null then format(' in time zone %s', managed.time_zone) else '' end),
      hint = 'Change its settings with UPDATE tide.config, or call tide.unmanage() first.';
  end if;
  if time_zone is null then
    raise exception using errcode = '22023', message = format('time_zone for %s must not be NULL', parent),
      detail = 'Partition bounds are computed in this time zone.',
      hint = 'Use ''UTC'' or a zone name such as ''Europe/London''.';
  end if;
  begin
    perform now() at time zone manage.time_zone;
  exception when invalid_parameter_value then
    raise exception using errcode = '22023',
      message = format('time zone %L for %s is not recognized', time_zone, parent),
      detail = 'Partition bounds are computed in this time zone, so it must be one PostgreSQL knows.',
      hint = 'Use a name from pg_timezone_names, e.g. ''UTC'' or ''America/New_York''.';
  end;
  if on_expire is null or on_expire not in ('drop', 'detach', 'archive') then
    raise exception using errcode = '22023',
      message = format('on_expire %s for %s is not known', coalesce(quote_literal(on_expire), 'NULL'), parent),
      detail = 'on_expire says what retention does with a partition older than keep: drop it, detach it, or archive it and then drop it.',
      hint = 'Use ''drop'', ''detach'' or ''archive''.';
  end if;
  if premake is null or premake not between 1 and 1000 then
    raise exception using errcode = '22023',
      message = format('premake %s for %s is out of range', coalesce(premake::text, 'NULL'), parent),
      detail = 'premake is the number of partitions kept ready ahead of now.',
      hint = 'Use a value between 1 and 1000.';
  end if;
  if default_partition is null then
    raise exception using errcode = '22023', message = format('default_partition for %s must not be NULL', parent),
      detail = 'default_partition says whether the table gets a default partition for rows outside every partition.',
      hint = 'Use true or false.';
  end if;

  select * into parsed from _tide.parse_control_value(every, mt.control_type, 'every', parent);
  mt.parent := parent; mt.parent_schema := rel.nspname; mt.parent_name := rel.relname; mt.control := control;
  mt.every := btrim(every); mt.every_interval := parsed.as_interval; mt.every_int := parsed.as_int;
  mt.premake := premake; mt.keep := keep; mt.on_expire := on_expire; mt.time_zone := time_zone;
  mt.default_partition := default_partition; mt.enabled := true;
  mt.lock_timeout := '100 milliseconds'; mt.lock_retries := 5;
  if keep is not null then
    select * into parsed from _tide.parse_control_value(keep, mt.control_type, 'keep', parent, mt.every_interval, mt.every_int);
    mt.keep_interval := parsed.as_interval; mt.keep_int := parsed.as_int;
  end if;

  if start_at is not null then
    start_pos := _tide.key_value_position(mt, start_at, 'start_at');
  end if;

  -- adoption: every existing partition must sit on the grid (it may span several cells)
  -- (but an integer key's last cell, which reaches past the key type's range, ends at MAXVALUE)
  for p in select l.* from _tide.list_partitions(mt) l where not l.is_default loop
    if p.upper_pos is null and not (mt.every_int is not null and p.lower_pos is not null and _tide.is_grid_point(mt, p.lower_pos)
                                    and p.lower_pos > _tide.key_type_max(mt.control_type) - mt.every_int) then
      raise exception using errcode = 'TD002',
        message = format('partition %s of %s extends to MAXVALUE', p.partition, parent),
        detail = 'No partition can be created after a partition that has no upper bound.',
        hint = 'Detach that partition or give it an upper bound on the grid.';
    end if;
    if not _tide.is_grid_point(mt, p.lower_pos) or not _tide.is_grid_point(mt, p.upper_pos) then
      raise exception using errcode = 'TD002',
        message = format('partition %s of %s is not on the %s grid', p.partition, parent, mt.every),
        detail = format('Its range is [%s, %s); pgtide''s edges for every => %L%s are where such ranges start and end.',
                        coalesce(p.lower_bound, 'MINVALUE'), p.upper_bound, mt.every,
                        case when mt.every_int is null then format(' in time zone %s', mt.time_zone) else '' end),
        hint = 'Choose the interval and time_zone the existing partitions were made with, or re-create the odd partition.';
    end if;
  end loop;

  -- the partitions to create, counted before anything changes (Rule 5)
  now_pos := _tide.current_position(mt, now());
  start_pos := coalesce(start_pos, now_pos);
  from_pos := _tide.grid_floor(mt, start_pos);
  if mt.every_int is not null then
    thru_pos := _tide.premake_horizon(mt, greatest(start_pos, now_pos));  -- at most the key type's largest value
  else
    thru_pos := _tide.grid_floor(mt, greatest(start_pos, now_pos));
    for i in 0 .. mt.premake loop
      thru_pos := _tide.grid_next(mt, thru_pos);
    end loop;
  end if;
  select least(from_pos, min(coalesce(l.lower_pos, l.upper_pos))) into from_pos from _tide.list_partitions(mt) l where not l.is_default;
  select array_agg(s.lower_pos order by s.lower_pos), array_agg(s.upper_pos order by s.lower_pos) into los, his
    from _tide.missing_slots(mt, from_pos, thru_pos) s;
  if cardinality(los) > 1000 then
    raise exception using errcode = '22023',
      message = format('tide.manage(%s) would create %s partitions, more than 1000', parent, cardinality(los)),
      detail = format('From %s to %s ahead of now with every => %L.', _tide.position_bound(mt, from_pos), _tide.position_bound(mt, thru_pos), mt.every),
      hint = 'Choose a later start_at, a larger interval or a smaller premake; tide.create_partitions() can back-fill older ranges in steps.';
  end if;

  perform set_config('lock_timeout', _tide.lock_timeout_setting(mt.lock_timeout), true);
  insert into _tide.managed_tables (parent, parent_schema, parent_name, control, control_type, every, every_interval, every_int,
                                    premake, keep, on_expire, time_zone, default_partition)
  values (mt.parent, mt.parent_schema, mt.parent_name, mt.control, mt.control_type, mt.every, mt.every_interval, mt.every_int,
          mt.premake, mt.keep, mt.on_expire, mt.time_zone, mt.default_partition)
  returning * into mt;
  perform _tide.log_action(null, parent, 'manage', null, 'ok',
                           message => format('every %s, premake %s, keep %s, on_expire %s, time zone %s',
                                             mt.every, mt.premake, coalesce(mt.keep, 'forever'), mt.on_expire, mt.time_zone));

  if mt.default_partition and not exists (select from pg_partitioned_table pt where pt.partrelid = mt.parent and pt.partdefid <> 0) then
    partition := _tide.create_default_partition(mt);
    lower_bound := null; upper_bound := null; is_default := true; rows_moved := 0;
    return next;
  end if;

  for i in 1 .. coalesce(cardinality(los), 0) loop
    select c.partition, c.lower_bound, c.upper_bound, false, c.rows_moved
      into partition, lower_bound, upper_bound, is_default, rows_moved
      from _tide.create_partition(mt, los[i], his[i]) c;
    return next;
  end loop;
  perform set_config('lock_timeout', old_lt, true);
end
$fn$;

comment on function tide.manage(regclass, name, text, integer, text, text, text, text, boolean) is
  'Takes a RANGE-partitioned table under pgtide management: adopts its partitions, creates the default partition and partitions from start_at (default now) to premake intervals ahead; returns one row per partition created. Locks: SHARE UPDATE EXCLUSIVE on the parent per ATTACH, each wait bounded by lock_timeout.';
