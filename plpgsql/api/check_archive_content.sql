-- The database's re-check of an archive, started early: the exporter knows rows, content checksum and
-- min/max once the COPY stream has ended, long before the Parquet file is published and its sha256 known.
-- This runs the expensive scan then, in the transaction that tide.complete_archive later finishes.
create or replace function tide.check_archive_content(archive_id bigint, manifest jsonb)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
set lock_timeout = '5s'
as $fn$
#variable_conflict use_variable
declare
  r _tide.archives;
  db record;
begin
  -- No row lock on the job: the exporter records the published object (tide.mark_archive_exported)
  -- from its other connection while this transaction is still open.
  select * into r from _tide.archives a where a.archive_id = check_archive_content.archive_id;
  if not found then
    raise exception using errcode = 'no_data_found',
      message = format('pgtide: archive job %s does not exist', archive_id),
      detail = 'No row of tide.archives has this archive_id.', hint = 'See tide.archives.';
  end if;
  if r.state not in ('exporting', 'exported', 'verified') or r."partition" is null then
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('pgtide: archive job %s for %s is %s', archive_id, r.partition_name, r.state),
      detail = 'Only a job that is being exported, exported or verified can be checked.',
      hint = case when r.state = 'dropped' then 'It is already complete.' else 'Run the exporter (pgtide archive).' end;
  end if;
  if jsonb_typeof(manifest) is distinct from 'object'
     or jsonb_typeof(manifest -> 'rows') is distinct from 'number'
     or coalesce(manifest ->> 'content_checksum', '') !~ '^[0-9a-f]{16}$'
     or (manifest ? 'archive_id' and (manifest ->> 'archive_id')::bigint <> archive_id) then
    raise exception using errcode = 'invalid_parameter_value',
      message = format('pgtide: the manifest given for archive job %s (%s) is not a valid archive manifest', archive_id, r.partition_name),
      detail = 'The content check needs rows (number), content_checksum (16 hex digits), min_control and max_control, and, if present, the same archive_id.',
      hint = 'Pass the rows, checksum and control min/max the exporter computed from the COPY stream.';
  end if;

  -- SHARE: nobody may write from this checksum until the drop (the lock lasts until the end of the
  -- transaction); readers may still read the detached table while the Parquet file is written.
  execute format('lock table %s in share mode', r."partition");
  select * into db from tide.archive_checksum(r."partition", r.control);
  if db.rows <> (manifest ->> 'rows')::bigint or db.checksum <> manifest ->> 'content_checksum'
     or (manifest ->> 'min_control') is distinct from db.min_control
     or (manifest ->> 'max_control') is distinct from db.max_control then
    raise exception using errcode = 'TD010',
      message = format('pgtide: archive of %s does not match the table', r.partition_name),
      detail = format('table: %s rows, checksum %s, control %s..%s; stream: %s rows, checksum %s, control %s..%s',
                      db.rows, db.checksum, db.min_control, db.max_control, manifest ->> 'rows',
                      manifest ->> 'content_checksum', manifest ->> 'min_control', manifest ->> 'max_control'),
      hint = 'The partition was kept. Re-run the exporter (pgtide archive) to write a fresh archive.';
  end if;

  -- What the table holds, for tide.complete_archive in this same transaction (transaction-local: it
  -- is gone at commit or rollback, and with a rolled-back savepoint, together with the lock).
  perform set_config('pgtide.archive_content_checked',
    jsonb_build_object('archive_id', r.archive_id, 'partition', r."partition"::oid, 'xid', pg_current_xact_id()::text,
                       'state', _tide.archive_table_state(r."partition"),
                       'rows', db.rows, 'checksum', db.checksum, 'min_control', db.min_control, 'max_control', db.max_control)::text,
    true);
end
$fn$;
comment on function tide.check_archive_content(bigint, jsonb) is
  'pgtide: recompute rows, content checksum and min/max of archive job ARCHIVE_ID''s partition under a SHARE lock kept to the end of the transaction and compare them with MANIFEST (TD010 on mismatch); tide.complete_archive later in the same transaction then compares the final manifest with these figures instead of scanning again. Drops nothing';
