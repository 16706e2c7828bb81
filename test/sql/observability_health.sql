-- tide.health: every check provoked, seen, fixed and seen gone; tide.tables' figures on the same
-- fixture. Fixture: a monthly table with a hostile name, managed with premake 4 and keep 3 months.

create schema "Obs ""Ω"" s";
create table "Obs ""Ω"" s"."Ev.log" (at timestamptz not null, n int) partition by range (at);
select count(*) from tide.manage('"Obs ""Ω"" s"."Ev.log"', 'at', '1 month', premake => 4, keep => '3 months');
select _tide.maintain_table('"Obs ""Ω"" s"."Ev.log"'::regclass);

create function tests.parent() returns regclass language sql as $$ select '"Obs ""Ω"" s"."Ev.log"'::regclass $$;
create function tests.qname() returns text language sql as $$ select '"Obs ""Ω"" s"."Ev.log"'::text $$;
-- The health rows of the fixture table for one check.
create function tests.rows_of(check_name text) returns bigint language sql as $$
  select count(*) from tide.health h where h."check" = check_name and h.parent = tests.qname()
$$;
create function tests.severity_of(check_name text) returns text language sql as $$
  select string_agg(distinct h.severity, ',') from tide.health h where h."check" = check_name and h.parent = tests.qname()
$$;
-- Detach and drop the N newest partitions of the fixture (simulating a missed maintenance).
create function tests.drop_newest(n int) returns void language plpgsql as $$
declare p record;
begin
  for p in select partition from tide.partitions where parent = tests.parent() and not is_default and not detached
            order by lower(time_range) desc limit n loop
    execute format('alter table %s detach partition %s', tests.parent(), p.partition);
    execute format('drop table %s', p.partition);
  end loop;
end $$;

create function tests.test_healthy_fixture_has_no_table_problems() returns setof text language plpgsql as $$
begin
  return next is((select count(*) from tide.health where parent = tests.qname()), 0::bigint,
                 'a freshly managed and maintained table has no health rows');
  return next is((select partitions_ahead from tide.tables where parent = tests.parent()), 4,
                 'tide.tables counts premake = 4 partitions ahead of the current one');
  return next is((select current_partition from tide.tables where parent = tests.parent()),
                 (select partition from tide.partitions where parent = tests.parent() and time_range @> now()),
                 'tide.tables names the partition that holds now() as current');
end $$;

create function tests.test_missing_partitions_warning_then_fixed() returns setof text language plpgsql as $$
begin
  perform tests.drop_newest(2);
  return next is(tests.severity_of('missing_partitions'), 'warning', 'two partitions ahead (premake 4) is a warning');
  return next matches((select hint from tide.health where "check" = 'missing_partitions' and parent = tests.qname()),
                      '^CALL tide\.run_maintenance\(', 'the hint names CALL tide.run_maintenance');
  perform _tide.maintain_table(tests.parent());
  return next is(tests.rows_of('missing_partitions'), 0::bigint, 'maintenance recreates them and the row is gone');
end $$;

create function tests.test_missing_partitions_critical_when_none_ahead() returns setof text language plpgsql as $$
begin
  perform tests.drop_newest(4);
  return next is(tests.severity_of('missing_partitions'), 'critical', 'no partition ahead of the current one is critical');
  perform tests.drop_newest(1);
  return next matches((select detail from tide.health where "check" = 'missing_partitions' and parent = tests.qname()),
                      'no partition for the current key', 'no current partition says so');
  perform _tide.maintain_table(tests.parent());
  return next is(tests.rows_of('missing_partitions'), 0::bigint, 'maintenance fixes it');
end $$;

create function tests.test_rows_in_default() returns setof text language plpgsql as $$
begin
  execute format('insert into %s values (now() + interval ''5 years'', 1), (now() + interval ''6 years'', 2)', tests.parent());
  return next is(tests.rows_of('default_rows'), 1::bigint, 'rows in the default partition are reported');
  return next matches((select detail from tide.health where "check" = 'default_rows' and parent = tests.qname()),
                      'has 2 row', 'the detail counts them exactly');
  return next matches((select hint from tide.health where "check" = 'default_rows' and parent = tests.qname()),
                      '^CALL tide\.drain_default\(', 'the hint names CALL tide.drain_default');
  return next is((select default_rows from tide.tables where parent = tests.parent()), 2::bigint, 'tide.tables shows 2 rows in the default');
  execute format('delete from %s where at > now() + interval ''1 year''', tests.parent());
  return next is(tests.rows_of('default_rows'), 0::bigint, 'an empty default clears the row');
