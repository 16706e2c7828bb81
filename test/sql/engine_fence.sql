-- The default-partition fence (Rule 1 with a default): with rows in the default, the cells about to
-- be created are excluded by a validated CHECK before ATTACH, so ATTACH scans nothing.

-- Fixture: daily partitions, premake 2, 500 old rows in the default (older than every partition).
create or replace function tests.fence_fixture(t text) returns void language plpgsql as $$
begin
  execute format('create table %I (id bigint not null, at timestamptz not null, note text) partition by range (at)', t);
  perform tide.manage(t::regclass, 'at', '1 day', premake => 2, start_at => '2030-03-01');
  perform _tide.maintain_table(t::regclass, '2030-03-01 12:00+00');
  execute format('insert into %I select g, ''2020-01-01''::timestamptz + g * interval ''1 hour'', ''old'' from generate_series(1, 500) g', t);
end $$;

-- The fixture with the fence of the next day added and validated, as a run's fence step leaves it.
create or replace function tests.validated_fence_fixture(t text) returns name language plpgsql as $$
declare
  mt    _tide.managed_tables;
  fence name;
begin
  perform tests.fence_fixture(t);
  mt := _tide.load_managed_table(t::regclass);
  fence := _tide.fence_default(mt, '2030-03-02 12:00+00');
  perform _tide.validate_fence(mt, fence);
  return fence;
end $$;

create or replace function tests.default_scans(t text) returns bigint language sql as $$
  select coalesce((select s.seq_scan from pg_stat_xact_user_tables s where s.relid = (t || '_default')::regclass), 0)
$$;

create or replace function tests.test_fence_attach_scans_nothing() returns setof text language plpgsql as $$
declare
  mt    _tide.managed_tables;
  fence name;
  s0    bigint;
begin
  perform tests.fence_fixture('fa');
  mt := _tide.load_managed_table('fa');
  fence := _tide.fence_default(mt, '2030-03-02 12:00+00');
  return next is(fence::text, format('tide_fence_%s_%s', _tide.key_value_position(mt, '2030-03-04 00:00', 'x'),
                                     _tide.key_value_position(mt, '2030-03-05 00:00', 'x')),
                 'the fence covers the one cell about to be created, named by its positions');
  return next is((select convalidated from pg_constraint where conrelid = 'fa_default'::regclass and conname = fence), false,
                 'it is added NOT VALID');
  return next is(_tide.validate_fence(mt, fence), 'validated', 'and validates against a default holding only other rows');
  s0 := tests.default_scans('fa');
  perform _tide.maintain_table('fa', '2030-03-02 12:00+00');
  return next is((select count(*)::int from pg_inherits where inhparent = 'fa'::regclass and inhrelid = 'fa_2030_03_04'::regclass), 1,
                 'maintenance created the fenced cell');
  return next is(tests.default_scans('fa') - s0, 0::bigint, 'and its ATTACH did not scan the default partition');
  return next is((select count(*)::int from only fa_default), 500, 'the default keeps its rows');
  return next is((select count(*)::int from pg_constraint where conrelid = 'fa_default'::regclass and conname = fence and convalidated), 1,
                 'the validated fence stays on the default after the run');
end $$;

create or replace function tests.test_fence_unfenced_attach_scans_default() returns setof text language plpgsql as $$
declare
  s0 bigint;
begin
  -- the control for the test above: without the fence, ATTACH reads the default
  perform tests.fence_fixture('fu');
  s0 := tests.default_scans('fu');
  perform _tide.maintain_table('fu', '2030-03-02 12:00+00');
  return next cmp_ok(tests.default_scans('fu') - s0, '>', 0::bigint, 'an unfenced ATTACH scans the non-empty default');
end $$;

create or replace function tests.test_fence_refuses_rows_of_the_fenced_range() returns setof text language plpgsql as $$
declare
  mt    _tide.managed_tables;
  fence name;
begin
  perform tests.fence_fixture('fr');
  mt := _tide.load_managed_table('fr');
  fence := _tide.fence_default(mt, '2030-03-02 12:00+00');
  return next throws_ok($q$insert into fr values (1, '2030-03-04 06:00+00', 'early')$q$, '23514', null,
                        'while fenced, a row of the cell about to be created is refused by the default');
  return next lives_ok($q$insert into fr values (2, '2030-03-02 18:00+00', 'now')$q$, 'a row of the current cell still lands');
  return next lives_ok($q$insert into fr values (3, '2030-03-09 00:00+00', 'far')$q$, 'a row past the fenced window still lands in the default');
end $$;

create or replace function tests.test_fence_default_rows_of_range_are_moved() returns setof text language plpgsql as $$
declare
  mt    _tide.managed_tables;
  fence name;
