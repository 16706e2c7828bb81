-- The exporter's way into the queue: takes the oldest archive job nobody else holds (row lock with
-- SKIP LOCKED, then a session advisory lock that lives as long as the exporter's connection).
create or replace function tide.claim_archive(worker text default null, only_archive bigint default null, skip bigint[] default null)
returns table (archive_id bigint, previous_state text, attempts integer, "partition" regclass, partition_name text,
               partition_schema name, partition_table name, parent text, parent_schema name, parent_table name,
               control name, lower_bound text, upper_bound text, archive_target text, target_uri text,
               file_sha256 text, columns jsonb, select_sql text)
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  r _tide.archives;
  max_attempts integer := coalesce((select s.value::integer from _tide.settings s where s.name = 'archive_max_attempts'), 5);
begin
  for r in
    select a.* from _tide.archives a
    where (a.state in ('pending', 'exporting', 'exported', 'verified') or (a.state = 'failed' and a.attempts < max_attempts))
      and (only_archive is null or a.archive_id = only_archive)
      and (skip is null or a.archive_id <> all (skip))
    order by a.queued_at, a.archive_id
    for update skip locked
  loop
    if not exists (select from pg_catalog.pg_class c where c.oid = r."partition") then
      update _tide.archives a set state = 'failed', updated_at = now(),
             error = format('partition %s no longer exists and was never verified as archived', r.partition_name)
      where a.archive_id = r.archive_id;
      continue;
    end if;
    if not pg_catalog.pg_try_advisory_lock(_tide.lock_key('archive', r.archive_id::oid)) then
      continue;  -- a live exporter holds it
    end if;
    -- Retries are exhausted and the last attempt never ended (its exporter was killed or lost its
    -- connection before fail_archive or complete_archive): the job fails for good instead of being
    -- handed out forever. A verified job whose last attempt did finish (kept with --keep-partition)
    -- is still handed out.
    if r.attempts >= max_attempts
       and (r.state in ('exporting', 'exported')
            or (r.state = 'verified' and (r.verified_at is null or r.verified_at < r.claimed_at))) then
      update _tide.archives a set state = 'failed', updated_at = now(),
             error = format('the exporter stopped %s time(s) without finishing the archive of %s (the last attempt left it %s: '
                            'killed or disconnected before it recorded a result)%s; the partition was kept. Find why pgtide archive stops, '
                            'then retry with UPDATE _tide.archives SET attempts = 0 WHERE archive_id = %s',
                            r.attempts, r.partition_name, r.state,
                            case when r.error is not null then format('; an earlier attempt failed with: %s', r.error) else '' end,
                            r.archive_id)
      where a.archive_id = r.archive_id;
      perform pg_catalog.pg_advisory_unlock(_tide.lock_key('archive', r.archive_id::oid));
      continue;
    end if;
    update _tide.archives a
       set state = case when r.state in ('exported', 'verified') then r.state else 'exporting' end,
           attempts = a.attempts + 1, worker = claim_archive.worker, claimed_at = now(), updated_at = now()
     where a.archive_id = r.archive_id;
    return query
      select r.archive_id, r.state, r.attempts + 1, r."partition", r.partition_name, r.partition_schema, r.partition_table,
             r.parent, r.parent_schema, r.parent_table, r.control, r.lower_bound, r.upper_bound,
             (select m.archive_target from _tide.managed_tables m where m.parent::oid = r.parent_oid),
             r.target_uri, r.file_sha256,
             (select jsonb_agg(jsonb_build_object('name', c.column_name, 'type', c.type_name, 'kind', c.kind) order by c.ordinal)
                from _tide.archive_columns(r."partition") c),
             (select format('select %s from %s', string_agg(c.canonical, ', ' order by c.ordinal), r."partition")
                from _tide.archive_columns(r."partition") c);
    return;
  end loop;
end
$fn$;
comment on function tide.claim_archive(text, bigint, bigint[]) is
  'pgtide: claim the next archive job (or ONLY_ARCHIVE; none in SKIP) for an exporter: row lock SKIP LOCKED plus a session advisory lock held until tide.release_archive or disconnect; a job whose archive_max_attempts claims all ended without a result (exporter killed) is marked failed instead';
