-- The engine's partition grid: every interval kind, every key type, names, month ends, leap days,
-- DST in America/New_York and Europe/London, and independence from the session TimeZone.
-- Fixed instants: start_at lies after the real clock, and maintenance gets as_of.

create or replace function tests.engine_parts(p regclass) returns text[] language sql as $$
  select array_agg(c.relname || ' ' || coalesce(b.lower_bound, '-') || ' ' || coalesce(b.upper_bound, '-') order by b.is_default, b.lower_bound)
    from pg_inherits i join pg_class c on c.oid = i.inhrelid, _tide.partition_bounds(i.inhrelid::regclass) b
   where i.inhparent = p $$;

create or replace function tests.test_engine_month_timestamptz() returns setof text language plpgsql as $$
begin
  create table ev (at timestamptz not null, v int) partition by range (at);
  return next is((select count(*)::int from tide.manage('ev', 'at', '1 month', premake => 2, start_at => '2031-01-15')), 4,
                 'manage creates the default partition plus the month holding start_at and 2 ahead');
  return next is(tests.engine_parts('ev'), array[
    'ev_2031_01 2031-01-01 00:00:00+00 2031-02-01 00:00:00+00',
    'ev_2031_02 2031-02-01 00:00:00+00 2031-03-01 00:00:00+00',
    'ev_2031_03 2031-03-01 00:00:00+00 2031-04-01 00:00:00+00',
    'ev_default - -'], 'monthly partitions are named YYYY_MM and start at UTC midnight on the 1st');
end $$;

create or replace function tests.test_engine_month_new_york_local_midnight() returns setof text language plpgsql as $$
begin
  create table ny (at timestamptz not null) partition by range (at);
  perform tide.manage('ny', 'at', '1 month', premake => 1, start_at => '2031-03-01', time_zone => 'America/New_York');
  return next is(tests.engine_parts('ny'), array[
    'ny_2031_03 2031-03-01 05:00:00+00 2031-04-01 04:00:00+00',
    'ny_2031_04 2031-04-01 04:00:00+00 2031-05-01 04:00:00+00',
    'ny_default - -'], 'months in America/New_York start at local midnight on both sides of the March DST change');
end $$;

create or replace function tests.test_engine_hour_new_york_spring_forward() returns setof text language plpgsql as $$
begin
  create table h (at timestamptz not null) partition by range (at);
  perform tide.manage('h', 'at', '1 hour', premake => 3, start_at => '2031-03-09 01:00', time_zone => 'America/New_York', default_partition => false);
  return next is(tests.engine_parts('h'), array[
    'h_2031_03_09_0100 2031-03-09 06:00:00+00 2031-03-09 07:00:00+00',
    'h_2031_03_09_0300 2031-03-09 07:00:00+00 2031-03-09 08:00:00+00',
    'h_2031_03_09_0400 2031-03-09 08:00:00+00 2031-03-09 09:00:00+00',
    'h_2031_03_09_0500 2031-03-09 09:00:00+00 2031-03-09 10:00:00+00'],
    'the hour skipped by spring-forward gets no (empty) partition and the series stays contiguous');
end $$;

create or replace function tests.test_engine_hour_new_york_fall_back() returns setof text language plpgsql as $$
begin
  create table h (at timestamptz not null) partition by range (at);
  perform tide.manage('h', 'at', '1 hour', premake => 2, start_at => '2031-11-02 00:00', time_zone => 'America/New_York', default_partition => false);
  return next is(tests.engine_parts('h'), array[
    'h_2031_11_02_0000 2031-11-02 04:00:00+00 2031-11-02 06:00:00+00',
    'h_2031_11_02_0100 2031-11-02 06:00:00+00 2031-11-02 07:00:00+00',
    'h_2031_11_02_0200 2031-11-02 07:00:00+00 2031-11-02 08:00:00+00'],
    'the repeated hour of fall-back is covered without overlap (the 00:00 partition spans two real hours)');
  insert into h values ('2031-11-02 05:30:00+00'), ('2031-11-02 06:30:00+00');
  return next is((select count(*)::int from h), 2, 'both instants of the repeated 01:30 are routed to a partition');
