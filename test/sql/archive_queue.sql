-- The archive queue in SQL: enqueueing, the content checksum, and complete_archive refusing to drop
-- a partition its manifest does not match.
create table public."arch ""parent""" (id bigint, at timestamptz not null, note text) partition by range (at);
create table public."arch p1" partition of public."arch ""parent""" for values from ('2020-01-01 00:00:00+00') to ('2020-02-01 00:00:00+00');
insert into public."arch p1" select g, '2020-01-01 00:00:00+00'::timestamptz + g * interval '1 minute', 'n' || g from generate_series(1, 100) g;
alter table public."arch ""parent""" detach partition public."arch p1";

create function tests.test_enqueue_archive_is_idempotent() returns setof text language plpgsql as $$
declare a bigint; b bigint;
begin
  a := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', '2020-01-01 00:00:00+00', '2020-02-01 00:00:00+00');
  b := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', '2020-01-01 00:00:00+00', '2020-02-01 00:00:00+00');
  return next is(a, b, 'queueing the same detached partition twice returns the same archive job');
  return next is((select state from tide.archives where archive_id = a), 'pending', 'a new job is pending');
  return next is((select control::text from _tide.archives where archive_id = a), 'at', 'the control column is taken from the parent''s partition key');
end $$;

create function tests.test_enqueue_rejects_attached_partition() returns setof text language plpgsql as $$
begin
  create table public.arch_att (at timestamptz) partition by range (at);
  create table public.arch_att_1 partition of public.arch_att for values from ('2020-01-01') to ('2020-02-01');
  return next throws_ok($q$select _tide.enqueue_archive('public.arch_att', 'public.arch_att_1', null, null)$q$,
    '55000', null, 'a partition still attached to its parent cannot be queued');
end $$;

create function tests.test_checksum_is_order_independent() returns setof text language plpgsql as $$
begin
  create table public.arch_copy as select * from public."arch p1" order by id desc;
  return next is((select checksum from tide.archive_checksum('public."arch p1"', 'at')),
                 (select checksum from tide.archive_checksum('public.arch_copy', 'at')),
                 'the same rows in another physical order have the same checksum');
  update public.arch_copy set note = 'changed' where id = 50;
  return next isnt((select checksum from tide.archive_checksum('public."arch p1"', 'at')),
                   (select checksum from tide.archive_checksum('public.arch_copy', 'at')),
                   'changing one value changes the checksum');
end $$;

create function tests.test_checksum_sees_moves_duplicates_and_nulls() returns setof text language plpgsql as $$
declare base text;
begin
  create table public.arch_two (a text, b text);
  insert into public.arch_two values ('x', 'y'), ('x', 'y');
  base := (select checksum from tide.archive_checksum('public.arch_two'));
  update public.arch_two set a = 'y', b = 'x';
  return next isnt((select checksum from tide.archive_checksum('public.arch_two')), base,
                   'moving values between columns changes the checksum');
  update public.arch_two set a = 'x', b = 'y';
  return next is((select checksum from tide.archive_checksum('public.arch_two')), base, 'and moving them back restores it');
  update public.arch_two set b = null;
  return next isnt((select checksum from tide.archive_checksum('public.arch_two')), base, 'a NULL is not a value');
  update public.arch_two set b = '';
  base := (select checksum from tide.archive_checksum('public.arch_two'));
  update public.arch_two set b = null;
  return next isnt((select checksum from tide.archive_checksum('public.arch_two')), base, 'NULL and the empty string differ');
end $$;

-- A job for "arch p1", claimed (exporting), optionally with its exported object on record, and
-- the manifest that matches the table.
create function tests.arch_p1_job(exported boolean, out archive_id bigint, out good jsonb) language plpgsql as $$
begin
  archive_id := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', null, null);
  update _tide.archives a set state = 'exporting' where a.archive_id = arch_p1_job.archive_id;
  if exported then
    perform tide.mark_archive_exported(archive_id, 'file:///archive/arch_p1.parquet', 1234, repeat('b', 64));
  end if;
  select jsonb_build_object('rows', c.rows, 'content_checksum', c.checksum, 'file_sha256', repeat('b', 64),
                            'min_control', c.min_control, 'max_control', c.max_control)
    into good from tide.archive_checksum('public."arch p1"', 'at') c;
end $$;

create function tests.test_complete_archive_refuses_a_wrong_manifest() returns setof text language plpgsql as $$
declare a bigint; good jsonb;
begin
  select j.archive_id, j.good into a, good from tests.arch_p1_job(true) j;
  return next throws_ok(format($q$select tide.complete_archive(%s, '{"rows": 99, "content_checksum": "0000000000000000", "file_sha256": "%s"}')$q$, a, repeat('b', 64)),
    'TD010', null, 'a manifest whose rows or checksum differ from the table is refused');
  return next throws_ok(format($q$select tide.complete_archive(%s, '{"rows": 99, "content_checksum": "0000000000000000", "file_sha256": "%s"}')$q$, a, repeat('a', 64)),
    'TD010', null, 'so is one whose sha256 differs from the exported object on record');
  return next isnt(to_regclass('public."arch p1"'), null, 'and the partition is kept');
  return next is(tide.complete_archive(a, good), 'dropped', 'a matching manifest drops the partition');
  return next is(to_regclass('public."arch p1"'), null, 'the partition is gone');
  return next is((select state from tide.archives where archive_id = a), 'dropped', 'the job is marked dropped');
