-- The partition listing maintenance keeps between runs (_tide.managed_tables.listing_*): what it
-- holds, and that any attach, detach, drop or rename made since is seen — a stale listing would
-- create overlapping partitions or, worse, expire a partition by bounds it no longer has.

create or replace function tests.test_listing_kept_after_a_run_matches_the_catalog() returns setof text language plpgsql as $$
declare m _tide.managed_tables;
begin
  create table lk ("Reading at" timestamptz not null) partition by range ("Reading at");
  perform tide.manage('lk', 'Reading at', '1 day', premake => 2, start_at => '2031-03-01');
  perform _tide.maintain_table('lk', '2031-03-02 12:00+00');
  select * into m from _tide.managed_tables where parent = 'lk'::regclass;
  return next is(m.listing_key, _tide.listing_key('lk'), 'a successful run keeps the key of the partitions it leaves');
  return next is(m.listing_partitions,
                 (select array_agg(l.partition::oid order by l.lower_pos) from _tide.list_partitions(m) l where not l.is_default),
                 'the kept listing names every non-default partition, in key order, by oid');
  return next is(m.listing_lower || m.listing_upper,
                 (select array_agg(l.lower_pos order by l.lower_pos) || array_agg(l.upper_pos order by l.lower_pos)
                    from _tide.list_partitions(m) l where not l.is_default),
                 'with the bounds as positions that a fresh listing gives');
end $$;

create or replace function tests.test_listing_changes_key_on_attach_detach_and_drop() returns setof text language plpgsql as $$
declare k0 text; k1 text; k2 text;
begin
  create table lc (at timestamptz not null) partition by range (at);
  perform tide.manage('lc', 'at', '1 day', premake => 2, start_at => '2031-03-01', default_partition => false);
  k0 := _tide.listing_key('lc');
  alter table lc detach partition lc_2031_03_02;
  k1 := _tide.listing_key('lc');
  alter table lc attach partition lc_2031_03_02 for values from ('2031-03-02 00:00+00') to ('2031-03-03 00:00+00');
  k2 := _tide.listing_key('lc');
  return next isnt(k1, k0, 'detaching a partition changes the key');
  return next isnt(k2, k0, 'attaching it again with the same bounds, in the same transaction, gives yet another key');
  drop table lc_2031_03_03;
  return next isnt(_tide.listing_key('lc'), k2, 'dropping a partition changes the key');
end $$;

-- Rule 4 through the kept listing: a partition re-attached with a wider range must be judged by the
-- range it has now. Judged by the kept one it would be expired with rows younger than keep.
create or replace function tests.test_listing_reattached_partition_is_judged_by_its_new_range() returns setof text language plpgsql as $$
begin
  create table lr (at timestamptz not null, v text) partition by range (at);
  perform tide.manage('lr', 'at', '1 day', premake => 2, keep => '3 days', start_at => '2031-03-01', default_partition => false);
  perform _tide.maintain_table('lr', '2031-03-02 12:00+00');
  -- by hand: the 2nd and 3rd become one partition, the 2nd's table stretched over both days
  alter table lr detach partition lr_2031_03_02;
  drop table lr_2031_03_03;
  alter table lr attach partition lr_2031_03_02 for values from ('2031-03-02 00:00+00') to ('2031-03-04 00:00+00');
  insert into lr values ('2031-03-03 18:00+00', 'younger than keep');
  -- as of the 6th 12:00 the cutoff is the 3rd 12:00: [2nd, 4th) is not wholly older than keep
  perform _tide.maintain_table('lr', '2031-03-06 12:00+00');
  return next ok(exists (select from pg_inherits where inhrelid = 'lr_2031_03_02'::regclass),
                 'the stretched partition is kept: part of its range is younger than keep');
  return next is((select count(*)::int from lr), 1, 'and its row with it');
  return next ok(not exists (select from pg_class where relname = 'lr_2031_03_01'), 'the partition wholly older than keep is dropped');
end $$;