end $$;

create or replace function tests.test_engine_day_london_dst() returns setof text language plpgsql as $$
begin
  create table d (at timestamptz not null) partition by range (at);
  perform tide.manage('d', 'at', '1 day', premake => 1, start_at => '2031-03-30', time_zone => 'Europe/London', default_partition => false);
  perform _tide.maintain_table('d', '2031-10-26 12:00+00');
  return next is((select array_agg(lower_bound || ' ' || upper_bound order by lower_bound) from _tide.list_partitions(
                   (select m from _tide.managed_tables m where parent = 'd'::regclass)) where lower_bound in
                   ('2031-03-30 00:00:00+00', '2031-10-26 00:00:00+00', '2031-10-25 23:00:00+00')),
                 array['2031-03-30 00:00:00+00 2031-03-30 23:00:00+00', '2031-10-25 23:00:00+00 2031-10-27 00:00:00+00'],
                 'London days around both DST changes are 23 and 25 hours long, starting at local midnight');
  return next ok(exists (select from pg_class where relname = 'd_2031_10_26'), 'day partitions are named YYYY_MM_DD');
end $$;

create or replace function tests.test_engine_week_iso_monday() returns setof text language plpgsql as $$
begin
  create table w (at timestamptz not null) partition by range (at);
  perform tide.manage('w', 'at', '1 week', premake => 1, start_at => '2031-01-01', default_partition => false);
  return next is(tests.engine_parts('w'), array[
    'w_2031_w01 2030-12-30 00:00:00+00 2031-01-06 00:00:00+00',
    'w_2031_w02 2031-01-06 00:00:00+00 2031-01-13 00:00:00+00'],
    'weeks start on ISO Monday and are named IYYY_wIW (2031-01-01 is in ISO week 1 starting 2030-12-30)');
end $$;

create or replace function tests.test_engine_two_weeks() returns setof text language plpgsql as $$
begin
  create table w (at timestamptz not null) partition by range (at);
  perform tide.manage('w', 'at', '2 weeks', premake => 1, start_at => '2031-01-01', default_partition => false);
  return next is(tests.engine_parts('w'), array[
    'w_2030_w52 2030-12-23 00:00:00+00 2031-01-06 00:00:00+00',
    'w_2031_w02 2031-01-06 00:00:00+00 2031-01-20 00:00:00+00'],
    'two-week partitions start on Mondays of a fixed fortnight grid');
end $$;

create or replace function tests.test_engine_quarter_and_year() returns setof text language plpgsql as $$
begin
  create table q (at timestamptz not null) partition by range (at);
  create table y (at date not null) partition by range (at);
  perform tide.manage('q', 'at', '3 months', premake => 1, start_at => '2031-05-20', default_partition => false);
  perform tide.manage('y', 'at', '1 year', premake => 1, start_at => '2031-05-20', default_partition => false);
  return next is(tests.engine_parts('q'), array[
    'q_2031_q2 2031-04-01 00:00:00+00 2031-07-01 00:00:00+00',
    'q_2031_q3 2031-07-01 00:00:00+00 2031-10-01 00:00:00+00'], 'quarters start in Jan/Apr/Jul/Oct and are named YYYY_qN');
  return next is(tests.engine_parts('y'), array['y_2031 2031-01-01 2032-01-01', 'y_2032 2032-01-01 2033-01-01'],
                 'yearly partitions of a date key are named YYYY');
end $$;

create or replace function tests.test_engine_six_hours_other_names() returns setof text language plpgsql as $$
begin
  create table s (at timestamp not null) partition by range (at);
  perform tide.manage('s', 'at', '6 hours', premake => 1, start_at => '2031-02-28 20:00', default_partition => false);
  return next is(tests.engine_parts('s'), array[
    's_2031_02_28_1800 2031-02-28 18:00:00 2031-03-01 00:00:00',
    's_2031_03_01_0000 2031-03-01 00:00:00 2031-03-01 06:00:00'],
    'a timestamp key on a 6-hour grid crosses the month end at midnight; names carry HH24MI');
