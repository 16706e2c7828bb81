-- The bad-input corpus: every call raises its documented SQLSTATE and leaves the catalog and
-- pgtide's state exactly as they were (compared by a fingerprint before and after).

create schema bad;

create or replace function tests.engine_fingerprint() returns text language sql as $$
  select md5(coalesce((select string_agg(c.oid::regclass::text || ':' || c.relkind::text || ':' || coalesce(pg_get_expr(c.relpartbound, c.oid), '')
                                         || ':' || (select count(*) from pg_constraint k where k.conrelid = c.oid), ',' order by c.oid)
                         from pg_class c where c.relnamespace = 'bad'::regnamespace), '')
             || coalesce((select string_agg(m::text, ',' order by m.parent) from _tide.managed_tables m), '')
             || (select count(*) from _tide.log)::text || (select count(*) from _tide.detached)::text) $$;

create or replace function tests.engine_bad(call text, code text, what text) returns setof text language plpgsql as $$
declare before text := tests.engine_fingerprint();
begin
  return next throws_ok(call, code, null, what);
  return next is(tests.engine_fingerprint(), before, what || ' — and changes nothing');
end $$;

create table bad.plain (at timestamptz);
create table bad.listed (at timestamptz) partition by list (at);
create table bad.hashed (id int) partition by hash (id);
create table bad.two (a int, b int) partition by range (a, b);
create table bad.expr (at timestamptz) partition by range (date_trunc('day', at at time zone 'UTC'));
create table bad.txt (k text) partition by range (k);
create table bad.num (k numeric) partition by range (k);
create table bad.ok (at timestamptz not null, other int) partition by range (at);
create table bad.okd (d date not null) partition by range (d);
create table bad.oki (id bigint not null) partition by range (id);
create table bad.offgrid (at timestamptz not null) partition by range (at);
create table bad.offgrid_p1 partition of bad.offgrid for values from ('2031-01-15 00:00+00') to ('2031-02-15 00:00+00');
create table bad.tomax (at timestamptz not null) partition by range (at);
create table bad.tomax_p1 partition of bad.tomax for values from ('2031-01-01 00:00+00') to (maxvalue);
create table bad.taken (at timestamptz not null) partition by range (at);
create table bad.taken_2031_02 (x int);
create view bad.v as select 1 as x;
create table bad.unpartitioned (at timestamptz not null);
create table bad.managed (at timestamptz not null) partition by range (at);
select count(*) from tide.manage('bad.managed', 'at', '1 month', premake => 1, start_at => '2031-01-01');
create table bad.managed_big (id bigint not null) partition by range (id);
select count(*) from tide.manage('bad.managed_big', 'id', '1000', premake => 1, start_at => '0', default_partition => false);
create table bad.managed_ts (at timestamp not null) partition by range (at);
select count(*) from tide.manage('bad.managed_ts', 'at', '1 month', premake => 1, start_at => '2031-01-01');
create table bad.managed_d (d date not null) partition by range (d);
select count(*) from tide.manage('bad.managed_d', 'd', '1 month', premake => 1, start_at => '2031-01-01');
create table bad.offset_tz (at timestamptz not null) partition by range (at);
select count(*) from tide.manage('bad.offset_tz', 'at', '1 month', premake => 1, start_at => '2027-01-01', default_partition => false);