end $$;

create function tests.test_complete_archive_rejects_malformed_manifest() returns setof text language plpgsql as $$
declare a bigint;
begin
  a := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', null, null);
  update _tide.archives set state = 'exporting' where archive_id = a;
  return next throws_ok(format($q$select tide.complete_archive(%s, '{"rows": "many"}')$q$, a),
    '22023', null, 'a manifest without rows, checksum and sha256 is rejected before anything happens');
end $$;

create function tests.test_complete_archive_needs_the_exported_object_on_record() returns setof text language plpgsql as $$
declare a bigint; good jsonb;
begin
  select j.archive_id, j.good into a, good from tests.arch_p1_job(false) j;
  return next throws_ok(format('select tide.complete_archive(%s, %L)', a, good), '55000', null,
    'a matching manifest is not enough while no exported object is on record (tide.mark_archive_exported)');
  return next isnt(to_regclass('public."arch p1"'), null, 'and the partition is kept');
end $$;

create function tests.test_complete_archive_refuses_a_table_attached_again() returns setof text language plpgsql as $$
declare a bigint; good jsonb;
begin
  select j.archive_id, j.good into a, good from tests.arch_p1_job(true) j;
  create table public.arch_again (id bigint, at timestamptz not null, note text) partition by range (at);
  alter table public.arch_again attach partition public."arch p1" for values from ('2020-01-01 00:00:00+00') to ('2020-02-01 00:00:00+00');
  return next throws_ok(format('select tide.complete_archive(%s, %L)', a, good), '55000', null,
    'a detached table attached as a partition again is live data: completing its archive is refused');
  return next isnt(to_regclass('public."arch p1"'), null, 'and it is kept');
end $$;

-- An exporter killed in the middle of a job never calls fail_archive: its claim (attempts + 1) ends
-- with the connection, the job still 'exporting'. Such claims count towards archive_max_attempts.
create function tests.killed_claims(a bigint, n integer) returns void language plpgsql as $$
begin
  for i in 1 .. n loop
    perform tide.claim_archive('killed exporter', a);
    perform tide.release_archive(a);  -- what its connection ending does
  end loop;
end $$;

create function tests.test_claim_fails_a_job_whose_exporter_keeps_stopping() returns setof text language plpgsql as $$
declare a bigint; other bigint;
begin
  update _tide.settings set value = '3' where name = 'archive_max_attempts';
  a := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', null, null);
  perform tests.killed_claims(a, 3);
  return next is((select state || ' ' || attempts from _tide.archives where archive_id = a), 'exporting 3',
                 'three claims whose exporter stopped leave the job exporting, attempts 3');
  return next is((select count(*)::int from tide.claim_archive('next exporter', a)), 0,
                 'with archive_max_attempts 3, a fourth claim hands the job out no more');
  return next is((select state from _tide.archives where archive_id = a), 'failed', 'it is marked failed instead');
  return next matches((select error from _tide.archives where archive_id = a),
                      '^the exporter stopped 3 time\(s\) without finishing the archive of .*arch p1.*partition was kept.*UPDATE _tide.archives SET attempts = 0 WHERE archive_id = ' || a || '$',
                      'its error names the partition, says the exporter stopped 3 times without finishing, and how to retry');
  return next isnt(to_regclass('public."arch p1"'), null, 'the partition is kept');
  return next is((select count(*)::int from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()), 0,
                 'the claim that failed it holds no lock on it');
  return next is((select severity || ': ' || hint from tide.health where "check" = 'archive_failed' and detail like '%arch p1%'),
                 'critical: Retries are exhausted: fix the cause, then UPDATE _tide.archives SET attempts = 0 WHERE archive_id = ' || a,
                 'tide.health reports it critical, as any job whose retries are exhausted');
  return next is((select count(*)::int from tide.health where "check" = 'archive_backlog'), 0, 'and not as backlog');
  -- the same as a job that failed through fail_archive on its last attempt
  update _tide.archives set state = 'failed', attempts = 3, error = 'disk full' where archive_id = a;
  return next is((select severity || ': ' || hint from tide.health where "check" = 'archive_failed' and detail like '%arch p1%'),
                 'critical: Retries are exhausted: fix the cause, then UPDATE _tide.archives SET attempts = 0 WHERE archive_id = ' || a,
                 'which is what tide.health says of a job whose last attempt failed through fail_archive');
  update _tide.archives set attempts = 0 where archive_id = a;
  return next is((select previous_state || ' ' || attempts from tide.claim_archive('next exporter', a)), 'failed 1',
                 'after the retry its hint gives, it is handed out again');
  perform tide.release_archive(a);
