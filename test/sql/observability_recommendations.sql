-- tide.recommendations: each kind of advice appears when its measured condition holds, with the
-- numbers behind it, and its suggested action is one tide.config accepts.

create table rec_events (id bigint generated always as identity, at timestamptz not null, device int, note text)
  partition by range (at);
create index rec_events_device on rec_events (device);
select count(*) from tide.manage('rec_events', 'at', '1 month', premake => 1,
                                 start_at => (date_trunc('month', now()) - interval '6 months')::date::text,
                                 default_partition => false);
-- data in the four oldest months and the last complete one; the month before that stays empty
insert into rec_events (at, device, note)
select date_trunc('month', now()) - make_interval(months => m) + make_interval(hours => h), h % 10, repeat('x', 200)
  from unnest(array[6, 5, 4, 3, 1]) m, generate_series(1, 400) h;
analyze rec_events;
-- scan counts are "since the last statistics reset": start counting after the setup's own scans,
-- then the application reads only the last complete month
select pg_stat_force_next_flush();
select 1;
select pg_stat_reset_single_table_counters(inhrelid) from pg_inherits where inhparent = 'rec_events'::regclass;
analyze rec_events;  -- the reset also forgot when the partitions were analyzed
do $$ begin execute format('select count(*) from %s', (select partition from tide.partitions
   where parent = 'rec_events'::regclass and upper(time_range) = date_trunc('month', now()))); end $$;
select pg_stat_force_next_flush();
select 1;

create function tests.test_recommends_coarser_interval_for_many_tiny_partitions() returns setof text language plpgsql as $$
begin
  return next is_empty($q$select 1 from tide.recommendations where parent = 'public.rec_events' and recommendation = 'interval_too_fine'$q$,
                       'eight partitions are not "too many" under the default threshold of 1000');
  update _tide.settings set value = '5' where name = 'tiny_partition_count';
  return next results_eq(
    $q$select (evidence ->> 'partitions')::int from tide.recommendations where parent = 'public.rec_events' and recommendation = 'interval_too_fine'$q$,
    $q$select count(*)::int from tide.partitions where parent = 'rec_events'::regclass and not is_default$q$,
    'with the threshold at 5 partitions, interval_too_fine appears and counts every partition');
end $$;

create function tests.test_recommends_finer_interval_when_partitions_outgrow_memory() returns setof text language plpgsql as $$
begin
  return next is_empty($q$select 1 from tide.recommendations where recommendation = 'interval_too_coarse'$q$,
                       'no partition is larger than the default effective_cache_size');
  set local effective_cache_size = '8kB';
  return next ok((select (evidence ->> 'largest_bytes')::bigint > (evidence ->> 'memory_bytes')::bigint
                    from tide.recommendations where parent = 'public.rec_events' and recommendation = 'interval_too_coarse'),
                 'with effective_cache_size at 8kB, interval_too_coarse appears with the largest partition above it');
end $$;

create function tests.test_points_at_empty_old_partitions() returns setof text language plpgsql as $$
begin
  return next is((select evidence -> 'names' from tide.recommendations where parent = 'public.rec_events' and recommendation = 'empty_old_partitions'),
                 jsonb_build_array(format('public.rec_events_%s', to_char(date_trunc('month', now()) - interval '2 months', 'YYYY_MM'))),
                 'the analyzed, empty month two months back is named, and only it');
end $$;

create function tests.test_points_at_an_index_never_scanned_on_old_partitions() returns setof text language plpgsql as $$
begin
  return next is((select evidence ->> 'index' from tide.recommendations where parent = 'public.rec_events' and recommendation = 'unused_index_on_old_partitions'),
                 'public.rec_events_device', 'the parent index never used on old partitions is named');
end $$;

create function tests.test_suggests_a_shorter_keep_that_tide_config_accepts() returns setof text language plpgsql as $$
declare
  suggested text;
begin
  select substring(action from $r$keep = '([^']+)'$r$) into suggested
    from tide.recommendations where parent = 'public.rec_events' and recommendation = 'shorter_keep';
  return next isnt(suggested, null, 'shorter_keep appears: the older months were never read');
  return next is(suggested::interval, interval '1 month', 'it suggests keeping the one month that is read');
  return next lives_ok(format('update tide.config set keep = %L where parent = %L::regclass', suggested, 'rec_events'),
                       'the suggested keep is accepted by tide.config');
end $$;

-- A table of its own for each oversized test (sizes in pg_class outlive a rolled-back test, so tests
-- cannot share one): monthly, 400 rows in each of the months 6, 5, 4, 3 and 1 back.
create function tests.oversized_fixture() returns void language plpgsql as $$
begin
  create table public.rec_big (at timestamptz not null, device int, note text) partition by range (at);
  perform tide.manage('public.rec_big', 'at', '1 month', premake => 1,
                      start_at => (date_trunc('month', now()) - interval '6 months')::date::text, default_partition => false);
  insert into public.rec_big (at, device, note)
  select date_trunc('month', now()) - make_interval(months => m) + make_interval(hours => h), h % 10, repeat('x', 200)
    from unnest(array[6, 5, 4, 3, 1]) m, generate_series(1, 400) h;
  update _tide.settings set value = '1' where name = 'oversized_partition_min_bytes';
end $$;
-- The partition of the month M months back.
create function tests.big_month(m int) returns regclass language sql as $$
  select partition from tide.partitions where parent = to_regclass('public.rec_big')
     and lower(time_range) = date_trunc('month', now()) - make_interval(months => m)
$$;
create function tests.oversized() returns setof record language sql as $$
  select evidence, action from tide.recommendations where parent = 'public.rec_big' and recommendation = 'oversized_partition'
