-- The exporter records that the Parquet object and its manifest are in place at their final key,
-- so a re-run after a crash can verify the object instead of exporting again.
create or replace function tide.mark_archive_exported(archive_id bigint, target_uri text, file_bytes bigint, file_sha256 text)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  st text;
begin
  select a.state into st from _tide.archives a where a.archive_id = mark_archive_exported.archive_id for update;
  if not found then
    raise exception using errcode = 'no_data_found',
      message = format('pgtide: archive job %s does not exist', archive_id),
      detail = 'No row of tide.archives has this archive_id.', hint = 'See tide.archives.';
  end if;
  if st not in ('exporting', 'exported', 'verified') then
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('pgtide: archive job %s is %s, not exporting', archive_id, st),
      detail = 'Only a job claimed with tide.claim_archive can be marked exported.',
      hint = 'Claim it first with tide.claim_archive.';
  end if;
  if file_sha256 !~ '^[0-9a-f]{64}$' or file_bytes is null or file_bytes < 0 or coalesce(target_uri, '') = '' then
    raise exception using errcode = 'invalid_parameter_value',
      message = format('pgtide: bad export record for archive job %s', archive_id),
      detail = format('target_uri %L, file_bytes %s, file_sha256 %L', target_uri, file_bytes, file_sha256),
      hint = 'Pass the final URI, the size in bytes and the lowercase hex sha256 of the object.';
  end if;
  update _tide.archives a
     set state = 'exported', target_uri = mark_archive_exported.target_uri,
         file_bytes = mark_archive_exported.file_bytes, file_sha256 = mark_archive_exported.file_sha256,
         updated_at = now()
   where a.archive_id = mark_archive_exported.archive_id;
end
$fn$;
comment on function tide.mark_archive_exported(bigint, text, bigint, text) is
  'pgtide: record that archive job ARCHIVE_ID has its Parquet object and manifest at TARGET_URI (state exported)';
