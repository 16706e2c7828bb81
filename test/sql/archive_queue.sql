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

create function tests.test_complete_archive_refuses_a_wrong_manifest() returns setof text language plpgsql as $$
declare a bigint; good jsonb;
begin
  a := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', null, null);
  update _tide.archives set state = 'exporting' where archive_id = a;
  return next throws_ok(format($q$select tide.complete_archive(%s, '{"rows": 99, "content_checksum": "0000000000000000", "file_sha256": "%s"}')$q$, a, repeat('a', 64)),
    'TD010', null, 'a manifest whose rows or checksum differ from the table is refused');
  return next isnt(to_regclass('public."arch p1"'), null, 'and the partition is kept');
  select jsonb_build_object('rows', rows, 'content_checksum', checksum, 'file_sha256', repeat('b', 64),
                            'min_control', min_control, 'max_control', max_control)
    into good from tide.archive_checksum('public."arch p1"', 'at');
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

-- The early content check (tide.check_archive_content) and tide.complete_archive finishing its transaction.
create function tests.test_early_check_refuses_a_stream_that_differs() returns setof text language plpgsql as $$
declare a bigint; good jsonb;
begin
  a := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', null, null);
  update _tide.archives set state = 'exporting' where archive_id = a;
  select jsonb_build_object('rows', rows, 'content_checksum', checksum, 'min_control', min_control, 'max_control', max_control)
    into good from tide.archive_checksum('public."arch p1"', 'at');
  return next throws_ok(format($q$select tide.check_archive_content(%s, %L)$q$, a, good || '{"content_checksum": "0000000000000000"}'),
    'TD010', null, 'a content checksum that differs from the table''s is refused by the early check');
  return next throws_ok(format($q$select tide.check_archive_content(%s, %L)$q$, a, good || jsonb_build_object('rows', 99)),
    'TD010', null, 'so is a row count that differs');
  return next throws_ok(format($q$select tide.check_archive_content(%s, %L)$q$, a, good - 'max_control'),
    'TD010', null, 'and a stream without the control maximum the table has');
  return next throws_ok(format($q$select tide.check_archive_content(%s, '{"rows": 100}')$q$, a),
    '22023', null, 'a stream summary without a content checksum is rejected as malformed');
  return next isnt(to_regclass('public."arch p1"'), null, 'the partition is kept');
  return next is((select state from tide.archives where archive_id = a), 'exporting', 'and the job is untouched');
end $$;

create function tests.test_early_check_then_complete_needs_the_recorded_object() returns setof text language plpgsql as $$
declare a bigint; good jsonb;
begin
  a := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', null, null);
  update _tide.archives set state = 'exporting' where archive_id = a;
  select jsonb_build_object('rows', rows, 'content_checksum', checksum, 'min_control', min_control, 'max_control', max_control)
    into good from tide.archive_checksum('public."arch p1"', 'at');
  return next lives_ok(format($q$select tide.check_archive_content(%s, %L)$q$, a, good), 'the early check passes for the true figures');
  return next throws_ok(format($q$select tide.complete_archive(%s, %L)$q$, a, good || jsonb_build_object('file_sha256', repeat('c', 64))),
    'TD010', null, 'after an early check, nothing is dropped before tide.mark_archive_exported has recorded the object''s sha256');
  return next isnt(to_regclass('public."arch p1"'), null, 'the partition is kept');
  perform tide.mark_archive_exported(a, 'file:///x/arch.parquet', 10, repeat('c', 64));
  return next throws_ok(format($q$select tide.complete_archive(%s, %L)$q$, a, good || jsonb_build_object('file_sha256', repeat('d', 64))),
    'TD010', null, 'a manifest whose sha256 is not the recorded one is refused');
  return next throws_ok(format($q$select tide.complete_archive(%s, %L)$q$, a,
      good || jsonb_build_object('file_sha256', repeat('c', 64), 'content_checksum', '0123456789abcdef')),
    'TD010', null, 'a final manifest whose checksum is not the one checked is refused');
  return next isnt(to_regclass('public."arch p1"'), null, 'the partition is still kept');
  return next is(tide.complete_archive(a, good || jsonb_build_object('file_sha256', repeat('c', 64))), 'dropped',
    'the checked figures, the recorded sha256 and a matching manifest drop the partition');
  return next is(to_regclass('public."arch p1"'), null, 'the partition is gone');