end $$;

create or replace function tests.test_engine_leap_day() returns setof text language plpgsql as $$
begin
  create table l (at date not null) partition by range (at);
  perform tide.manage('l', 'at', '1 day', premake => 1, start_at => '2032-02-29', default_partition => false);
  return next is(tests.engine_parts('l'), array['l_2032_02_29 2032-02-29 2032-03-01', 'l_2032_03_01 2032-03-01 2032-03-02'],
                 'the leap day gets its own daily partition and March follows it');
end $$;

create or replace function tests.test_engine_month_ends() returns setof text language plpgsql as $$
begin
  create table m (at timestamp not null) partition by range (at);
  perform tide.manage('m', 'at', '1 month', premake => 2, start_at => '2031-01-31 23:59:59', default_partition => false);
  return next is(tests.engine_parts('m'), array[
    'm_2031_01 2031-01-01 00:00:00 2031-02-01 00:00:00',
    'm_2031_02 2031-02-01 00:00:00 2031-03-01 00:00:00',
    'm_2031_03 2031-03-01 00:00:00 2031-04-01 00:00:00'], 'the last second of January lands in January; February has 28 days');
end $$;

create or replace function tests.test_engine_integer_and_bigint() returns setof text language plpgsql as $$
begin
  create table i4 (id integer not null) partition by range (id);
  create table i8 (id bigint not null) partition by range (id);
  perform tide.manage('i4', 'id', '1000', premake => 1, start_at => '2500', default_partition => false);
  perform tide.manage('i8', 'id', '1000000', premake => 2, start_at => '5000001', default_partition => false);
  return next is(tests.engine_parts('i4'), array['i4_p2000 2000 3000', 'i4_p3000 3000 4000'], 'integer keys: p<lower> names, multiples of every');
  return next is((select count(*)::int from pg_inherits where inhparent = 'i8'::regclass), 3, 'bigint keys: premake 2 gives three partitions');
  insert into i4 select g from generate_series(2000, 3999) g;
  return next is((_tide.maintain_table('i4')).partitions_created, 1, 'integer maintenance follows the largest key present (3999 → one more ahead)');
end $$;

create or replace function tests.test_engine_session_timezone_irrelevant() returns setof text language plpgsql as $$
declare before text[];
begin
  set local timezone = 'Asia/Kolkata';
  create table z (at timestamptz not null) partition by range (at);
  perform tide.manage('z', 'at', '1 day', premake => 1, start_at => '2031-06-01', time_zone => 'Europe/London', default_partition => false);
  set local timezone = 'Pacific/Chatham';
  perform _tide.maintain_table('z', '2031-06-02 12:00+00');
  set local timezone = 'UTC';
  return next is(tests.engine_parts('z'), array[
    'z_2031_06_01 2031-05-31 23:00:00+00 2031-06-01 23:00:00+00',
    'z_2031_06_02 2031-06-01 23:00:00+00 2031-06-02 23:00:00+00',
    'z_2031_06_03 2031-06-02 23:00:00+00 2031-06-03 23:00:00+00'],
    'bounds follow the table''s zone (London midnight) whatever the session TimeZone at manage and at maintenance');
end $$;