end $$;

create function tests.test_retention_overdue() returns setof text language plpgsql as $$
declare lo timestamptz := date_trunc('month', now() - interval '2 years', 'UTC');
begin
  execute format('create table %I.%I partition of %s for values from (%L) to (%L)', 'Obs "Ω" s', 'old_one',
                 tests.parent(), lo, lo + interval '1 month');
  return next is(tests.rows_of('retention_overdue'), 1::bigint, 'a partition older than keep + grace is overdue');
  return next is((select expired_partitions from tide.tables where parent = tests.parent()), 1, 'tide.tables counts it as expired');
  perform _tide.maintain_table(tests.parent());
  return next is(tests.rows_of('retention_overdue'), 0::bigint, 'maintenance drops it and the row is gone');
end $$;

create function tests.test_maintenance_failing() returns setof text language plpgsql as $$
begin
  perform _tide.log_action(null, tests.parent(), 'maintain', null, 'error', sqlstate => '42P01', message => 'boom');
  return next is(tests.severity_of('maintenance_failing'), 'critical', 'an error in the last maintenance is critical');
  return next matches((select detail from tide.health where "check" = 'maintenance_failing' and parent = tests.qname()),
                      'boom', 'the detail carries the error message');
  perform _tide.maintain_table(tests.parent());
  return next is(tests.rows_of('maintenance_failing'), 0::bigint, 'a successful run clears it');
  perform _tide.log_action(null, tests.parent(), 'maintain', null, 'lock_timeout', message => 'lock wait');
  return next is(tests.severity_of('maintenance_failing'), 'warning', 'one lock timeout is a warning');
end $$;

create function tests.test_maintenance_stale() returns setof text language plpgsql as $$
begin
  update _tide.log set logged_at = now() - interval '2 hours' where parent_oid = tests.parent();
  update _tide.managed_tables set created_at = now() - interval '1 day' where parent = tests.parent();
  return next is(tests.rows_of('maintenance_stale'), 1::bigint, 'no maintenance for 2 hours with a 10-minute schedule is stale');
  -- a run over every table that found nothing due logs nothing for it, yet it looked at it
  insert into _tide.runs (as_of, outcome, finished_at, tables_ok) values (now(), 'ok', now(), 1);
  return next is(tests.rows_of('maintenance_stale'), 0::bigint, 'a recent idle run over every table is no stale maintenance');
  delete from _tide.runs where finished_at = now();
  return next is(tests.rows_of('maintenance_stale'), 1::bigint, 'stale again without it');
  perform _tide.maintain_table(tests.parent());
  return next is(tests.rows_of('maintenance_stale'), 0::bigint, 'a run clears it');
end $$;

create function tests.test_not_scheduled() returns setof text language plpgsql as $$
begin
  -- the test database is not cron.database_name: the job is invisible here, so recent runs decide
  delete from _tide.runs;
  return next is((select count(*) from tide.health where "check" = 'not_scheduled' and parent is null), 1::bigint,
                 'no run in twice the schedule and no visible job: not scheduled');
  return next matches((select hint from tide.health where "check" = 'not_scheduled'), '^pgtide schedule ',
                      'the hint names pgtide schedule, which reaches pg_cron''s database (tide.schedule() cannot from here)');
  insert into _tide.runs (as_of, started_at, outcome) values (now() - interval '2 days', now() - interval '2 days', 'ok');
  return next is((select count(*) from tide.health where "check" = 'not_scheduled'), 1::bigint,
                 'a run two days ago (as of its own time) does not clear it');
  insert into _tide.runs (as_of, outcome) values (now(), 'ok');
  return next is((select count(*) from tide.health where "check" = 'not_scheduled'), 0::bigint, 'a recent run clears it');
  update _tide.managed_tables set enabled = false;
  delete from _tide.runs;
  return next is((select count(*) from tide.health where "check" = 'not_scheduled'), 0::bigint,
                 'nothing to maintain (all tables disabled): no complaint');