end $$;

create function tests.test_complete_uses_the_early_check_without_scanning_again() returns setof text language plpgsql as $$
declare a bigint; good jsonb; scans bigint;
begin
  set local max_parallel_workers_per_gather = 0;
  a := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', null, null);
  update _tide.archives set state = 'exporting' where archive_id = a;
  perform tide.mark_archive_exported(a, 'file:///x/arch.parquet', 10, repeat('c', 64));
  select jsonb_build_object('rows', rows, 'content_checksum', checksum, 'min_control', min_control, 'max_control', max_control,
                            'file_sha256', repeat('c', 64))
    into good from tide.archive_checksum('public."arch p1"', 'at');
  perform tide.check_archive_content(a, good);
  scans := pg_stat_get_xact_numscans('public."arch p1"'::regclass);
  return next is((select count(*)::int from pg_locks where relation = 'public."arch p1"'::regclass and pid = pg_backend_pid()
                   and mode = 'ShareLock' and granted), 1, 'the early check holds a SHARE lock on the partition until the transaction ends');
  return next is(tide.complete_archive(a, good, false), 'verified', 'complete_archive accepts the early check''s figures');
  return next is(pg_stat_get_xact_numscans('public."arch p1"'::regclass), scans, 'without scanning the table again');
  return next isnt(to_regclass('public."arch p1"'), null, 'drop_partition => false keeps it');
end $$;

create function tests.test_complete_after_early_check_sees_later_writes() returns setof text language plpgsql as $$
declare a bigint; good jsonb;
begin
  a := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', null, null);
  update _tide.archives set state = 'exporting' where archive_id = a;
  perform tide.mark_archive_exported(a, 'file:///x/arch.parquet', 10, repeat('c', 64));
  select jsonb_build_object('rows', rows, 'content_checksum', checksum, 'min_control', min_control, 'max_control', max_control,
                            'file_sha256', repeat('c', 64))
    into good from tide.archive_checksum('public."arch p1"', 'at');
  perform tide.check_archive_content(a, good);
  -- the checking session's own write: no lock stops it, complete_archive must notice and scan again
  update public."arch p1" set note = 'changed after the check' where id = 7;
  return next throws_ok(format($q$select tide.complete_archive(%s, %L)$q$, a, good),
    'TD010', null, 'a row changed after the early check (by the checking session itself) is found and the drop refused');
  return next isnt(to_regclass('public."arch p1"'), null, 'the partition is kept');
end $$;

create function tests.test_early_check_in_a_rolled_back_savepoint_does_not_count() returns setof text language plpgsql as $$
declare a bigint; good jsonb; scans bigint;
begin
  set local max_parallel_workers_per_gather = 0;
  a := _tide.enqueue_archive('public."arch ""parent"""', 'public."arch p1"', null, null);
  update _tide.archives set state = 'exporting' where archive_id = a;
  perform tide.mark_archive_exported(a, 'file:///x/arch.parquet', 10, repeat('c', 64));
  select jsonb_build_object('rows', rows, 'content_checksum', checksum, 'min_control', min_control, 'max_control', max_control,
                            'file_sha256', repeat('c', 64))
    into good from tide.archive_checksum('public."arch p1"', 'at');
  begin
    perform tide.check_archive_content(a, good);
    raise exception using errcode = 'P0001', message = 'roll the savepoint back';
  exception when sqlstate 'P0001' then
    null; -- the savepoint is gone, and with it the lock and the check's figures
  end;
  return next is(coalesce(current_setting('pgtide.archive_content_checked', true), ''), '', 'the check''s figures went with its savepoint');
  scans := pg_stat_get_xact_numscans('public."arch p1"'::regclass);
  return next is(tide.complete_archive(a, good, false), 'verified', 'complete_archive still verifies');
  return next cmp_ok(pg_stat_get_xact_numscans('public."arch p1"'::regclass), '>', scans, 'by scanning the table itself');
end $$;