create or replace function tests.test_engine_bad_input_corpus() returns setof text language plpgsql as $$
begin
  return query select tests.engine_bad($q$select tide.manage('bad.plain', 'at', '1 month')$q$, '42809', 'a plain table is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.listed', 'at', '1 month')$q$, '42809', 'a LIST-partitioned table is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.hashed', 'id', '1000')$q$, '42809', 'a HASH-partitioned table is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.v', 'x', '1000')$q$, '42809', 'a view is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.two', 'a', '1000')$q$, '0A000', 'a multi-column key is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.expr', 'at', '1 day')$q$, '0A000', 'an expression key is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.txt', 'k', '1000')$q$, '0A000', 'a text key is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.num', 'k', '1000')$q$, '0A000', 'a numeric key is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'nope', '1 month')$q$, '42703', 'a missing column is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'other', '1 month')$q$, '22023', 'a column that is not the key is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '15 minutes')$q$, '22023', 'an interval under an hour is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '2 years')$q$, '22023', 'an interval over a year is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '1 month 2 days')$q$, '22023', 'a mixed interval is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '5 months')$q$, '22023', 'months that do not divide a year are refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '7 hours')$q$, '22023', 'hours that do not divide a day are refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', 'monthly')$q$, '22023', 'a word for an interval is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '-1 month')$q$, '22023', 'a negative interval is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '')$q$, '22023', 'an empty interval is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.okd', 'd', '6 hours')$q$, '22023', 'hours on a date key are refused');
  return query select tests.engine_bad($q$select tide.manage('bad.oki', 'id', '1 month')$q$, '22023', 'an interval on an integer key is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.oki', 'id', '0')$q$, '22023', 'a zero integer interval is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '1 month', premake => 0)$q$, '22023', 'premake 0 is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '1 month', premake => -3)$q$, '22023', 'a negative premake is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '1 month', premake => 1000000)$q$, '22023', 'an absurd premake is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '1 month', on_expire => 'shred')$q$, '22023', 'an unknown on_expire is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '1 month', keep => '45 days')$q$, '22023', 'keep that is not whole months is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '1 day', keep => '36 hours')$q$, '22023', 'keep that is not whole days is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.oki', 'id', '1000', keep => '1500')$q$, '22023', 'integer keep not a multiple of every is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '1 month', keep => 'forever')$q$, '22023', 'keep that is not an interval is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '1 month', time_zone => 'Mars/Olympus')$q$, '22023', 'an unknown time zone is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', 'at', '1 month', start_at => 'soon')$q$, '22023', 'a start_at that is not a time is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.managed', 'at', '1 month')$q$, '42710', 'managing a table twice is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.offgrid', 'at', '1 month')$q$, 'TD002', 'an existing partition off the grid is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.tomax', 'at', '1 month')$q$, 'TD002', 'an existing partition to MAXVALUE is refused');
  return query select tests.engine_bad($q$select tide.manage('bad.taken', 'at', '1 month', start_at => '2031-01-01')$q$, '42P07', 'a partition name taken by an unrelated table is refused');
  return query select tests.engine_bad($q$select _tide.maintain_table('bad.ok', '2031-01-01')$q$, 'TD001', 'maintenance of an unmanaged table is refused');
  return query select tests.engine_bad($q$call tide.run_maintenance('bad.ok', '2031-01-01')$q$, 'TD001', 'run_maintenance of an unmanaged table is refused');
  return query select tests.engine_bad($q$select tide.unmanage('bad.ok')$q$, 'TD001', 'unmanaging an unmanaged table is refused');
  return query select tests.engine_bad($q$select tide.create_partitions('bad.ok', '2031-05-01')$q$, 'TD001', 'create_partitions on an unmanaged table is refused');
  return query select tests.engine_bad($q$select tide.create_partitions('bad.managed', 'next year')$q$, '22023', 'a through that is not a time is refused');
  return query select tests.engine_bad($q$select tide.create_partitions('bad.managed', '2400-01-01')$q$, '22023', 'a through more than 1000 partitions away is refused');
  return query select tests.engine_bad($q$update tide.config set premake = 0 where parent = 'bad.managed'::regclass$q$, '22023', 'config: premake 0 is refused');
  return query select tests.engine_bad($q$update tide.config set keep = '10 days' where parent = 'bad.managed'::regclass$q$, '22023', 'config: keep not in months is refused');
  return query select tests.engine_bad($q$update tide.config set on_expire = 'burn' where parent = 'bad.managed'::regclass$q$, '22023', 'config: unknown on_expire is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = '/var/archive' where parent = 'bad.managed'::regclass$q$, '22023', 'config: an archive_target that is a bare path is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = 's3://' where parent = 'bad.managed'::regclass$q$, '22023', 'config: an archive_target without a bucket is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = 'https://example.com/x' where parent = 'bad.managed'::regclass$q$, '22023', 'config: an archive_target of another scheme is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = 's3://bu cket/pg' where parent = 'bad.managed'::regclass$q$, '22023', 'config: an archive_target whose bucket has a space is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = 's3://bucket:abc/pg' where parent = 'bad.managed'::regclass$q$, '22023', 'config: an archive_target whose bucket has a port is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = 's3://bucket/%zz' where parent = 'bad.managed'::regclass$q$, '22023', 'config: an archive_target with a broken %-escape is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = 'file:///srv/a%2Fb' where parent = 'bad.managed'::regclass$q$, '22023', 'config: a file archive_target with an escaped / is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = 's3://bucket/%C3%28' where parent = 'bad.managed'::regclass$q$, '22023', 'config: an archive_target whose escapes are not UTF-8 is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = 's3://MyBucket/x' where parent = 'bad.managed'::regclass$q$, '22023', 'config: an S3 bucket in capitals (which S3 refuses) is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = 's3://bucket/pre?fix' where parent = 'bad.managed'::regclass$q$, '22023', 'config: an archive_target with a query, which the exporter would drop, is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = 'file:///srv/a#b' where parent = 'bad.managed'::regclass$q$, '22023', 'config: an archive_target with a fragment is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = 'file://nas/srv/archive' where parent = 'bad.managed'::regclass$q$, '22023', 'config: a file URL of another host, which the exporter cannot open, is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = e'file:///srv/a\tb' where parent = 'bad.managed'::regclass$q$, '22023', 'config: an archive_target with a tab, which the URL parser drops, is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = e'file:///srv/a\\b' where parent = 'bad.managed'::regclass$q$, '22023', 'config: a file archive_target with a backslash, read as a /, is refused');
  return query select tests.engine_bad($q$update tide.config set archive_target = 's3://bucket/prefix ' where parent = 'bad.managed'::regclass$q$, '22023', 'config: an archive_target with a trailing space, which the URL parser drops, is refused');
  return query select tests.engine_bad($q$update tide.config set enabled = null where parent = 'bad.managed'::regclass$q$, '22023', 'config: NULL enabled is refused');
  return query select tests.engine_bad($q$update tide.config set lock_timeout = '0' where parent = 'bad.managed'::regclass$q$, '22023', 'config: zero lock_timeout is refused');
  return query select tests.engine_bad($q$update tide.config set lock_retries = 1000 where parent = 'bad.managed'::regclass$q$, '22023', 'config: absurd lock_retries is refused');
  return query select tests.engine_bad($q$update tide.config set every = '1 day' where parent = 'bad.managed'::regclass$q$, '22023', 'config: changing the grid is refused');
  return query select tests.engine_bad($q$update tide.config set detach_schema = 'no_such_schema' where parent = 'bad.managed'::regclass$q$, '3F000', 'config: a missing detach schema is refused');
  return query select tests.engine_bad($q$select tide.create_partitions('bad.managed_big', '9223372036854775000')$q$, '22023', 'create_partitions through the last cell of the bigint range is refused (no raw 22003)');
  return query select tests.engine_bad($q$update tide.config set detach_schema = 'tide' where parent = 'bad.managed'::regclass$q$, '22023', 'config: pgtide''s own schema as detach schema is refused (uninstall would drop what is detached there)');
  return query select tests.engine_bad($q$update tide.config set detach_schema = '_tide' where parent = 'bad.managed'::regclass$q$, '22023', 'config: _tide as detach schema is refused');
  return query select tests.engine_bad($q$update tide.config set detach_schema = 'pg_catalog' where parent = 'bad.managed'::regclass$q$, '22023', 'config: a system schema as detach schema is refused');
  return query select tests.engine_bad($q$select tide.manage(NULL, 'x', '1 month')$q$, '22023', 'a NULL table is refused as a NULL argument');
  return query select tests.engine_bad($q$select tide.manage('bad.ok', NULL, '1 month')$q$, '22023', 'a NULL control column is refused as a NULL argument');
  return query select tests.engine_bad($q$update tide.config set on_expire = null where parent = 'bad.managed'::regclass$q$, '22023', 'config: NULL on_expire is refused');
  return query select tests.engine_bad($q$update tide.config set default_partition = null where parent = 'bad.managed'::regclass$q$, '22023', 'config: NULL default_partition is refused');
  return query select tests.engine_bad($q$update tide.config set lock_retries = -1 where parent = 'bad.managed'::regclass$q$, '22023', 'config: negative lock_retries is refused');
  return query select tests.engine_bad($q$update tide.config set keep = '-1 month' where parent = 'bad.managed'::regclass$q$, '22023', 'config: a negative keep is refused');
  return query select tests.engine_bad($q$update tide.config set keep = '0 months' where parent = 'bad.managed'::regclass$q$, '22023', 'config: a zero keep is refused');
  return query select tests.engine_bad($q$update tide.config set keep = '' where parent = 'bad.managed'::regclass$q$, '22023', 'config: an empty keep is refused');
  return query select tests.engine_bad($q$select tide.create_partitions('bad.managed', NULL)$q$, '22023', 'a NULL through is refused');
  return query select tests.engine_bad($q$call tide.drain_default('bad.managed', 0)$q$, '22023', 'a batch_rows of 0 is refused');
  return query select tests.engine_bad($q$select tide.create_partitions('bad.managed_ts', '2031-06-01 00:30:00+05')$q$, '22023', 'a through with an offset on a timestamp key is refused (not read with the offset dropped)');
  return query select tests.engine_bad($q$select tide.create_partitions('bad.managed_ts', '2031-06-01 00:30 Europe/Paris')$q$, '22023', 'a through with a zone name on a timestamp key is refused');
  return query select tests.engine_bad($q$select tide.create_partitions('bad.managed_d', '2031-06-01+02')$q$, '22023', 'a through with an offset on a date key is refused');
  return query select tests.engine_bad($q$select tide.schedule('bogus')$q$, '22023', 'a schedule that is not a cron expression is refused before pg_cron is asked');
  return query select tests.engine_bad($q$select tide.schedule('61 * * * *')$q$, '22023', 'a cron minute out of range is refused');
  return query select tests.engine_bad($q$select tide.schedule('')$q$, '22023', 'an empty schedule is refused');
  return query select tests.engine_bad($q$select * from tide.partitions_scanned($s$select 'abc$s$)$q$, '42601', 'an unterminated literal in partitions_scanned''s query is refused');
end $$;

create or replace function tests.test_engine_registration_is_for_the_owner() returns setof text language plpgsql as $$
declare before text;
begin
  create role engine_intruder_test nologin;
  create table bad.foreign_owned (at timestamptz not null) partition by range (at);
  grant usage on schema _tide to engine_intruder_test;
  grant insert on _tide.managed_tables to engine_intruder_test;
  grant usage on schema bad to engine_intruder_test;
  before := tests.engine_fingerprint();
  set local role engine_intruder_test;
  -- a role that may write pgtide's state but does not own the table cannot register it behind
  -- tide.manage's back (maintenance would then create and drop its partitions as the job's owner)
  return next throws_ok($q$insert into _tide.managed_tables (parent, parent_schema, parent_name, control, control_type, every, every_interval, premake, keep, default_partition)
                           values ('bad.foreign_owned', 'bad', 'foreign_owned', 'at', 'timestamptz', '1 month', '1 month', 1, '1 month', false)$q$,
                        '42501', 'bad.foreign_owned cannot be put under pgtide by role engine_intruder_test',
                        'registering a table one does not own is refused');
  reset role;
  return next is(tests.engine_fingerprint(), before, 'and changes nothing');
  return next lives_ok($q$select tide.manage('bad.foreign_owned', 'at', '1 month', premake => 1, start_at => '2031-01-01', default_partition => false)$q$,
                       'its owner (here a superuser) still manages it');
end $$;

create or replace function tests.test_engine_bad_input_messages() returns setof text language plpgsql as $$
declare st text; msg text; det text; hnt text;
begin
  begin
    perform tide.manage('bad.ok', 'at', '15 minutes');
  exception when others then
    get stacked diagnostics st = returned_sqlstate, msg = message_text, det = pg_exception_detail, hnt = pg_exception_hint;
  end;
  return next is(st, '22023', 'a too-short interval raises 22023');
  return next ok(msg like '%15 minutes%', 'the message names the value');
  return next ok(hnt like '%1 hour%', 'the hint says what to use instead');
  begin
    perform tide.manage('bad.offgrid', 'at', '1 month');
  exception when others then
    get stacked diagnostics st = returned_sqlstate, msg = message_text, det = pg_exception_detail, hnt = pg_exception_hint;
  end;
  return next ok(msg like '%bad.offgrid_p1%' and det is not null and hnt is not null, 'an off-grid partition is named, with DETAIL and HINT');
end $$;

-- One refusal in full: its SQLSTATE, a DETAIL and a HINT that are not empty, and a message that
-- names the object (NAMES: the table, or the argument or value when there is no table).
create or replace function tests.engine_bad_says(call text, code text, names text, what text) returns setof text language plpgsql as $$
declare st text; msg text; det text; hnt text;
begin
  begin
    execute call;
  exception when others then
    get stacked diagnostics st = returned_sqlstate, msg = message_text, det = pg_exception_detail, hnt = pg_exception_hint;
  end;
  return next is(st, code, what || ': SQLSTATE ' || code);
  return next ok(coalesce(det, '') <> '', what || ': a DETAIL');
  return next ok(coalesce(hnt, '') <> '', what || ': a HINT');
  return next ok(strpos(msg, names) > 0, format('%s: the message names %s (it says: %s)', what, names, msg));
end $$;

create or replace function tests.test_engine_bad_input_details() returns setof text language plpgsql as $$
begin
  -- tide.config's trigger
  return query select tests.engine_bad_says($q$update tide.config set on_expire = 'delete' where parent = 'bad.managed'::regclass$q$, '22023', 'bad.managed', 'config: unknown on_expire');
  return query select tests.engine_bad_says($q$update tide.config set on_expire = null where parent = 'bad.managed'::regclass$q$, '22023', 'bad.managed', 'config: NULL on_expire');
  return query select tests.engine_bad_says($q$update tide.config set enabled = null where parent = 'bad.managed'::regclass$q$, '22023', 'bad.managed', 'config: NULL enabled');
  return query select tests.engine_bad_says($q$update tide.config set default_partition = null where parent = 'bad.managed'::regclass$q$, '22023', 'bad.managed', 'config: NULL default_partition');
  return query select tests.engine_bad_says($q$update tide.config set lock_retries = -1 where parent = 'bad.managed'::regclass$q$, '22023', 'bad.managed', 'config: negative lock_retries');
  return query select tests.engine_bad_says($q$update tide.config set detach_schema = 'nosuch' where parent = 'bad.managed'::regclass$q$, '3F000', 'bad.managed', 'config: a missing detach schema');
  return query select tests.engine_bad_says($q$update tide.config set archive_target = 'archive/here' where parent = 'bad.managed'::regclass$q$, '22023', 'bad.managed', 'config: an archive_target that is not a file:/// or s3:// URI');
  -- the every/keep parser, through the trigger and through tide.manage
  return query select tests.engine_bad_says($q$update tide.config set keep = '-1 month' where parent = 'bad.managed'::regclass$q$, '22023', 'bad.managed', 'config: a negative keep');
  return query select tests.engine_bad_says($q$update tide.config set keep = '0 months' where parent = 'bad.managed'::regclass$q$, '22023', 'bad.managed', 'config: a zero keep');
  return query select tests.engine_bad_says($q$update tide.config set keep = '' where parent = 'bad.managed'::regclass$q$, '22023', 'bad.managed', 'config: an empty keep');
  return query select tests.engine_bad_says($q$update tide.config set keep = 'abc' where parent = 'bad.managed'::regclass$q$, '22023', 'bad.managed', 'config: a keep that is not an interval');
  return query select tests.engine_bad_says($q$select tide.manage('bad.ok', 'at', '2 years')$q$, '22023', 'bad.ok', 'every longer than a year');
  return query select tests.engine_bad_says($q$select tide.manage('bad.ok', 'at', '-1 month')$q$, '22023', 'bad.ok', 'a negative every');
  return query select tests.engine_bad_says($q$select tide.manage('bad.oki', 'id', '0')$q$, '22023', 'bad.oki', 'a zero integer every');
  return query select tests.engine_bad_says($q$select tide.manage('bad.okd', 'd', '6 hours')$q$, '22023', 'bad.okd', 'hours on a date key');
  -- tide.manage's own checks
  return query select tests.engine_bad_says($q$select tide.manage('bad.ok', 'at', '1 month', premake => 0)$q$, '22023', 'bad.ok', 'premake out of range');
  return query select tests.engine_bad_says($q$select tide.manage('bad.ok', 'at', '1 month', on_expire => 'shred')$q$, '22023', 'bad.ok', 'an unknown on_expire');
  return query select tests.engine_bad_says($q$select tide.manage('bad.ok', 'at', '1 month', time_zone => 'Mars/Olympus')$q$, '22023', 'bad.ok', 'an unknown time zone');
  return query select tests.engine_bad_says($q$select tide.manage('bad.ok', 'other', '1 month')$q$, '22023', 'bad.ok', 'a column that is not the partition key');
  return query select tests.engine_bad_says($q$select tide.manage('bad.ok', 'nope', '1 month')$q$, '42703', 'bad.ok', 'a missing column');
  return query select tests.engine_bad_says($q$select tide.manage('bad.managed', 'at', '1 month')$q$, '42710', 'bad.managed', 'a table already managed');
  return query select tests.engine_bad_says($q$select tide.manage('bad.listed', 'at', '1 month')$q$, '42809', 'bad.listed', 'a LIST-partitioned table');
  return query select tests.engine_bad_says($q$select tide.manage('bad.two', 'a', '1000')$q$, '0A000', 'bad.two', 'a multi-column key');
  return query select tests.engine_bad_says($q$select tide.manage('bad.txt', 'k', '1000')$q$, '0A000', 'bad.txt', 'a text key');
  return query select tests.engine_bad_says($q$select tide.manage('bad.v', 'x', '1000')$q$, '42809', 'bad.v', 'a view');
  return query select tests.engine_bad_says($q$select tide.manage(NULL, 'x', '1 month')$q$, '22023', 'parent', 'a NULL table (named as the argument)');
  return query select tests.engine_bad_says($q$select tide.manage('bad.ok', NULL, '1 month')$q$, '22023', 'bad.ok', 'a NULL control column');
  -- start_at, through, batch_rows
  return query select tests.engine_bad_says($q$select tide.create_partitions('bad.managed', NULL)$q$, '22023', 'bad.managed', 'a NULL through');
  return query select tests.engine_bad_says($q$select tide.create_partitions('bad.managed', 'next year')$q$, '22023', 'bad.managed', 'a through that is not a time');
  return query select tests.engine_bad_says($q$select tide.create_partitions('bad.managed_ts', '2031-06-01 00:30:00+05')$q$, '22023', 'bad.managed_ts', 'a through with an offset on a timestamp key');
  return query select tests.engine_bad_says($q$select tide.create_partitions('bad.managed_d', '2031-06-01+02')$q$, '22023', 'bad.managed_d', 'a through with an offset on a date key');
  return query select tests.engine_bad_says($q$call tide.drain_default('bad.managed', 0)$q$, '22023', 'bad.managed', 'a batch_rows of 0');
  return query select tests.engine_bad_says($q$select tide.create_partitions('bad.managed', '2400-01-01')$q$, '22023', 'bad.managed', 'a through more than 1000 partitions away');
  -- tide.convert's preflight
  return query select tests.engine_bad_says($q$call tide.convert('bad.v', 'x', '1000')$q$, '42809', 'bad.v', 'convert: a view');
  return query select tests.engine_bad_says($q$call tide.convert('bad.unpartitioned', 'at', '1 month', on_expire => null)$q$, '22023', 'bad.unpartitioned', 'convert: a NULL on_expire');
  return query select tests.engine_bad_says($q$call tide.convert('bad.unpartitioned', 'at', '1 month', premake => 0)$q$, '22023', 'bad.unpartitioned', 'convert: premake out of range');
  return query select tests.engine_bad_says($q$call tide.convert('bad.unpartitioned', 'at', '1 month', keep => '-1 month')$q$, '22023', 'bad.unpartitioned', 'convert: a negative keep');
  return query select tests.engine_bad_says($q$call tide.convert('bad.unpartitioned', 'nope', '1 month')$q$, '42703', 'bad.unpartitioned', 'convert: a missing column');
  -- the schedule and partitions_scanned's query (no table: the value or the function is named)
  return query select tests.engine_bad_says($q$select tide.schedule('bogus')$q$, '22023', 'bogus', 'a schedule that is not a cron expression');
  return query select tests.engine_bad_says($q$select tide.schedule('*/10 * * * mon-funday')$q$, '22023', 'mon-funday', 'a cron day-of-week that is not a day');
  return query select tests.engine_bad_says($q$select tide.schedule('')$q$, '22023', 'tide.schedule', 'an empty schedule');
  return query select tests.engine_bad_says($q$select _tide.cron_schedule_statement('*/10 * * *')$q$, '22023', '*/10 * * *', 'the statement pgtide schedule runs in pg_cron''s database checks the schedule too');
  return query select tests.engine_bad_says($q$select * from tide.partitions_scanned($s$select 'abc$s$)$q$, '42601', 'tide.partitions_scanned', 'an unterminated literal in the query');
end $$;

create or replace function tests.test_engine_offset_in_through_is_an_instant() returns setof text language plpgsql as $$
begin
  -- 2027-06-01 00:30+05 is 2027-05-31 19:30 UTC: the May partition holds it, so creation ends there
  set local timezone = 'America/New_York';
  return next is((select max(c.partition::text) from tide.create_partitions('bad.offset_tz', '2027-06-01 00:30:00+05') c),
                 'bad.offset_tz_2027_05', 'a through with an offset on a timestamptz key is that instant (creation ends with May)');
  return next ok(to_regclass('bad.offset_tz_2027_06') is null, 'and the June partition is not created');
  return next is((select max(c.partition::text) from tide.create_partitions('bad.offset_tz', '2027-07-01 00:30:00') c),
                 'bad.offset_tz_2027_07', 'a through without an offset is a wall-clock time in the table''s zone (UTC), not the session''s');
  return next is((select max(c.partition::text) from tide.create_partitions('bad.offset_tz', '2027-09-01 00:30 Europe/Paris') c),
                 'bad.offset_tz_2027_08', 'a zone name is honoured too (2027-08-31 22:30 UTC)');
  return next is(current_setting('timezone'), 'America/New_York', 'the session''s time zone is left as it was');
  return next ok((select count(*) from tide.manage('bad.ok', 'at', '1 day', premake => 1, start_at => '2027-03-01 02:00+05', default_partition => false)
                   where partition::text = 'bad.ok_2027_02_28') = 1,
                 'a start_at with an offset is that instant (2027-02-28 21:00 UTC)');
end $$;

create or replace function tests.cron_detail(schedule text) returns text language plpgsql as $$
declare det text;
begin
  perform _tide.check_cron_schedule(schedule);
  return null;
exception when invalid_parameter_value then
  get stacked diagnostics det = pg_exception_detail;
  return det;
end $$;

create or replace function tests.test_cron_backward_range_says_how_to_write_it() returns setof text language plpgsql as $$
begin
  -- pg_cron takes a backward range without reading it as wrapping round (fri-mon matches no day at all)
  return next is(tests.cron_detail('0 3 * * fri-mon'),
                 'The day-of-week field ''fri-mon'': the range runs backwards, which pg_cron does not read as wrapping round; write it as two ranges, fri-sat,sun-mon.',
                 'a backward day range is refused with the two ranges that mean it');
  return next is(tests.cron_detail('50-10 * * * *'),
                 'The minute field ''50-10'': the range runs backwards, which pg_cron does not read as wrapping round; write it as two ranges, 50-59,0-10.',
                 'a backward minute range is refused with the two ranges that mean it');
  return next is(tests.cron_detail('0 0 1 nov-feb *'),
                 'The month field ''nov-feb'': the range runs backwards, which pg_cron does not read as wrapping round; write it as two ranges, nov-dec,jan-feb.',
                 'a backward month range is refused with the two ranges that mean it');
  return next is(tests.cron_detail('0 3 * * 7-2'),
                 'The day-of-week field ''7-2'': the range runs backwards, which pg_cron does not read as wrapping round; write it as 0-2 (0 is Sunday too).',
                 'a day range from Sunday as 7 is refused with the range from 0');
  return next is(tests.cron_detail('50-10/5 * * * *'),
                 'The minute field ''50-10/5'': the range runs backwards, which pg_cron does not read as wrapping round; write it as two ranges, 50-59/5,0-10/5.',
                 'a backward range with a step keeps its step in both ranges');
  return next is(tests.cron_detail('0 22-4/3 * * *'),
                 'The hour field ''22-4/3'': the range runs backwards, which pg_cron does not read as wrapping round; write it as two ranges, 22-23/3,1-4/3.',
                 'a backward range with a step goes on across midnight (22, 1, 4)');
  return next is(tests.cron_detail('0 3 * * fri-mon/2'),
                 'The day-of-week field ''fri-mon/2'': the range runs backwards, which pg_cron does not read as wrapping round; write it as two ranges, 5-6/2,0-1/2.',
                 'a backward day range with a step goes on across the week (fri, sun)');
  return next is(tests.cron_detail('0 22-0/3 * * *'),
                 'The hour field ''22-0/3'': the range runs backwards, which pg_cron does not read as wrapping round; write it as 22-23/3 (no step lands after the end of the field).',
                 'when no step lands past the end of the field, one range');
  return next is(tests.cron_detail('0 22-23/3,1-4/3 * * *'), null, 'the continued ranges are taken');
  return next is(tests.cron_detail('0 3 * * fri-sat,sun-mon'), null, 'the two ranges are taken');
  return next is(tests.cron_detail('0 3 * * 0-2'), null, 'the range from 0 is taken');
  return next is(tests.cron_detail('50-59/5,0-10/5 * * * *'), null, 'the two ranges with steps are taken');
end $$;