begin
  perform tests.fence_fixture('fm');
  insert into fm values (9, '2030-03-04 06:00+00', 'early');  -- lands in the default: no partition yet
  mt := _tide.load_managed_table('fm');
  fence := _tide.fence_default(mt, '2030-03-02 12:00+00');
  return next is(_tide.validate_fence(mt, fence), 'dropped', 'a default holding rows of the range fails validation and the fence is dropped');
  return next is((select count(*)::int from pg_constraint where conrelid = 'fm_default'::regclass and conname like 'tide_fence%'), 0,
                 'no fence is left behind');
  perform _tide.maintain_table('fm', '2030-03-02 12:00+00');
  return next is((select count(*)::int from only fm_2030_03_04 where note = 'early'), 1, 'creation moved the row into its partition as usual');
  return next is((select count(*)::int from fm), 501, 'no row lost');
end $$;

create or replace function tests.test_fence_not_needed_cases() returns setof text language plpgsql as $$
declare
  mt _tide.managed_tables;
begin
  create table fe (id bigint not null, at timestamptz not null) partition by range (at);
  perform tide.manage('fe', 'at', '1 day', premake => 2, start_at => '2030-03-01');
  perform _tide.maintain_table('fe', '2030-03-01 12:00+00');
  mt := _tide.load_managed_table('fe');
  return next is(_tide.fence_default(mt, '2030-03-02 12:00+00'), null, 'an empty default needs no fence (ATTACH scans nothing)');
  perform tests.fence_fixture('fn');
  mt := _tide.load_managed_table('fn');
  return next is(_tide.fence_default(mt, '2030-03-01 12:00+00'), null, 'nothing about to be created: no fence');
  return next is(_tide.validate_fence(mt, _tide.fence_default(mt, '2030-03-02 12:00+00')), 'validated', 'a fence for the next cell');
  return next is(_tide.fence_default(mt, '2030-03-02 12:00+00'), null, 'a validated fence already covering the window is reused');
  perform _tide.maintain_table('fn', '2030-03-02 12:00+00');
  return next alike(_tide.fence_default(mt, '2030-03-03 12:00+00')::text, 'tide_fence_%', 'the next day gets a new fence');
  return next is((select count(*)::int from pg_constraint where conrelid = 'fn_default'::regclass and conname like 'tide_fence%'), 1,
                 'which replaced the earlier one in the same statement');
end $$;

create or replace function tests.test_fence_goes_with_unmanage() returns setof text language plpgsql as $$
declare
  mt _tide.managed_tables;
begin
  perform tests.fence_fixture('fg');
  mt := _tide.load_managed_table('fg');
  perform _tide.validate_fence(mt, _tide.fence_default(mt, '2030-03-02 12:00+00'));
  perform set_config('lock_timeout', '7s', true);
  perform tide.unmanage('fg');
  return next is((select count(*)::int from pg_constraint where conrelid = 'fg_default'::regclass and conname like 'tide_fence%'), 0,
                 'unmanage drops the fence from the default partition');
  return next is(current_setting('lock_timeout'), '7s', 'and leaves the caller''s lock_timeout as it was');
  return next lives_ok($q$insert into fg values (1, '2030-03-04 06:00+00', 'early')$q$, 'rows of the once-fenced range land again');
end $$;

create or replace function tests.test_fence_under_the_tables_lock_timeout() returns setof text language plpgsql as $$
declare
  mt _tide.managed_tables;
begin
  return next is(_tide.lock_timeout_setting('100 milliseconds'), '100ms', 'a lock_timeout is set in whole milliseconds');
  return next is(_tide.lock_timeout_setting('2 seconds'), '2000ms', 'seconds become milliseconds');
  return next is(_tide.lock_timeout_setting('1.4 milliseconds'), '1ms', 'the smallest accepted value rounds to 1 ms, never to 0 (no timeout)');
  perform tests.fence_fixture('fl');
  update tide.config set lock_timeout = '250 ms' where parent = 'fl'::regclass;
  mt := _tide.load_managed_table('fl');
  perform set_config('lock_timeout', '7s', true);
  perform _tide.fence_default(mt, '2030-03-02 12:00+00');
  return next is(current_setting('lock_timeout'), '250ms', 'the fence is added under the table''s lock_timeout from tide.config');
end $$;

create or replace function tests.test_fence_integer_spares_the_series() returns setof text language plpgsql as $$
declare
  mt    _tide.managed_tables;
  fence name;
  s0    bigint;
