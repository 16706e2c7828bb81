-- The reference deployment (examples/audit_log): routing on write at every month edge, pruning on
-- read, 24-month retention as time advances, the runbook's functions, and append-only privileges.
-- Fixture: the example files applied as a user would, with partitions back-filled from 2023-11.

set audit_log.start_at = '2023-11-01';
\ir ../../examples/audit_log/01_table.sql
\ir ../../examples/audit_log/02_append_only.sql
\ir ../../examples/audit_log/03_manage.sql
\ir ../../examples/audit_log/04_compat.sql
reset audit_log.start_at;

-- Another schema the writer must not read.
create schema billing;
create table billing.invoices (invoice_id bigint primary key, amount numeric not null);
insert into billing.invoices values (1, 10.00);

-- Run one statement as another role; the role reverts when the statement fails (throws_ok's
-- subtransaction rolls the setting back) and at the end when it succeeds.
create function tests.run_as(role_name name, statement text) returns void language plpgsql as $$
begin
  execute format('set local role %I', role_name);
  execute statement;
  reset role;
end $$;

-- A minimal valid event at an instant.
create function tests.event_at(at timestamptz) returns text language sql as $$
  select format($i$insert into audit_log ("timestamp", principal_id, action, status) values (%L, 'user:1', 'document.read', 'success')$i$, at);
$$;

-- Monthly range partitions of audit_log, with their UTC bounds, oldest first.
create function tests.months() returns table (name text, lower_at timestamptz, upper_at timestamptz) language sql as $$
  select p.partition_name::text, lower(p.time_range), upper(p.time_range)
    from tide.partitions p
   where p.parent = 'audit_log'::regclass and not p.is_default and not p.detached
   order by lower(p.time_range);
$$;

create function tests.test_a_partition_per_utc_month() returns setof text language plpgsql as $$
begin
  return next ok((select count(*) from tests.months()) >= 36,
                 'audit_log has a partition for every month from 2023-11 to four months ahead');
  return next is((select count(*)::int from tests.months() m
                   where m.lower_at <> date_trunc('month', m.lower_at, 'UTC')
                      or m.upper_at <> m.lower_at + interval '1 month'
                      or m.name <> 'audit_log_' || to_char(m.lower_at at time zone 'UTC', 'YYYY_MM')),
                 0, 'every partition spans one calendar month in UTC and is named audit_log_YYYY_MM');
  return next is((select count(*)::int from tests.months() m
                   where not exists (select from tests.months() n where n.lower_at = m.upper_at)
                     and m.upper_at <> (select max(upper_at) from tests.months())),
                 0, 'the months are contiguous: every partition but the newest is followed by the next month');
  return next ok(exists (select from tide.partitions p where p.parent = 'audit_log'::regclass and p.is_default),
                 'audit_log has a default partition');
end $$;

create function tests.test_routing_at_every_month_edge() returns setof text language plpgsql as $$
declare
  m       record;
  checked integer := 0;
  wrong   text[] := '{}';
  landed  text;
begin
  -- A session time zone far from UTC must not move any edge.
  set local timezone = 'Pacific/Chatham';
  for m in select * from tests.months() offset 1 loop
    execute tests.event_at(m.lower_at - interval '1 microsecond');
    execute tests.event_at(m.lower_at);
    checked := checked + 1;
  end loop;
  for m in select * from tests.months() loop
    for landed in
      select a.tableoid::regclass::text
        from audit_log a
       where a."timestamp" >= m.lower_at and a."timestamp" < m.upper_at
         and a.tableoid::regclass::text <> m.name
    loop
      wrong := wrong || landed;
    end loop;
  end loop;
  return next ok(checked >= 36, format('checked %s month edges', checked));
  return next is((select count(*)::int from audit_log), 2 * checked,
                 'every edge row was stored (last microsecond of a month and first of the next)');
  return next is(wrong, '{}'::text[], 'every edge row is in the partition of its own UTC month');
  return next is((select tableoid::regclass::text from audit_log where "timestamp" = '2024-02-29 23:59:59.999999+00'),
                 'audit_log_2024_02', 'the last microsecond of a leap February lands in audit_log_2024_02');
  return next is((select tableoid::regclass::text from audit_log where "timestamp" = '2024-03-01 00:00:00+00'),
                 'audit_log_2024_03', 'the first microsecond of March 2024 lands in audit_log_2024_03');
  return next is((select count(*)::int from audit_log_default), 0, 'no edge row fell into the default partition');
