-- The only path by which an archived partition is dropped: re-checks the manifest's row count,
-- content checksum and min/max against the table itself, then (and only then) drops it.
create or replace function tide.complete_archive(archive_id bigint, manifest jsonb, drop_partition boolean default true)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
set lock_timeout = '5s'
as $fn$
#variable_conflict use_variable
declare
  r _tide.archives;
  db record;
  m_rows bigint;
  m_sum text;
  m_sha text;
begin
  select * into r from _tide.archives a where a.archive_id = complete_archive.archive_id for update;
  if not found then
    raise exception using errcode = 'no_data_found',
      message = format('pgtide: archive job %s does not exist', archive_id),
      detail = 'No row of tide.archives has this archive_id.', hint = 'See tide.archives.';
  end if;
  if r.state not in ('exporting', 'exported', 'verified') then
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('pgtide: archive job %s for %s is %s', archive_id, r.partition_name, r.state),
      detail = 'Only a job that is being exported, exported or verified can be completed.',
      hint = case when r.state = 'dropped' then 'It is already complete.' else 'Run the exporter (pgtide archive).' end;
  end if;
  if jsonb_typeof(manifest) is distinct from 'object'
     or jsonb_typeof(manifest -> 'rows') is distinct from 'number'
     or coalesce(manifest ->> 'content_checksum', '') !~ '^[0-9a-f]{16}$'
     or coalesce(manifest ->> 'file_sha256', '') !~ '^[0-9a-f]{64}$'
     or (manifest ? 'archive_id' and (manifest ->> 'archive_id')::bigint <> archive_id) then
    raise exception using errcode = 'invalid_parameter_value',
      message = format('pgtide: the manifest given for archive job %s (%s) is not a valid archive manifest', archive_id, r.partition_name),
      detail = 'A manifest needs rows (number), content_checksum (16 hex digits), file_sha256 (64 hex digits) and, if present, the same archive_id.',
      hint = 'Pass the manifest the exporter wrote next to the Parquet file.';
  end if;
  -- the lock below must come before the snapshot the checksum reads: in READ COMMITTED each
  -- statement takes a new one; a REPEATABLE READ snapshot would miss rows committed while we waited
  if current_setting('transaction_isolation') <> 'read committed' then
    raise exception using errcode = 'invalid_transaction_state',
      message = format('pgtide: archive job %s (%s) must be completed in a READ COMMITTED transaction', archive_id, r.partition_name),
      detail = format('This transaction is %s: its snapshot predates the table lock, so rows committed while complete_archive waited for it would go unchecked.',
                      current_setting('transaction_isolation')),
      hint = 'Call tide.complete_archive in a READ COMMITTED transaction (the default); the partition was kept.';
  end if;
  if r.file_sha256 is null then
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('pgtide: archive job %s (%s) has no exported object on record', archive_id, r.partition_name),
      detail = 'tide.mark_archive_exported records the final object (URI, size, sha256) once it is in place; complete_archive drops nothing before that.',
      hint = 'Run the exporter (pgtide archive); the partition was kept.';
  end if;
  m_rows := (manifest ->> 'rows')::bigint;
  m_sum := manifest ->> 'content_checksum';
  m_sha := manifest ->> 'file_sha256';
  if r.file_sha256 <> m_sha then
    raise exception using errcode = 'TD010',
      message = format('pgtide: archive of %s does not match the exported object', r.partition_name),
      detail = format('The exporter recorded sha256 %s, the manifest says %s.', r.file_sha256, m_sha),
      hint = 'Re-run the exporter; the partition was kept.';
  end if;

  -- Nobody may write between the checksum and the drop.
  execute format('lock table %s in access exclusive mode', r."partition");
  -- attached by hand since pgtide detached it (looked at under the lock, which ATTACH needs too),
  -- it is live data of a partitioned table again
  if exists (select from pg_class c where c.oid = r."partition" and c.relispartition) then
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('pgtide: %s of archive job %s is a partition again', r."partition", archive_id),
      detail = 'It was attached to a partitioned table after pgtide detached it for archiving.',
      hint = 'Detach it again, or release the job (tide.release_archive); the partition was kept.';
  end if;
  select * into db from tide.archive_checksum(r."partition", r.control);
  if db.rows <> m_rows or db.checksum <> m_sum
     or (manifest ? 'min_control' and (manifest ->> 'min_control') is distinct from db.min_control)
     or (manifest ? 'max_control' and (manifest ->> 'max_control') is distinct from db.max_control) then
    raise exception using errcode = 'TD010',
      message = format('pgtide: archive of %s does not match the table', r.partition_name),
      detail = format('table: %s rows, checksum %s, control %s..%s; manifest: %s rows, checksum %s, control %s..%s',
                      db.rows, db.checksum, db.min_control, db.max_control, m_rows, m_sum,
                      manifest ->> 'min_control', manifest ->> 'max_control'),
      hint = 'The partition was kept. Re-run the exporter (pgtide archive) to write a fresh archive.';
  end if;

  update _tide.archives a
     set state = 'verified', verified_at = now(), updated_at = now(), rows = db.rows,
         content_checksum = db.checksum, min_control = db.min_control, max_control = db.max_control,
         file_sha256 = m_sha, file_bytes = coalesce((manifest ->> 'file_bytes')::bigint, a.file_bytes),
         target_uri = coalesce(manifest ->> 'uri', a.target_uri), manifest = complete_archive.manifest, error = null
   where a.archive_id = r.archive_id;

  if not drop_partition then
    return 'verified';
  end if;

  execute format('drop table %s', r."partition");
  delete from _tide.detached d where d."partition" = r."partition";
  update _tide.archives a set state = 'dropped', dropped_at = now(), updated_at = now(), "partition" = null
   where a.archive_id = r.archive_id;
  insert into _tide.log (parent_oid, parent, action, "partition", rows, outcome, message)
  values (r.parent_oid, r.parent, 'archive_drop', r.partition_name, db.rows, 'ok',
          format('archived to %s (sha256 %s) and dropped', coalesce(manifest ->> 'uri', r.target_uri), m_sha));
  return 'dropped';
end
$fn$;
comment on function tide.complete_archive(bigint, jsonb, boolean) is
  'pgtide: verify archive job ARCHIVE_ID against MANIFEST (rows, content checksum, min/max recomputed from the table under ACCESS EXCLUSIVE; the sha256 of the object recorded by mark_archive_exported) and only then drop the partition; raises TD010 and keeps it on mismatch; refuses a job with no exported object on record, a table attached as a partition again, and a transaction that is not READ COMMITTED';