create or replace function tests.test_grid_keep_in_hours_is_elapsed_time() returns setof text language plpgsql as $$
begin
  -- hourly partitions in Europe/Berlin, keep 24 hours, across the night the clocks go forward
  -- (2031-03-30 02:00 CET -> 03:00 CEST): as_of - keep is 24 real hours back, not 24 on the wall clock
  create table hk (at timestamptz not null) partition by range (at);
  perform tide.manage('hk', 'at', '1 hour', premake => 2, keep => '24 hours', time_zone => 'Europe/Berlin',
                      start_at => '2031-03-29 20:00', default_partition => false);
  perform _tide.maintain_table('hk', '2031-03-29 22:30+00');
  perform _tide.maintain_table('hk', '2031-03-30 22:30+00');
  return next ok(exists (select from pg_class where relname = 'hk_2031_03_29_2300'),
                 'the hour ending 23:00 UTC the day before is kept: as_of - 24 hours (22:30 UTC) is inside it');
  return next ok(not exists (select from pg_class where relname = 'hk_2031_03_29_2200'),
                 'the hour before it, wholly older than 24 hours, expired');
  return next cmp_ok(_tide.next_due_at(_tide.load_managed_table('hk'), '2031-03-30 22:30+00', _tide.key_position(_tide.load_managed_table('hk'), '2031-03-29 23:00+00')),
                     '<=', '2031-03-30 23:00+00'::timestamptz, 'and the next-due time is no later than the instant that hour expires');
end $$;

create or replace function tests.test_grid_keep_in_hours_timestamp_key() returns setof text language plpgsql as $$
begin
  -- a timestamp key holds wall-clock times of the table's zone: '48 hours' is 48 real hours for it
  -- too, across the night London's clocks go forward (2031-03-30 01:00 GMT -> 02:00 BST)
  create table hw (ts timestamp not null) partition by range (ts);
  perform tide.manage('hw', 'ts', '1 day', premake => 2, keep => '48 hours', time_zone => 'Europe/London',
                      start_at => '2031-03-27', default_partition => false);
  insert into hw values ('2031-03-29 23:45');  -- 23:45 GMT: 47 h 45 min before as_of
  perform _tide.maintain_table('hw', '2031-03-31 23:30+00');
  return next is((select count(*)::int from hw), 1, 'the row younger than 48 hours is kept');
  return next ok(not exists (select from pg_class where relname = 'hw_2031_03_28'), 'the day wholly older than 48 hours expired');
end $$;

create or replace function tests.test_grid_next_due_at_on_fall_back() returns setof text language plpgsql as $$
declare mt _tide.managed_tables;
begin
  -- London's clocks go back on 2031-10-26 (02:00 BST -> 01:00 GMT): 01:00-02:00 happens twice
  create table hq (at timestamptz not null) partition by range (at);
  perform tide.manage('hq', 'at', '1 hour', premake => 2, keep => '24 hours', time_zone => 'Europe/London',
                      start_at => '2031-10-25 00:00', default_partition => false);
  mt := _tide.load_managed_table('hq');
  -- the partition ending 2031-10-25 00:00 UTC expires 24 real hours later, at 00:00 UTC (01:00 BST, the first 01:00)
  return next is(_tide.next_due_at(mt, '2031-10-25 23:50+00', _tide.key_position(mt, '2031-10-25 00:00+00')),
                 '2031-10-26 00:00+00'::timestamptz, 'the expiry is not an hour late across the change back');
end $$;

create or replace function tests.test_grid_keep_in_hours_on_fall_back() returns setof text language plpgsql as $$
begin
  -- New York's clocks go back on 2031-11-02 (02:00 EDT -> 01:00 EST): '48 hours' stays 48 real hours
  create table hf (at timestamptz not null) partition by range (at);
  perform tide.manage('hf', 'at', '1 hour', premake => 2, keep => '48 hours', time_zone => 'America/New_York',
                      start_at => '2031-11-01 20:00', default_partition => false);
  perform _tide.maintain_table('hf', '2031-11-02 05:50+00');
  insert into hf values ('2031-11-02 05:45+00');  -- 47 h 45 min before as_of
  return next is(_tide.retention_cutoff(_tide.load_managed_table('hf'), '2031-11-04 05:30+00'),
                 _tide.key_position(_tide.load_managed_table('hf'), '2031-11-02 05:30+00'), 'the cutoff is as_of - 48 hours exactly');
  perform _tide.maintain_table('hf', '2031-11-04 05:30+00');
  return next is((select count(*)::int from hf), 1, 'the row younger than 48 hours is kept');