end $$;

create function tests.test_rows_outside_every_month_go_to_default() returns setof text language plpgsql as $$
begin
  execute tests.event_at('2019-06-01 12:00+00');
  return next is((select tableoid::regclass::text from audit_log where "timestamp" = '2019-06-01 12:00+00'),
                 'audit_log_default', 'an event older than every partition is kept in audit_log_default');
end $$;

create function tests.test_pruning_on_read() returns setof text language plpgsql as $$
declare
  -- tide.partitions_scanned plans the query with its own search_path: name the table with its schema.
  total integer := (select count(*) from tide.partitions p where p.parent = 'audit_log'::regclass and not p.detached);
begin
  return next is(
    (select array_agg(s.partition::text order by s.partition::text)
       from tide.partitions_scanned($q$select count(*) from public.audit_log
                                      where "timestamp" >= '2026-08-24 00:00+00' and "timestamp" < '2026-11-22 00:00+00'$q$) s),
    array['audit_log_2026_08', 'audit_log_2026_09', 'audit_log_2026_10', 'audit_log_2026_11'],
    'a 90-day query touches only the four months it spans');
  return next is(
    (select count(*)::int from tide.partitions_scanned($q$select * from public.audit_log where "timestamp" >= '2024-03-01' and "timestamp" < '2024-04-01'$q$)),
    1, 'a query for one calendar month touches one partition');
  return next is(
    (select count(*)::int from tide.partitions_scanned($q$select count(*) from public.audit_log$q$)),
    total, 'an unfiltered query touches every partition, the default included');
  return next ok(
    (select count(*) from tide.partitions_scanned(
       $q$select count(*) from public.audit_log where "timestamp" >= now() - interval '90 days' and "timestamp" < now()$q$)) between 3 and 4,
    'the last 90 days relative to now() touch 3 or 4 partitions');
end $$;

create function tests.test_retention_keeps_24_months_as_time_advances() returns setof text language plpgsql as $$
declare
  as_of   timestamptz;
  bad     text[] := '{}';
  oldest  timestamptz;
  newest  timestamptz;
begin
  -- Month by month for a year and a half, at mid-month instants: after each run the oldest month
  -- online is the one 24 months back, and four months ahead exist.
  for as_of in select generate_series(timestamptz '2025-11-15 12:00+00', '2027-05-15 12:00+00', interval '1 month') loop
    perform _tide.maintain_table('audit_log'::regclass, as_of);
    select min(lower_at), max(upper_at) into oldest, newest from tests.months();
    if oldest <> date_trunc('month', as_of - interval '24 months', 'UTC') then
      bad := bad || format('as_of %s: oldest month %s', as_of, oldest);
    end if;
    if newest < as_of + interval '4 months' then
      bad := bad || format('as_of %s: covered only until %s', as_of, newest);
    end if;
  end loop;
  return next is(bad, '{}'::text[], 'at every month from 2025-11 to 2027-05 exactly 24 months back stay online and 4 months ahead exist');
  return next ok(exists (select from tide.partitions p where p.parent = 'audit_log'::regclass and p.is_default),
                 'retention never removes the default partition');
end $$;

create function tests.test_retention_edge_is_the_whole_month() returns setof text language plpgsql as $$
begin
  perform _tide.maintain_table('audit_log'::regclass, '2025-12-31 23:59:59.999999+00');
  return next ok(to_regclass('audit_log_2023_12') is not null,
                 'December 2023 stays while any of it is younger than 24 months');
  return next ok(to_regclass('audit_log_2023_11') is null, 'November 2023 is gone once all of it is older than 24 months');
  perform _tide.maintain_table('audit_log'::regclass, '2026-01-01 00:00:00+00');
  return next ok(to_regclass('audit_log_2023_12') is null,
                 'December 2023 is retired at the first instant of January 2026');
  return next ok(to_regclass('audit_log_2024_01') is not null, 'January 2024 is still online then');
end $$;

create function tests.test_new_partitions_inherit_indexes_trigger_and_grants() returns setof text language plpgsql as $$
declare
  newest regclass;