$$;

create function tests.test_oversized_newest_partition_recommends_a_finer_interval() returns setof text language plpgsql as $$
declare
  ev jsonb;
  act text;
  stmt text;
begin
  perform tests.oversized_fixture();
  analyze public.rec_big;
  return next is_empty($q$select 1 from tide.recommendations where recommendation = 'oversized_partition'$q$,
                       'partitions of equal size are not oversized');
  -- the last complete month holds 16 times the rows of its siblings: the data grows
  insert into public.rec_big (at, device, note)
  select date_trunc('month', now()) - interval '1 month' + make_interval(mins => g), 1, repeat('x', 200) from generate_series(1, 6000) g;
  analyze public.rec_big;
  select evidence, action into ev, act from tests.oversized() as o(evidence jsonb, action text);
  return next is((ev ->> 'partition')::regclass, tests.big_month(1), 'the newest complete partition, many times its siblings, is named');
  return next is(ev ->> 'cause', 'growth', 'as growth: it is among the newest');
  return next is(ev ->> 'finer_every', '1 day', 'a finer interval whose grid holds the monthly edges is suggested');
  stmt := substring(act from 'BEGIN; (.*) COMMIT;');
  return next isnt(stmt, null, 'with the statements to switch to it, in one transaction');
  -- a table whose maintenance the DBA paused stays paused: manage() would enable it again
  update tide.config set lock_retries = 7, enabled = false, archive_target = 's3://rec-archive/big' where parent = 'public.rec_big'::regclass;
  select action into act from tests.oversized() as o(evidence jsonb, action text);
  stmt := substring(act from 'BEGIN; (.*) COMMIT;');
  return next lives_ok(stmt, 'the statements run');
  return next is((select lock_retries from tide.config where parent = to_regclass('public.rec_big')), 7, 'and keep the table''s lock settings');
  return next is((select enabled from tide.config where parent = to_regclass('public.rec_big')), false, 'and keep its maintenance paused');
  return next is((select archive_target from tide.config where parent = to_regclass('public.rec_big')), 's3://rec-archive/big', 'and its archive target');
  return next is((select every from tide.config where parent = to_regclass('public.rec_big')), '1 day', 'and the table is managed by day');
  return next is((select count(*)::int from tide.partitions where parent = to_regclass('public.rec_big') and partition = tests.big_month(1)), 1,
                 'its monthly partitions are kept (adopted)');
end $$;

create function tests.test_oversized_older_partition_points_at_its_keys() returns setof text language plpgsql as $$
declare
  ev jsonb;
  act text;
begin
  perform tests.oversized_fixture();
  insert into public.rec_big (at, device, note)
  select date_trunc('month', now()) - interval '5 months' + make_interval(mins => g), 1, repeat('x', 200) from generate_series(1, 6000) g;
  analyze public.rec_big;
  select evidence, action into ev, act from tests.oversized() as o(evidence jsonb, action text);
  return next is((ev ->> 'partition')::regclass, tests.big_month(5), 'an older partition many times its siblings is named');
  return next is(ev ->> 'cause', 'skew', 'as skew: rows concentrated in one old range');
  return next matches(act, '^An older partition.*SELECT date_trunc\(''day'', "?at"?\) AS bucket, count\(\*\) FROM ONLY ', 'the action is the query that shows where its keys fall');
  return next lives_ok(substring(act from 'SELECT .*;$'), 'and that query runs');
end $$;

create function tests.test_oversized_partition_of_dead_rows_recommends_vacuum() returns setof text language plpgsql as $$
declare
  ev jsonb;
  act text;
begin
  perform tests.oversized_fixture();
  insert into public.rec_big (at, device, note)
  select date_trunc('month', now()) - interval '4 months' + make_interval(mins => g), 99, repeat('x', 200) from generate_series(1, 6000) g;
  delete from public.rec_big where device = 99;
  analyze public.rec_big;
  select evidence, action into ev, act from tests.oversized() as o(evidence jsonb, action text);
  return next is((ev ->> 'partition')::regclass, tests.big_month(4), 'a partition many times its siblings'' size with as many rows is named');
  return next is(ev ->> 'cause', 'bloat', 'as dead rows or bloat');
  return next matches(act, format('VACUUM \(VERBOSE\) public\.%s;', tests.big_month(4)), 'the action vacuums it first');
end $$;

create function tests.test_oversized_legacy_partition_recommends_split_legacy() returns setof text language plpgsql as $$
declare
  ev jsonb;
  act text;
begin
  perform tests.oversized_fixture();
  insert into public.rec_big (at, device, note)
  select date_trunc('month', now()) - interval '5 months' + make_interval(mins => g), 1, repeat('x', 200) from generate_series(1, 6000) g;
  analyze public.rec_big;
  -- as tide.convert records it: that partition is the table's legacy partition, not split yet
  insert into _tide.legacy (parent, parent_oid, legacy, legacy_name, lower_bound, upper_bound)
  values ('public.rec_big', 'public.rec_big'::regclass::oid, tests.big_month(5), tests.big_month(5)::text,
          (select lower_bound from tide.partitions where partition = tests.big_month(5)),
          (select upper_bound from tide.partitions where partition = tests.big_month(5)));
  select evidence, action into ev, act from tests.oversized() as o(evidence jsonb, action text);
  return next is(ev ->> 'cause', 'legacy', 'the legacy partition of a converted table is oversized as such');
  return next matches(act, $r$CALL tide\.split_legacy\('public\.rec_big'\);$r$, 'the action splits it with tide.split_legacy');
end $$;
