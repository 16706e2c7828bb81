-- The exporter records why a job failed; the partition is kept and the job is retried by a later
-- claim until archive_max_attempts is reached.
create or replace function tide.fail_archive(archive_id bigint, error text)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
begin
  update _tide.archives a
     set state = 'failed', error = fail_archive.error, updated_at = now()
   where a.archive_id = fail_archive.archive_id and a.state <> 'dropped';
  if not found then
    if not exists (select from _tide.archives a where a.archive_id = fail_archive.archive_id) then
      raise exception using errcode = 'no_data_found',
        message = format('pgtide: archive job %s does not exist', archive_id),
        detail = 'No row of tide.archives has this archive_id.', hint = 'See tide.archives.';
    end if;
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('pgtide: archive job %s is already dropped', archive_id),
      detail = 'Its partition was dropped after a verified archive; it cannot fail any more.', hint = 'Nothing to do.';
  end if;
end
$fn$;
comment on function tide.fail_archive(bigint, text) is
  'pgtide: mark archive job ARCHIVE_ID failed with ERROR; its partition is kept and the job retried by later claims';
