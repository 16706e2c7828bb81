-- tide.partitions and tide.partitions_scanned: bounds agree with the catalog, routing on write and
-- pruning on read proven from plans, anything but one SELECT refused, and 10,000 partitions in < 1 s.

create table "Ev ""mon"".th" (at timestamptz not null, v text) partition by range (at);
select count(*) from tide.manage('"Ev ""mon"".th"', 'at', '1 month', premake => 3, start_at => '2025-01-01');
create table ints (k bigint not null) partition by range (k);
select count(*) from tide.manage('ints', 'k', '1000', premake => 2);

-- 10,000 hourly partitions, built directly in the catalog (no default), then taken under management
create table tenk (at timestamptz not null, id bigint) partition by range (at);
create index on tenk (id);
do $do$ begin
  for i in 0..9999 loop
    execute format('create table tenk_%s partition of tenk for values from (%L) to (%L)', i,
                   timestamptz '2001-01-01 00:00+00' + i * interval '1 hour', timestamptz '2001-01-01 00:00+00' + (i + 1) * interval '1 hour');
    if i % 1000 = 999 then commit; end if;  -- keeps the lock table small
  end loop;
end $do$;
insert into _tide.managed_tables (parent, parent_schema, parent_name, control, control_type, every, every_interval, default_partition)
values ('tenk', 'public', 'tenk', 'at', 'timestamptz', '1 hour', '1 hour', false);

create function tests.test_ten_thousand_partitions_in_under_a_second() returns setof text language plpgsql as $fn$
declare t0 timestamptz := clock_timestamp(); n bigint; ms numeric;
begin
  select count(*) into n from tide.partitions where parent = 'tenk'::regclass and total_bytes >= 0 and time_range is not null;
  ms := extract(epoch from clock_timestamp() - t0) * 1000;
  return next is(n, 10000::bigint, 'tide.partitions lists all 10,000 partitions');
  return next cmp_ok(ms, '<', 1000::numeric, format('and answers in under a second (%s ms)', round(ms)));
end $fn$;

create function tests.test_bounds_agree_with_partition_bounds() returns setof text language plpgsql as $fn$
begin
  return next is((select count(*) from tide.partitions p cross join lateral _tide.partition_bounds(p.partition) b
                   where not p.detached and (b.lower_bound is distinct from p.lower_bound or b.upper_bound is distinct from p.upper_bound
                                             or b.is_default <> p.is_default)), 0::bigint,
                 'every bound read in bulk equals _tide.partition_bounds');
  return next is((select count(*) from tide.partitions where parent = 'ints'::regclass and int_range is null and not is_default), 0::bigint,
                 'integer partitions carry an int8range');
  return next ok((select bool_and(time_range is null and int_range is null) from tide.partitions where is_default),
                 'default partitions have no range');
  return next is((select time_range from tide.partitions where partition = '"Ev ""mon"".th_2025_02"'::regclass),
                 tstzrange('2025-02-01 00:00+00', '2025-03-01 00:00+00'), 'a month partition''s tstzrange is the UTC month');
end $fn$;

create function tests.test_routing_on_write() returns setof text language plpgsql as $fn$
declare landed regclass; planned regclass[];
begin
  execute $i$insert into "Ev ""mon"".th" values ('2025-02-14 12:00+00', 'x') returning tableoid::regclass$i$ into landed;
  planned := array(select partition from tide.partitions_scanned('select * from "Ev ""mon"".th" where at = ''2025-02-14 12:00+00'''));
  return next is(landed, '"Ev ""mon"".th_2025_02"'::regclass, 'a February row lands in the February partition');
  return next is(planned, array[landed], 'and a point query for its key plans that partition only');
  execute $i$insert into "Ev ""mon"".th" values ('2025-03-01 00:00+00', 'edge') returning tableoid::regclass$i$ into landed;
  return next is(landed, '"Ev ""mon"".th_2025_03"'::regclass, 'the first instant of March lands in March');
end $fn$;

create function tests.test_pruning_on_read() returns setof text language plpgsql as $fn$
begin
  return next is((select array_agg(partition::text order by partition::text) from tide.partitions_scanned(
                    $q$select count(*) from "Ev ""mon"".th" where at >= '2025-01-15' and at < '2025-02-10'$q$)),
                 array['"Ev ""mon"".th_2025_01"', '"Ev ""mon"".th_2025_02"'], 'a range filter touches the two months it spans');
  return next ok((select count(*) from tide.partitions_scanned($q$select * from "Ev ""mon"".th"$q$))
                   = (select count(*) from tide.partitions where parent = '"Ev ""mon"".th"'::regclass),
                 'an unfiltered query touches every partition, the default included');
  return next ok((select bool_and(subplans_removed > 0) from tide.partitions_scanned(
                    $q$select * from "Ev ""mon"".th" where at >= now() - interval '1 day'$q$)),
                 'a filter on now() is pruned at executor start, shown as subplans_removed');
  return next is((select count(*) from tide.partitions_scanned(
                    $q$with w as (select * from ints where k between 10 and 20) select * from w -- ; not a 2nd statement$q$)),
                 1::bigint, 'WITH … SELECT is accepted, and a ; inside a comment is not a second statement');
end $fn$;

create function tests.test_refuses_anything_but_one_select() returns setof text language plpgsql as $fn$
begin
  return next throws_ok($$select tide.partitions_scanned('select 1; drop table ints')$$, '22023', null,
                        'a second statement is refused');
  return next throws_ok($$select tide.partitions_scanned('delete from ints')$$, '22023', null, 'DELETE is refused');
  return next throws_ok($$select tide.partitions_scanned('with d as (delete from ints returning *) select * from d')$$, '22023', null,
                        'a data-modifying WITH is refused');
  return next throws_ok($$select tide.partitions_scanned('')$$, '22023', null, 'an empty text is refused');
  return next throws_ok($$select tide.partitions_scanned('select '';')$$, '42601', null, 'an unterminated literal is a syntax error');
  return next throws_ok($$select _tide.obs_explain('select 1; create table t_should_not_exist (a int)')$$, '25006', null,
                        'even past the check, the plan is made in a read-only state');
  return next is((select count(*)::int from tide.partitions_scanned($$select ';' as "a;b"$$)), 0,
                 'a ; inside a literal or a quoted identifier is accepted');
  return next hasnt_table('t_should_not_exist', 'nothing was created');
  -- x$$ is an identifier, not a dollar quote: the ; after it ends a statement
  return next throws_ok($q$select tide.partitions_scanned('select 1 as x$$; select set_config(''application_name'', ''pwned'', false); select 1 as y$$')$q$,
                        '22023', null, 'a second statement behind an identifier ending in $$ is refused');
  return next isnt(current_setting('application_name'), 'pwned', 'and it did not run');
end $fn$;