end $$;

create function tests.test_table_missing() returns setof text language plpgsql as $$
declare oid_of oid;
begin
  create table "Obs ""Ω"" s".gone (at timestamptz not null) partition by range (at);
  perform tide.manage('"Obs ""Ω"" s".gone', 'at', '1 month');
  oid_of := '"Obs ""Ω"" s".gone'::regclass;
  drop table "Obs ""Ω"" s".gone;
  return next is((select severity from tide.health where "check" = 'table_missing' and parent = '"Obs ""Ω"" s".gone'), 'critical',
                 'a dropped managed table is critical');
  return next is((select table_state from tide.tables where parent_name = 'gone'), 'missing', 'tide.tables says missing');
  delete from _tide.managed_tables where parent = oid_of;
  return next is((select count(*) from tide.health where "check" = 'table_missing'), 0::bigint, 'forgetting it clears the row');
end $$;

create function tests.test_table_no_longer_partitioned() returns setof text language plpgsql as $$
begin
  -- a managed_tables row pointing at a plain table (what a restore of the wrong dump leaves)
  create table "Obs ""Ω"" s".plain (at timestamptz);
  insert into _tide.managed_tables (parent, parent_schema, parent_name, control, control_type, every, every_interval)
  values ('"Obs ""Ω"" s".plain', 'Obs "Ω" s', 'plain', 'at', 'timestamptz', '1 month', '1 month');
  return next matches((select detail from tide.health where "check" = 'table_missing' and parent = '"Obs ""Ω"" s".plain'),
                      'no longer a partitioned table', 'a plain table under management is reported');
  delete from _tide.managed_tables where parent = '"Obs ""Ω"" s".plain'::regclass;
  return next is((select count(*) from tide.health where "check" = 'table_missing'), 0::bigint, 'gone once unmanaged');
end $$;

create function tests.test_oversized_partition() returns setof text language plpgsql as $$
declare big regclass;
begin
  update _tide.settings set value = '0' where name = 'oversized_partition_min_bytes';
  -- one row in each of the past months' neighbours, 20,000 in the current one
  execute format('insert into %s select now() + make_interval(mins => i), i from generate_series(1, 3) i', tests.parent());
  execute format('insert into %s select now() + make_interval(months => i), i from generate_series(1, 3) i', tests.parent());
  execute format('insert into %s select now() - make_interval(secs => i), i from generate_series(1, 20000) i', tests.parent());
  execute format('analyze %s', tests.parent());
  big := (select partition from tide.partitions where parent = tests.parent() and time_range @> now());
  return next is(tests.rows_of('oversized_partition'), 1::bigint, 'one partition far larger than its siblings is reported');
  return next matches((select detail from tide.health where "check" = 'oversized_partition'), 'median', 'with the median it is compared to');
  execute format('truncate %s', big);
  return next is(tests.rows_of('oversized_partition'), 0::bigint, 'gone once it is no larger');
end $$;

create function tests.test_detach_pending() returns setof text language plpgsql as $$
declare p regclass := (select partition from tide.partitions where parent = tests.parent() and not is_default
                        order by lower(time_range) desc limit 1);
begin
  -- DETACH … CONCURRENTLY cannot run in a test transaction; mark the state it leaves when interrupted
  update pg_inherits set inhdetachpending = true where inhrelid = p;
  return next is(tests.rows_of('detach_pending'), 1::bigint, 'a half-detached partition is reported');
  return next matches((select hint from tide.health where "check" = 'detach_pending'), 'DETACH PARTITION .* FINALIZE',
                      'the hint names DETACH PARTITION … FINALIZE');
  update pg_inherits set inhdetachpending = false where inhrelid = p;
  return next is(tests.rows_of('detach_pending'), 0::bigint, 'gone once finalized');
end $$;

