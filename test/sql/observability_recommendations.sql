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