-- A partition renamed by hand, and an unrelated table given its old name: retention acts on the
-- partition (kept by oid), never on whatever now carries the name it had.
create or replace function tests.test_listing_renamed_partition_expires_by_oid() returns setof text language plpgsql as $$
declare p regclass;
begin
  create table "Ln.x" (at timestamptz not null) partition by range (at);
  perform tide.manage('"Ln.x"', 'at', '1 day', premake => 2, keep => '2 days', start_at => '2031-03-01', default_partition => false);
  perform _tide.maintain_table('"Ln.x"', '2031-03-01 12:00+00');
  p := '"Ln.x_2031_03_01"'::regclass;
  alter table "Ln.x_2031_03_01" rename to "old März";
  create table "Ln.x_2031_03_01" (keep_me int);
  insert into "Ln.x_2031_03_01" values (1);
  perform _tide.maintain_table('"Ln.x"', '2031-03-04 12:00+00');
  return next ok(not exists (select from pg_class where oid = p), 'the renamed partition is the one retention drops');
  return next is((select count(*)::int from "Ln.x_2031_03_01"), 1, 'the unrelated table with its old name is untouched');
  return next is((select l.partition || ' ' || l.detail from _tide.log l where l.parent_oid = '"Ln.x"'::regclass and l.action = 'drop'),
                 'public."old März" range [2031-03-01 00:00:00+00, 2031-03-02 00:00:00+00)',
                 'the log names the partition as it was called when dropped, with its range');
end $$;

create or replace function tests.test_listing_partition_dropped_by_hand_is_created_again() returns setof text language plpgsql as $$
begin
  create table ld (id bigint not null) partition by range (id);
  perform tide.manage('ld', 'id', '100', premake => 3, start_at => '0', default_partition => false);
  perform _tide.maintain_table('ld');
  drop table ld_p100;
  return next is((_tide.maintain_table('ld')).partitions_created, 1, 'the next run fills the gap a dropped partition left');
  return next ok(exists (select from pg_inherits where inhrelid = 'ld_p100'::regclass), 'with the partition of that range');
  return next ok((select m.listing_lower = (select array_agg(x order by x) from unnest(m.listing_lower) x)
                    from _tide.managed_tables m where m.parent = 'ld'::regclass),
                 'the listing it keeps is in key order again although the new partition lies before others');
  insert into ld values (250);
  return next lives_ok($q$select _tide.maintain_table('ld')$q$, 'and a later run that creates further partitions works from it');
  return next ok(exists (select from pg_inherits where inhrelid = 'ld_p500'::regclass), 'creating the next ones after the last');
end $$;

-- The bookkeeping maintenance stores must be what _tide.due_signature, _tide.listing_key and
-- _tide.next_due_at give, or run_maintenance would find the table due on every run, or never.
create or replace function tests.test_listing_bookkeeping_matches_the_helpers() returns setof text language plpgsql as $$
declare m _tide.managed_tables;
begin
  create table lb (at timestamptz not null) partition by range (at);
  perform tide.manage('lb', 'at', '1 day', premake => 2, keep => '2 days', start_at => '2031-02-25', time_zone => 'Europe/Paris');
  perform _tide.maintain_table('lb', '2031-03-02 12:00+00');
  select * into m from _tide.managed_tables where parent = 'lb'::regclass;
  return next is(m.due_signature, _tide.due_signature(m), 'the stored signature is the one due_signature gives');
  return next is(m.listing_key, _tide.listing_key('lb'), 'the stored key is the one listing_key gives');
  return next is(m.next_due_at, _tide.next_due_at(m, '2031-03-02 12:00+00', m.listing_upper[1]),
                 'the next-due time is the one next_due_at gives for the oldest partition left');
  return next ok(m.next_due_at > '2031-03-02 12:00+00', 'and it lies after the run');
  -- a settings change makes it due at once; maintenance's own bookkeeping does not
  -- (an UPDATE of tide.config that changes nothing reaches the trigger and its bookkeeping-only exit)
  update tide.config set premake = premake where parent = 'lb'::regclass;
  return next ok((select next_due_at from _tide.managed_tables where parent = 'lb'::regclass) = m.next_due_at,
                 'a write that changes no setting keeps the next-due time');
  update tide.config set premake = 3 where parent = 'lb'::regclass;
  return next is((select next_due_at from _tide.managed_tables where parent = 'lb'::regclass), null,
                 'a settings change clears it: the next run looks at the table without reading its partitions first');
end $$;

