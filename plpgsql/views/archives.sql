-- The archive queue as a DBA reads it: one row per archived (or to-be-archived) partition.
create or replace view tide.archives as
select a.archive_id, a.parent, a.partition_name as "partition", a.lower_bound, a.upper_bound,
       a.rows, a.bytes, a.state, a.target_uri, a.file_bytes, a.file_sha256, a.content_checksum,
       a.min_control, a.max_control, a.attempts, a.error, a.worker,
       a.queued_at, a.claimed_at, a.updated_at, a.verified_at, a.dropped_at
from _tide.archives a;
comment on view tide.archives is
  'pgtide: archive queue for on_expire => archive — partition, bounds, rows, bytes, state (pending/exporting/exported/verified/dropped/failed), target URI, file size, checksums, attempts, error, timestamps';