begin
  perform _tide.maintain_table('audit_log'::regclass, '2027-06-15 00:00+00');
  newest := (select name from tests.months() order by lower_at desc limit 1)::regclass;
  return next is(newest::text, 'audit_log_2027_10', 'maintenance in June 2027 makes partitions through October 2027');
  return next is((select count(*)::int from pg_index where indrelid = newest),
                 (select count(*)::int from pg_index where indrelid = 'audit_log'::regclass),
                 'a new partition has every index of the parent');
  return next ok(exists (select from pg_trigger where tgrelid = newest and tgname = 'audit_log_append_only'),
                 'a new partition carries the append-only trigger');
  return next ok(has_table_privilege('audit_writer', newest, 'INSERT') and not has_table_privilege('audit_writer', newest, 'UPDATE'),
                 'a new partition grants audit_writer INSERT and nothing more');
end $$;

create function tests.test_create_audit_log_partitions() returns setof text language plpgsql as $$
declare
  newest text := (select name from tests.months() order by lower_at desc limit 1);
begin
  return next is((select count(*)::int from create_audit_log_partitions()), 0,
                 'create_audit_log_partitions() creates nothing when every month ahead exists');
  execute format('drop table %I', newest);
  return next is((select array_agg(partition_name) from create_audit_log_partitions()), array[newest],
                 'create_audit_log_partitions() re-creates a missing month ahead and returns its name');
  return next ok(to_regclass(newest) is not null, 'the re-created partition is attached again');
  return next throws_ok('select create_audit_log_partitions(-1)', '22023', null,
                        'a negative months_ahead is refused with 22023');
end $$;

create function tests.test_drop_old_audit_partitions() returns setof text language plpgsql as $$
declare
  expected text[] := (select array_agg(name order by name) from tests.months() where upper_at <= now() - interval '400 days');
begin
  return next ok(cardinality(expected) > 0, 'the fixture holds months older than 400 days');
  return next is((select array_agg(partition_name order by partition_name) from drop_old_audit_partitions(400)), expected,
                 'drop_old_audit_partitions(400) retires exactly the months wholly older than 400 days');
  return next is((select min(lower_at) from tests.months()) > now() - interval '400 days' - interval '1 month', true,
                 'no month wholly older than 400 days is left');
  return next is((select keep from tide.config where parent = 'audit_log'::regclass), '24 months',
                 'the configured keep is unchanged afterwards');
  return next throws_ok('select drop_old_audit_partitions(0)', '22023', null, 'retention_days 0 is refused with 22023');
  return next throws_ok('select drop_old_audit_partitions(null)', '22023', null, 'retention_days NULL is refused with 22023');
end $$;

create function tests.test_get_audit_partition_stats() returns setof text language plpgsql as $$
begin
  return next is((select count(*)::int from get_audit_partition_stats()),
                 (select count(*)::int from tide.partitions p where p.parent = 'audit_log'::regclass and not p.detached),
                 'get_audit_partition_stats() has one row per partition');
  return next is((select partition_name from get_audit_partition_stats() offset (select count(*) - 1 from get_audit_partition_stats())),
                 'audit_log_default', 'the default partition is listed last');
  return next is((select partition_name from get_audit_partition_stats() limit 1), 'audit_log_2023_11', 'the oldest month is listed first');
  return next ok((select bool_and(total_bytes > 0 and total_size is not null) from get_audit_partition_stats()),
                 'every partition reports its size');
end $$;

create function tests.test_writer_may_only_insert() returns setof text language plpgsql as $$
begin
  return next lives_ok(format('select tests.run_as(%L, %L)', 'audit_writer', tests.event_at(now())),
                       'audit_writer can record an event');
  return next throws_ok(format('select tests.run_as(%L, %L)', 'audit_writer', 'update audit_log set status = ''failure'''),
                        '42501', null, 'audit_writer cannot UPDATE');
  return next throws_ok(format('select tests.run_as(%L, %L)', 'audit_writer', 'delete from audit_log'),
                        '42501', null, 'audit_writer cannot DELETE');
  return next throws_ok(format('select tests.run_as(%L, %L)', 'audit_writer', 'select count(*) from audit_log'),
                        '42501', null, 'audit_writer cannot read the audit log back');
  return next throws_ok(format('select tests.run_as(%L, %L)', 'audit_writer', 'select * from billing.invoices'),
                        '42501', null, 'audit_writer cannot read another schema');
  return next throws_ok(format('select tests.run_as(%L, %L)', 'audit_writer', 'select * from _tide.managed_tables'),
                        '42501', null, 'audit_writer cannot read pgtide''s state');
