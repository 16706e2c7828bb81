-- Engine review: defects found by reading the engine against DESIGN.md's rules, one test each,
-- written failing before the fix.

-- Rule 4 for integer keys: "now" is the largest key. One stray far-ahead row in the default
-- partition (a typo, a test row) must not become "now": it made maintenance create every partition
-- up to it and then drop every partition holding live rows as "older than keep".
create or replace function tests.test_review_int_stray_default_row_keeps_live_data() returns setof text language plpgsql as $$
begin
  create table ri (id bigint not null, note text) partition by range (id);
  perform tide.manage('ri', 'id', '100', premake => 2, keep => '300', start_at => '0');
  insert into ri select g, 'live' from generate_series(0, 250) g;
  insert into ri values (5000, 'typo');
  perform _tide.maintain_table('ri');
  return next is((select count(*)::int from ri where note = 'live'), 251,
                 'a stray far-ahead key in the default partition does not make retention drop live rows');
  return next cmp_ok((select count(*)::int from pg_inherits where inhparent = 'ri'::regclass), '<', 10,
                     'nor makes maintenance create every partition up to it');
  return next is((select count(*)::int from only ri_default), 1, 'the stray row stays in the default, where tide.health reports it');
end $$;

-- create_partitions refused any request on a table whose existing partitions span more than 1000
-- cells: it counted the partitions that already exist towards its limit of 1000 new ones.
create or replace function tests.test_review_create_partitions_counts_only_missing() returns setof text language plpgsql as $$
begin
  create table cl (id bigint not null) partition by range (id);
  create table cl_legacy partition of cl for values from (0) to (5000);
  perform tide.manage('cl', 'id', '1', premake => 1, start_at => '4999', default_partition => false);
  return next is((select count(*)::int from tide.create_partitions('cl', '5010')), 10,
                 'create_partitions creates the 10 missing partitions after a legacy partition spanning 5000 cells');
  return next throws_ok($q$select tide.create_partitions('cl', '7000')$q$, '22023', null,
                        'more than 1000 missing partitions are still refused');
end $$;

-- Rule 5: manage() created whatever range start_at asked for (every => '1 hour' from 2000 is
-- over 200,000 partitions in one transaction). create_partitions refuses more than 1000; so does manage.
create or replace function tests.test_review_manage_refuses_absurd_range() returns setof text language plpgsql as $$
begin
  create table ab (at timestamptz not null) partition by range (at);
  return next throws_ok($q$select tide.manage('ab', 'at', '1 hour', start_at => '2000-01-01')$q$, '22023', null,
                        'manage refuses a start_at that would create more than 1000 partitions');
  return next is((select count(*)::int from pg_inherits where inhparent = 'ab'::regclass), 0, 'and creates nothing');
  return next is((select count(*)::int from _tide.managed_tables where parent = 'ab'::regclass), 0, 'and records nothing');
  return next is((select count(*)::int from tide.manage('ab', 'at', '1 hour', premake => 2, start_at => '2031-01-01 00:00')) > 0, true,
                 'a reasonable start_at still works');
end $$;