begin
  -- the series has outrun premake into the default: its next keys must keep landing
  create table fi (id bigint not null, v text) partition by range (id);
  perform tide.manage('fi', 'id', '1000', premake => 2, start_at => '0');
  insert into fi select g, 'x' from generate_series(1, 3500) g;
  mt := _tide.load_managed_table('fi');
  fence := _tide.fence_default(mt, now());
  return next lives_ok($q$insert into fi values (3501, 'next row')$q$, 'the next key of the series lands in the default after the fence step');
  return next lives_ok($q$insert into fi values (5999, 'the cell after')$q$, 'and so does a key of the cell after the largest one');
  return next is(fence, null, 'no fence: every cell about to be created is at or below the cell after the largest key');
  -- stray keys below every partition: the series is in its partitions, and the fence starts past
  -- the cell after its largest key
  create table fj (id bigint not null, v text) partition by range (id);
  perform tide.manage('fj', 'id', '1000', premake => 2, start_at => '0');
  insert into fj select -g, 'stray' from generate_series(1, 500) g;
  insert into fj select g, 'x' from generate_series(1, 1500) g;
  mt := _tide.load_managed_table('fj');
  fence := _tide.fence_default(mt, now());
  return next is(fence::text, 'tide_fence_3000_4000', 'with the largest key in cell 1000, the fence starts at 3000');
  return next is(_tide.validate_fence(mt, fence), 'validated', 'the fence validates: it lies past every row of the default');
  s0 := tests.default_scans('fj');
  perform _tide.maintain_table('fj', now());
  return next ok(exists (select from pg_inherits where inhrelid = 'fj_p3000'::regclass), 'maintenance created the fenced cell');
  return next is(tests.default_scans('fj') - s0, 0::bigint, 'and its ATTACH did not scan the default partition');
end $$;

create or replace function tests.test_fence_that_no_longer_serves_is_dropped() returns setof text language plpgsql as $$
declare
  mt    _tide.managed_tables;
  fence name;
begin
  -- a validated fence whose cell now has a partition, and a default emptied since
  fence := tests.validated_fence_fixture('fd');
  mt := _tide.load_managed_table('fd');
  perform _tide.maintain_table('fd', '2030-03-02 12:00+00');
  delete from fd where note = 'old';
  return next is(_tide.fence_default(mt, '2030-03-02 12:00+00'), null, 'an empty default gets no fence');
  return next is((select count(*)::int from pg_constraint where conrelid = 'fd_default'::regclass and conname like 'tide_fence%'), 0,
                 'and the fence left by the earlier run is dropped');
  drop table fd_2030_03_04;  -- retention, or a DBA, drops the partition of the once-fenced cell
  return next lives_ok($q$insert into fd values (1, '2030-03-04 06:00+00', 'late')$q$, 'a late row of that cell lands in the default again');
  -- the default still holds rows, and the fence's cell has a partition: nothing is about to be created
  perform tests.validated_fence_fixture('fk');
  mt := _tide.load_managed_table('fk');
  perform _tide.maintain_table('fk', '2030-03-02 12:00+00');
  return next is(_tide.fence_default(mt, '2030-03-02 12:00+00'), null, 'nothing about to be created: no fence');
  return next is((select count(*)::int from pg_constraint where conrelid = 'fk_default'::regclass and conname like 'tide_fence%'), 0,
                 'and the fence whose cells all have partitions now is dropped');
  drop table fk_2030_03_04;
  return next lives_ok($q$insert into fk values (1, '2030-03-04 06:00+00', 'late')$q$, 'a row of a dropped partition''s range lands in the default');
end $$;

create or replace function tests.test_fence_goes_when_maintenance_is_disabled() returns setof text language plpgsql as $$
begin
  perform tests.validated_fence_fixture('fd');
  return next is((select count(*)::int from pg_constraint where conrelid = 'fd_default'::regclass and conname like 'tide_fence%' and convalidated), 1,
                 'the fixture carries a validated fence');
  -- a disabled table gets no run that would drop the fence once its cells exist
  update tide.config set enabled = false where parent = 'fd'::regclass;
  return next is((select count(*)::int from pg_constraint where conrelid = 'fd_default'::regclass and conname like 'tide_fence%'), 0,
                 'disabling maintenance drops the default partition''s fence');
  return next lives_ok($q$insert into fd values (1, '2030-03-04 06:00+00', 'late')$q$, 'rows of the once-fenced range land in the default');
end $$;

create or replace function tests.test_fence_goes_when_a_disabled_table_is_run() returns setof text language plpgsql as $$
begin
  -- disabled between a run's fence step and its table step: the trigger found no fence to drop
  perform tests.fence_fixture('fr');
  update tide.config set enabled = false where parent = 'fr'::regclass;
  alter table fr_default add constraint tide_fence_1_2 check (not (at >= '2030-03-04' and at < '2030-03-05')) not valid;
  return next is((_tide.maintain_table('fr', '2030-03-02 12:00+00')).outcome, 'skipped', 'the disabled table is skipped');
  return next is((select count(*)::int from pg_constraint where conrelid = 'fr_default'::regclass and conname like 'tide_fence%'), 0,
                 'and the fence left on its default is dropped');
end $$;

create or replace function tests.test_fence_huge_integer_interval() returns setof text language plpgsql as $$
begin
  -- a bigint every of 4e18: three cells overflow bigint arithmetic
  create table fh (id bigint not null) partition by range (id);
  perform tide.manage('fh', 'id', '4000000000000000000', premake => 1, start_at => '0');
  insert into fh values (-5);  -- into the default
  return next lives_ok($q$select _tide.fence_default(_tide.load_managed_table('fh'), now())$q$,
                       'the fence step of a table with a huge integer interval does not overflow');
end $$;