create function tests.test_leftover_table() returns setof text language plpgsql as $$
begin
  create table "Obs ""Ω"" s"."Ev.log_2099_01" (like "Obs ""Ω"" s"."Ev.log");
  create table "Obs ""Ω"" s"."Ev.log_archive_notes" (x int);
  return next is(tests.rows_of('leftover_table'), 1::bigint, 'a table named like a partition, attached nowhere, is reported once');
  return next matches((select detail from tide.health where "check" = 'leftover_table'), '2099_01', 'naming it');
  return next matches((select hint from tide.health where "check" = 'leftover_table'), '^It is no partition.*DROP TABLE', 'the hint says to drop or rename it (maintenance does not reuse it)');
  drop table "Obs ""Ω"" s"."Ev.log_2099_01";
  return next is(tests.rows_of('leftover_table'), 0::bigint, 'gone once dropped');
end $$;

create function tests.test_archive_backlog_and_failure() returns setof text language plpgsql as $$
begin
  insert into _tide.archives (parent_oid, parent, partition_name, state, queued_at)
  values (tests.parent(), tests.qname(), 'ev_old_1', 'pending', now() - interval '3 days');
  return next is(tests.rows_of('archive_backlog'), 1::bigint, 'an archive pending for 3 days is a backlog');
  update _tide.archives set state = 'dropped' where partition_name = 'ev_old_1';
  return next is(tests.rows_of('archive_backlog'), 0::bigint, 'gone once archived');
  insert into _tide.archives (parent_oid, parent, partition_name, state, attempts, error)
  values (tests.parent(), tests.qname(), 'ev_old_2', 'failed', 9, 'bucket gone');
  return next is(tests.severity_of('archive_failed'), 'critical', 'a failed archive out of retries is critical');
  delete from _tide.archives where partition_name = 'ev_old_2';
  return next is(tests.rows_of('archive_failed'), 0::bigint, 'gone once resolved');
end $$;

create function tests.test_cron_period_parsing() returns setof text language plpgsql as $$
begin
  return next is(_tide.obs_cron_period('*/10 * * * *'), interval '10 minutes', '*/10 is ten minutes');
  return next is(_tide.obs_cron_period('* * * * *'), interval '1 minute', '* is one minute');
  return next is(_tide.obs_cron_period('5 * * * *'), interval '1 hour', 'a fixed minute is hourly');
  return next is(_tide.obs_cron_period('0 3 * * *'), interval '1 day', 'a fixed hour is daily');
  return next is(_tide.obs_cron_period('nonsense'), interval '1 day', 'anything else counts as daily');
end $$;

create function tests.test_views_carry_comments() returns setof text language plpgsql as $$
begin
  return next ok(obj_description('tide.health'::regclass, 'pg_class') like '%severity%', 'tide.health is commented');
  return next ok(obj_description('tide.tables'::regclass, 'pg_class') is not null, 'tide.tables is commented');
  return next ok(obj_description('tide.schedule(text)'::regprocedure, 'pg_proc') like '%GMT%', 'tide.schedule says schedules are in GMT');
end $$;

create function tests.test_default_rows_counts_only_default_partitions() returns setof text language plpgsql as $$
begin
  create table public.obs_secret (x int);
  insert into public.obs_secret select generate_series(1, 50);
  -- SECURITY DEFINER: a monitor may call it, so it must not count a table the caller cannot read
  return next throws_ok($q$select _tide.obs_default_rows('public.obs_secret', 1000)$q$, '42501', null,
                        'the counting helper refuses a table that is not a managed default partition');
  return next is(_tide.obs_default_rows((select pt.partdefid::regclass from pg_partitioned_table pt where pt.partrelid = tests.parent()), 1000),
                 (select count(*) from only "Obs ""Ω"" s"."Ev.log_default"), 'and counts the default partition of a managed table');
end $$;