end $$;

create function tests.test_claim_still_resumes_below_the_cap() returns setof text language plpgsql as $$
declare a bigint;
begin
  update _tide.settings set value = '3' where name = 'archive_max_attempts';
  a := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', null, null);
  perform tide.claim_archive('w', a);
  perform tide.mark_archive_exported(a, 'file:///archive/arch_p1.parquet', 1234, repeat('b', 64));
  perform tide.release_archive(a);  -- killed after publishing
  perform tests.killed_claims(a, 1);  -- and once more while verifying
  return next is((select previous_state || ' ' || attempts from tide.claim_archive('w', a)), 'exported 3',
                 'an exported job whose exporters stopped is handed out to resume while attempts are below the cap');
  perform tide.release_archive(a);
  return next is((select count(*)::int from tide.claim_archive('w', a)), 0, 'and not once they reached it');
  return next is((select state from _tide.archives where archive_id = a), 'failed', 'it is failed then');
end $$;

create function tests.test_claim_hands_out_a_verified_job_whose_attempts_finished() returns setof text language plpgsql as $$
declare a bigint;
begin
  update _tide.settings set value = '3' where name = 'archive_max_attempts';
  a := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', null, null);
  -- verified and kept (--keep-partition) by each of three runs that finished
  update _tide.archives set state = 'verified', attempts = 3, claimed_at = now() - interval '1 hour',
         verified_at = now() - interval '59 minutes', file_sha256 = repeat('b', 64) where archive_id = a;
  return next is((select previous_state || ' ' || attempts from tide.claim_archive('w', a)), 'verified 4',
                 'a verified job whose last attempt finished is still handed out at the cap');
  perform tide.release_archive(a);
  -- that fourth attempt stopped before it recorded anything (claimed_at is now, after verified_at)
  return next is((select count(*)::int from tide.claim_archive('w', a)), 0, 'one that stopped after being claimed again is not');
  return next is((select state from _tide.archives where archive_id = a), 'failed', 'it is failed');
end $$;

create function tests.test_archive_target_set_in_config_reaches_the_exporter() returns setof text language plpgsql as $$
declare a bigint;
begin
  perform count(*) from tide.manage('public."arch ""parent"""', 'at', '1 month', premake => 1, keep => '24 months', on_expire => 'archive');
  a := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', null, null);
  return next is((select archive_target from tide.claim_archive('exporter', a)), null, 'without an archive_target the exporter uses its --target');
  perform tide.release_archive(a);
  update tide.config set archive_target = 's3://audit-archive/pg' where parent = 'public."arch ""parent"""'::regclass;
  return next is((select archive_target from tide.config where parent = 'public."arch ""parent"""'::regclass), 's3://audit-archive/pg',
                 'tide.config takes an archive_target');
  return next is((select archive_target from tide.claim_archive('exporter', a)), 's3://audit-archive/pg', 'and the claim hands it to the exporter');
  perform tide.release_archive(a);
  update tide.config set archive_target = 'file:///srv/archive' where parent = 'public."arch ""parent"""'::regclass;
  return next is((select archive_target from tide.config where parent = 'public."arch ""parent"""'::regclass), 'file:///srv/archive',
                 'a file URL of an absolute folder too');
  -- what else the exporter opens
  return next lives_ok($q$update tide.config set archive_target = 'file://LOCALHOST/srv/archive' where parent = 'public."arch ""parent"""'::regclass$q$, 'file://localhost/... is taken');
  return next lives_ok($q$update tide.config set archive_target = 'FILE:///srv/my%20archive/%C3%A9t%C3%A9' where parent = 'public."arch ""parent"""'::regclass$q$, 'FILE:///... with an escaped space is taken');
  return next lives_ok($q$update tide.config set archive_target = 'S3://audit-archive.eu/pg' where parent = 'public."arch ""parent"""'::regclass$q$, 'S3://bucket.with.dots/... is taken');
  -- a value set before it was checked (by writing _tide.managed_tables) does not stop other changes
  alter table _tide.managed_tables disable trigger managed_tables_check;
  update _tide.managed_tables set archive_target = 'ftp://old/place' where parent = 'public."arch ""parent"""'::regclass;
  alter table _tide.managed_tables enable trigger managed_tables_check;
  return next lives_ok($q$update tide.config set premake = 2 where parent = 'public."arch ""parent"""'::regclass$q$,
                       'a row holding an unchecked archive_target can still have its other settings changed');
  update tide.config set archive_target = null where parent = 'public."arch ""parent"""'::regclass;
  return next is((select archive_target from tide.config where parent = 'public."arch ""parent"""'::regclass), null, 'and NULL again');
end $$;