end $$;

-- The grid by definition, from the position helpers alone: the cell's local start at or below a
-- position (stepping back where a DST change moved it past), and the next point after a grid point
-- (passing over a cell a DST change left empty).
create or replace function tests.grid_floor_ref(mt _tide.managed_tables, pos bigint) returns bigint language plpgsql as $$
declare fl timestamp := _tide.grid_floor_local(_tide.position_local(mt, pos), mt.every_interval); g bigint;
begin
  g := _tide.local_position(mt, fl);
  while g > pos loop fl := fl - mt.every_interval; g := _tide.local_position(mt, fl); end loop;
  return g;
end $$;
create or replace function tests.grid_next_ref(mt _tide.managed_tables, pos bigint) returns bigint language plpgsql as $$
declare loc timestamp := _tide.grid_floor_local(_tide.position_local(mt, pos), mt.every_interval); g bigint;
begin
  loop loc := loc + mt.every_interval; g := _tide.local_position(mt, loc); exit when g > pos; end loop;
  return g;
end $$;

-- grid_point (behind grid_floor, grid_next, premake_horizon and next_due_at) takes several cells in
-- one step where none can be empty; every answer must be the grid's by definition, for every grid
-- kind and zone: the floor, the next point, and the window's end premake + 1 cells on.
create or replace function tests.test_grid_point_is_the_cell_by_cell_walk() returns setof text language plpgsql as $$
declare
  cfg record;
  mt _tide.managed_tables;
  pos bigint;
  walk bigint;
  bad text[] := '{}';
  n integer := 0;
begin
  for cfg in select * from (values
      ('g_d_ny', 'timestamptz', '1 day', 'America/New_York'), ('g_d_lon', 'timestamptz', '1 day', 'Europe/London'),
      ('g_w_ny', 'timestamptz', '2 weeks', 'America/New_York'), ('g_m_ny', 'timestamptz', '1 month', 'America/New_York'),
      ('g_q_lon', 'timestamptz', '3 months', 'Europe/London'), ('g_h_utc', 'timestamptz', '6 hours', 'UTC'),
      ('g_h_ny', 'timestamptz', '1 hour', 'America/New_York'), ('g_h_ts', 'timestamp', '1 hour', 'America/New_York'),
      ('g_d_date', 'date', '1 day', 'Europe/London'), ('g_d_hav', 'timestamptz', '1 day', 'America/Havana'), ('g_h_hav', 'timestamptz', '2 hours', 'America/Havana'),
      ('g_d_apia', 'timestamptz', '1 day', 'Pacific/Apia'), ('g_2d_apia', 'timestamptz', '2 days', 'Pacific/Apia')) v(tbl, typ, every, zone) loop
    execute format('create table %I (at %s not null) partition by range (at)', cfg.tbl, cfg.typ);
    perform tide.manage(cfg.tbl::regclass, 'at', cfg.every, premake => 3, start_at => '2031-01-01', time_zone => cfg.zone,
                        default_partition => false);
    mt := _tide.load_managed_table(cfg.tbl::regclass);
    -- every 7 hours over two years (month ends, leap day 2032-02-29), every hour of the days around
    -- the 2031 DST changes of the zones (an hour cell skipped in spring), and of the week in which
    -- Samoa skipped 2011-12-30 (an empty day cell)
    for pos in select _tide.key_position(mt, t::text)
                 from (select generate_series(timestamptz '2031-01-01', '2033-01-01', interval '7 hours')
                       union select generate_series(d, d + interval '2 days', interval '1 hour')
                               from unnest(array['2031-03-08', '2031-03-29', '2031-10-25', '2031-11-01']::timestamptz[]) d
                       union select generate_series(timestamptz '2011-12-25', '2012-01-02', interval '1 hour')) g(t) loop
      walk := tests.grid_floor_ref(mt, pos);
      n := n + 1;
      if _tide.grid_floor(mt, pos) is distinct from walk then
        bad := bad || format('%s: floor at %s: %s, by definition %s', cfg.tbl, _tide.position_bound(mt, pos),
                             _tide.position_bound(mt, _tide.grid_floor(mt, pos)), _tide.position_bound(mt, walk));
      end if;
      if _tide.grid_next(mt, walk) is distinct from tests.grid_next_ref(mt, walk) then
        bad := bad || format('%s: next after %s: %s, by definition %s', cfg.tbl, _tide.position_bound(mt, walk),
                             _tide.position_bound(mt, _tide.grid_next(mt, walk)), _tide.position_bound(mt, tests.grid_next_ref(mt, walk)));
      end if;
      for i in 0 .. mt.premake loop
        walk := tests.grid_next_ref(mt, walk);
      end loop;
      if _tide.premake_horizon(mt, pos) is distinct from walk then
        bad := bad || format('%s: horizon at %s: %s, walked %s', cfg.tbl, _tide.position_bound(mt, pos),
                             _tide.position_bound(mt, _tide.premake_horizon(mt, pos)), _tide.position_bound(mt, walk));
      end if;
    end loop;
  end loop;
  return next is(bad, '{}'::text[], format('floor, next point and horizon are the grid''s at all %s positions', n));