create function tests.test_settings_are_validated() returns setof text language plpgsql as $$
declare before text := (select string_agg(name || '=' || coalesce(value, 'NULL'), ',' order by name) from _tide.settings);
begin
  return next throws_ok($q$update _tide.settings set value = '64MB' where name = 'oversized_partition_min_bytes'$q$, '22023', null,
                        'a byte count with a unit is refused');
  return next throws_ok($q$update _tide.settings set value = 'a day' where name = 'archive_pending_warning'$q$, '22023', null,
                        'an interval that does not parse is refused');
  return next throws_ok($q$update _tide.settings set value = '-5' where name = 'tiny_partition_count'$q$, '22023', null,
                        'a negative count is refused');
  return next throws_ok($q$update _tide.settings set value = 'many' where name = 'tiny_partition_count'$q$, '22023', null,
                        'a count that is no number is refused');
  return next throws_ok($q$update _tide.settings set value = '0 days' where name = 'log_retention'$q$, '22023', null,
                        'a retention of nothing is refused');
  return next throws_ok($q$update _tide.settings set value = '0' where name = 'archive_max_attempts'$q$, '22023', null,
                        'zero archive attempts is refused');
  return next is((select string_agg(name || '=' || coalesce(value, 'NULL'), ',' order by name) from _tide.settings), before,
                 'and nothing changed');
  return next lives_ok($q$select count(*) from tide.health$q$, 'tide.health still reads');
  return next lives_ok($q$update _tide.settings set value = '90 days' where name = 'log_retention'$q$, 'a good value is taken');
end $$;

create function tests.test_no_missing_partitions_past_maxvalue() returns setof text language plpgsql as $$
begin
  -- integer keys at the end of their type: the last partition runs to MAXVALUE, nothing can follow it
  create table public.obs_top (id integer not null, v text) partition by range (id);
  perform tide.manage('public.obs_top', 'id', '100000000', premake => 4, start_at => '2000000000');
  insert into public.obs_top select g, 'x' from generate_series(2147400000, 2147400010) g;
  return next is((select count(*)::int from tide.health where parent in ('public.obs_top', 'obs_top') and "check" = 'missing_partitions'), 0,
                 'a last partition running to MAXVALUE is no missing partition');
  return next is((select covered_until from tide.tables where parent = 'public.obs_top'::regclass), 'MAXVALUE', 'tide.tables says it is covered to MAXVALUE');
  return next is((select next_action from tide.tables where parent = 'public.obs_top'::regclass), 'none: the last partition runs to MAXVALUE',
                 'and that nothing is to be created');
end $$;

create function tests.test_no_oversized_among_equal_partitions() returns setof text language plpgsql as $$
begin
  -- three equal days of rows beside empty premade partitions (8 kB of index pages each)
  create table public.obs_eq (id bigint, ts timestamptz not null, pad text) partition by range (ts);
  create index on public.obs_eq (ts);
  perform tide.manage('public.obs_eq', 'ts', '1 day', premake => 4, start_at => (now() - interval '3 days')::date::text);
  insert into public.obs_eq select g, date_trunc('day', now()) - interval '3 days' + (g * 4) * interval '1 second', repeat('x', 200)
    from generate_series(1, 64800) g;
  analyze public.obs_eq;
  update _tide.settings set value = '1048576' where name = 'oversized_partition_min_bytes';
  return next is((select count(*)::int from tide.health where parent = 'public.obs_eq' and "check" = 'oversized_partition'), 0,
                 'partitions of equal size are not oversized next to empty premade ones');
end $$;

create function tests.test_no_leftover_for_a_managed_neighbour() returns setof text language plpgsql as $$
begin
  create table public.obs_ev (id int not null) partition by range (id);
  perform tide.manage('public.obs_ev', 'id', '100');
  create table public.obs_ev_2024 (id int, ts timestamptz not null) partition by range (ts);
  perform tide.manage('public.obs_ev_2024', 'ts', '1 month');
  return next is((select count(*)::int from tide.health where "check" = 'leftover_table' and parent = 'public.obs_ev'), 0,
                 'another managed table named like a partition is no leftover');
end $$;

create function tests.test_oldest_bound_of_a_minvalue_partition() returns setof text language plpgsql as $$
begin
  create table public.obs_old (at timestamptz not null) partition by range (at);
  create table public.obs_old_legacy partition of public.obs_old for values from (minvalue) to ('2031-01-01 00:00+00');
  perform tide.manage('public.obs_old', 'at', '1 month', premake => 1, start_at => '2031-01-01');
  return next is((select oldest_bound from tide.tables where parent = 'public.obs_old'::regclass), null,
                 'the oldest partition runs from MINVALUE: no lower bound (not the next partition''s)');