end $$;

create function tests.test_reader_may_only_select() returns setof text language plpgsql as $$
begin
  execute tests.event_at('2026-01-10 00:00+00');
  return next lives_ok(format('select tests.run_as(%L, %L)', 'audit_reader', 'select count(*) from audit_log'),
                       'audit_reader can read the audit log');
  return next throws_ok(format('select tests.run_as(%L, %L)', 'audit_reader', tests.event_at(now())),
                        '42501', null, 'audit_reader cannot INSERT');
  return next throws_ok(format('select tests.run_as(%L, %L)', 'audit_reader', 'delete from audit_log'),
                        '42501', null, 'audit_reader cannot DELETE');
end $$;

create function tests.test_append_only_beyond_privileges() returns setof text language plpgsql as $$
begin
  execute tests.event_at('2026-01-10 00:00+00');
  -- Even a role that was granted UPDATE and DELETE by mistake cannot change history.
  grant update, delete, truncate on audit_log to audit_reader;
  grant update, delete on audit_log_2026_01 to audit_reader;
  return next throws_like(format('select tests.run_as(%L, %L)', 'audit_reader', 'update audit_log set status = ''failure'''),
                          'UPDATE on %audit_log_2026_01 refused: the audit log is append-only',
                          'UPDATE by a non-owner is refused by the append-only trigger, naming the partition');
  return next throws_ok(format('select tests.run_as(%L, %L)', 'audit_reader', 'delete from audit_log'),
                        '42501', null, 'DELETE by a non-owner is refused with 42501');
  return next throws_like(format('select tests.run_as(%L, %L)', 'audit_reader', 'update audit_log_2026_01 set status = ''failure'''),
                          '%append-only%', 'a direct UPDATE of a partition is refused too');
  return next throws_like(format('select tests.run_as(%L, %L)', 'audit_reader', 'truncate audit_log'),
                          'TRUNCATE on %audit_log refused%', 'TRUNCATE by a non-owner is refused');
  return next is((select count(*)::int from audit_log where status = 'success'), 1, 'the event is unchanged');
end $$;

create function tests.test_owner_may_correct() returns setof text language plpgsql as $$
begin
  execute tests.event_at('2026-01-10 00:00+00');
  return next lives_ok('update audit_log set archived_at = now()', 'the owner may still correct an event');
  return next lives_ok('delete from audit_log', 'the owner may still purge events');
  return next is((select count(*)::int from audit_log), 0, 'the owner''s delete took effect');
end $$;

create function tests.test_parent_declares_the_index_set() returns setof text language plpgsql as $$
begin
  return next is((select count(*)::int from pg_index where indrelid = 'audit_log'::regclass), 15,
                 'the parent declares the primary key and 14 indexes');
  return next is((select pg_get_indexdef(indexrelid) from pg_index where indrelid = 'audit_log'::regclass and indisprimary),
                 'CREATE UNIQUE INDEX audit_log_pkey ON ONLY public.audit_log USING btree (id, "timestamp")',
                 'the primary key is (id, "timestamp"): it includes the partition key');
  return next is((select am.amname::text from pg_class c join pg_am am on am.oid = c.relam where c.oid = 'audit_log_hash_idx'::regclass),
                 'hash', 'hash is indexed with a hash index');
  return next is((select am.amname::text from pg_class c join pg_am am on am.oid = c.relam where c.oid = 'audit_log_details_idx'::regclass),
                 'gin', 'details is indexed with GIN');
  return next is((select count(*)::int from tests.months() m
                   where (select count(*) from pg_index where indrelid = m.name::regclass) <> 15),
                 0, 'every monthly partition carries the same 15 indexes');
end $$;

create function tests.test_audit_log_is_managed_monthly() returns setof text language plpgsql as $$
begin
  return next is((select format('%s|%s|%s|%s', every, premake, keep, on_expire) from tide.config where parent = 'audit_log'::regclass),
                 '1 month|4|24 months|drop', 'audit_log is managed monthly, 4 months ahead, 24 months kept, older months dropped');
end $$;