-- The settings trigger fires on every column but maintenance's bookkeeping: a column added to
-- _tide.managed_tables must be put on one side or the other (check_managed_table.sql).
create or replace function tests.test_listing_settings_trigger_covers_every_other_column() returns setof text language plpgsql as $$
begin
  -- tgattr lists the columns of UPDATE OF
  return next is(
    (select array_agg(a.attname::text order by a.attname)
       from pg_attribute a
      where a.attrelid = '_tide.managed_tables'::regclass and a.attnum > 0 and not a.attisdropped
        and a.attnum <> all (coalesce((select t.tgattr::int2[] from pg_trigger t
                                        where t.tgrelid = '_tide.managed_tables'::regclass and t.tgname = 'managed_tables_check'),
                                       '{}'))),
    array['due_signature', 'listing_key', 'listing_lower', 'listing_partitions', 'listing_upper', 'next_due_at'],
    'the columns the trigger does not watch are exactly the bookkeeping ones');
  create table lt (at timestamptz not null) partition by range (at);
  perform tide.manage('lt', 'at', '1 day', premake => 2, start_at => '2031-03-01');
  return next throws_ok($q$update tide.config set premake = 0 where parent = 'lt'::regclass$q$, '22023', null,
                        'a settings change is still validated');
end $$;

-- One maintenance of PARENT as of AS_OF under a run row of its own; its log rows as
-- action:partition:outcome, in log order.
create or replace function tests.logged_run(parent regclass, as_of timestamptz, out rid bigint, out actions text[]) language plpgsql as $$
begin
  insert into _tide.runs (as_of) values (logged_run.as_of) returning run_id into rid;
  perform _tide.maintain_table(parent, as_of, rid);
  actions := (select array_agg(l.action || ':' || coalesce(l.partition, '') || ':' || l.outcome order by l.log_id)
                from _tide.log l where l.run_id = rid);
end $$;

-- A run logs, for each table, every partition it created and then the table's own row, in that
-- order (one INSERT for all of them), each with its duration.
create or replace function tests.test_listing_run_logs_creations_before_the_table_row() returns setof text language plpgsql as $$
declare rid bigint; actions text[];
begin
  create table ll (at timestamptz not null) partition by range (at);
  perform tide.manage('ll', 'at', '1 day', premake => 2, start_at => '2031-03-01');
  select r.rid, r.actions into rid, actions from tests.logged_run('ll', '2031-03-03 12:00+00') r;
  return next is(actions, array['create:public.ll_2031_03_04:ok', 'create:public.ll_2031_03_05:ok', 'maintain::ok'],
                 'the created partitions, in key order, then the table');
  return next is((select count(*)::int from _tide.log l
                   where l.run_id = rid and l.parent_oid = 'll'::regclass and l.parent = 'public.ll' and l.duration is not null),
                 3, 'every row names the table and carries a duration');
  return next is((select l.message from _tide.log l where l.run_id = rid and l.action = 'maintain'),
                 '2 created, 0 rows moved, 0 expired', 'the table row sums up the run');
  return next ok((select bool_and(d > interval '0') from (select l.logged_at - lag(l.logged_at) over (order by l.log_id) as d
                    from _tide.log l where l.run_id = rid) x where d is not null),
                 'each row carries the time of its own step, later along the log');
end $$;

create or replace function tests.test_listing_run_logs_creations_then_retention_then_the_table() returns setof text language plpgsql as $$
begin
  create table lr (at timestamptz not null) partition by range (at);
  perform tide.manage('lr', 'at', '1 day', premake => 1, keep => '1 day', start_at => '2031-03-01', default_partition => false);
  return next is((tests.logged_run('lr', '2031-03-03 12:00+00')).actions,
                 array['create:public.lr_2031_03_03:ok', 'create:public.lr_2031_03_04:ok', 'drop:public.lr_2031_03_01:ok', 'maintain::ok'],
                 'the partitions created, then those retention dropped, then the table, in the order they happened');
end $$;

create or replace function tests.test_listing_reattach_changes_due_signature() returns setof text language plpgsql as $$
declare sig text;
begin
  create table lr (at timestamptz not null) partition by range (at);
  perform tide.manage('lr', 'at', '1 month', premake => 3, start_at => '2031-01-01', default_partition => false);
  sig := _tide.due_signature(_tide.load_managed_table('lr'));
  -- detached and attached again by hand with other bounds: same oid, other range
  alter table lr detach partition lr_2031_02;
  alter table lr attach partition lr_2031_02 for values from ('2031-08-01 00:00+00') to ('2031-09-01 00:00+00');
  return next isnt(_tide.due_signature(_tide.load_managed_table('lr')), sig,
                   'a partition attached again with other bounds makes the table due (its oid alone would not)');
end $$;