end $$;

create function tests.test_renamed_table_and_a_large_default() returns setof text language plpgsql as $$
begin
  create table public.obs_rn (id int, ts timestamptz not null) partition by range (ts);
  perform tide.manage('public.obs_rn', 'ts', '1 month');
  alter table public.obs_rn rename to obs_rn_new;
  return next is((select parent_name::text from tide.tables where parent = 'public.obs_rn_new'::regclass), 'obs_rn_new',
                 'tide.tables names the table as it is now, after a rename');
  -- more rows in the default than the bounded count reads, and no statistics yet
  insert into public.obs_rn_new select g, '2035-01-01' from generate_series(1, 10050) g;
  return next cmp_ok((select default_rows from tide.tables where parent = 'public.obs_rn_new'::regclass), '>', 10000::bigint,
                     'a default holding more than 10,000 rows reports more than 10,000');
  return next is((select default_rows_exact from tide.tables where parent = 'public.obs_rn_new'::regclass), false, 'not as an exact count');
  return next ok(exists (select from tide.health where "check" = 'default_rows' and parent = 'public.obs_rn_new'),
                 'and health reports them under the new name');
end $$;

create function tests.test_leftover_table_of_a_long_parent() returns setof text language plpgsql as $$
declare
  mt   _tide.managed_tables;
  long name := repeat('é', 30);  -- 60 bytes: its partitions' names shorten the parent part
  left_over name;
begin
  execute format('create table public.%I (at timestamptz not null) partition by range (at)', long);
  perform tide.manage(format('public.%I', long)::regclass, 'at', '1 month', premake => 1, start_at => '2031-01-01');
  select * into mt from _tide.managed_tables m where m.parent = format('public.%I', long)::regclass;
  -- the name maintenance would give the partition of 2099-01: the parent part cut to whole characters
  left_over := _tide.partition_name(mt, _tide.key_position(mt, '2099-01-01 00:00+00'));
  return next is(left_over::text, repeat('é', 27) || '_2099_01', 'the partition name of a 60-byte parent is shortened');
  execute format('create table public.%I (at timestamptz not null)', left_over);
  return next is((select count(*)::int from tide.health where "check" = 'leftover_table' and parent = format('public.%I', long)), 1,
                 'a table left under the shortened name of a long parent''s partition is reported');
  return next matches((select detail from tide.health where "check" = 'leftover_table' and parent = format('public.%I', long)),
                      left_over, 'naming it');
  -- a name cut shorter than pgtide cuts is not one of its partitions'
  execute format('create table public.%I (at timestamptz not null)', repeat('é', 20) || '_2099_02');
  return next is((select count(*)::int from tide.health where "check" = 'leftover_table' and parent = format('public.%I', long)), 1,
                 'a name shortened more than pgtide shortens is not taken for a partition');
  -- nor are the long parent's own partitions and default, which are attached
  return next cmp_ok((select count(*)::int from tide.partitions where parent = format('public.%I', long)::regclass), '>=', 2,
                     'the long parent has partitions and a default under shortened names');
end $$;

create function tests.test_next_action_due_ignores_the_session_time_zone() returns setof text language plpgsql as $$
declare
  tz text;
begin
  create table public.obs_due (at timestamptz not null) partition by range (at);
  perform tide.manage('public.obs_due', 'at', '1 month', premake => 1, keep => '1 month', start_at => '2025-02-01');
  -- the oldest partition, February 2025 (UTC, the table's zone), expires when all of it is a month old: 2025-04-01 00:00 UTC,
  -- the moment March's partition ends too
  foreach tz in array array['UTC', 'America/New_York', 'Asia/Kolkata'] loop
    perform set_config('timezone', tz, true);
    return next is((select next_action_due from _tide.obs_tables('2025-03-15 12:00+00') where parent = 'public.obs_due'::regclass),
                   timestamptz '2025-04-01 00:00+00', format('next_action_due is the table''s instant with TimeZone %s', tz));
    return next is((select next_action from _tide.obs_tables('2025-03-15 12:00+00') where parent = 'public.obs_due'::regclass),
                   'create partitions', format('and the next action is the same with TimeZone %s', tz));
  end loop;
end $$;