end $$;

-- missing_slots_among passes a contiguous run of partitions in one step; what it returns and what it
-- refuses must be what the partition-by-partition walk gives.
create or replace function tests.test_grid_missing_slots_across_a_contiguous_listing() returns setof text language plpgsql as $$
declare
  mt _tide.managed_tables;
  d bigint := 86400000000;
  base bigint;
  p regclass[];
begin
  create table ms (at timestamptz not null) partition by range (at);
  perform tide.manage('ms', 'at', '1 day', premake => 1, start_at => '2031-01-01', default_partition => false);
  mt := _tide.load_managed_table('ms');
  base := _tide.key_position(mt, '2031-01-01');
  p := array['ms_2031_01_01', 'ms_2031_01_02']::regclass[];
  p := p || p || p;  -- names only appear in errors
  return next is((select array_agg(s.lower_pos - base) from _tide.missing_slots_among(mt, base, base + 6 * d,
                   array[base, base + d, base + 2 * d], array[base + d, base + 2 * d, base + 3 * d], p[1:3]) s),
                 array[3 * d, 4 * d, 5 * d], 'after three contiguous days, the cells up to the horizon');
  return next is((select count(*)::int from _tide.missing_slots_among(mt, base, base + 2 * d,
                   array[base, base + d, base + 2 * d], array[base + d, base + 2 * d, base + 3 * d], p[1:3]) s),
                 0, 'a horizon inside the run: nothing');
  return next is((select array_agg(s.lower_pos - base) from _tide.missing_slots_among(mt, base + d, base + 6 * d,
                   array[base, base + d, base + 2 * d], array[base + d, base + 2 * d, base + 3 * d], p[1:3]) s),
                 array[3 * d, 4 * d, 5 * d], 'a start inside the run');
  return next is((select array_agg(s.lower_pos - base) from _tide.missing_slots_among(mt, base, base + 5 * d,
                   array[base, base + d, base + 3 * d], array[base + d, base + 2 * d, base + 4 * d], p[1:3]) s),
                 array[2 * d, 4 * d], 'a gap in the listing is still found');
  return next throws_ok(format($q$select * from _tide.missing_slots_among(_tide.load_managed_table('ms'), %s, %s,
                   array[%s, %s]::bigint[], array[%s, %s]::bigint[], array['ms_2031_01_01', 'ms_2031_01_02']::regclass[])$q$,
                   base, base + 5 * d, base, base + d, base + d, base + d + 3600000000),
                 'TD002', null, 'the last partition of a run ending off the grid is refused');
  return next is((select count(*)::int from _tide.missing_slots_among(mt, base, base + d,
                   array[base, base + d]::bigint[], array[base + d, base + d + 3600000000]::bigint[], p[1:2]) s),
                 0, 'but not when the horizon lies before it, as before');
end $$;
