-- Archive backlog for tide.health: jobs pending too long, and failed jobs (retrying or given up).
create or replace function _tide.archive_problems(as_of timestamptz default now())
returns table (parent text, "check" text, severity text, detail text, hint text)
language sql stable
set search_path = pg_catalog, pg_temp
as $fn$
  with s as (
    select coalesce((select value::interval from _tide.settings where name = 'archive_pending_warning'), '1 day') as pending_warning,
           coalesce((select value::integer from _tide.settings where name = 'archive_max_attempts'), 5) as max_attempts
  )
  select a.parent, 'archive_backlog', 'warning',
         format('%s archive job(s) waiting longer than %s, oldest %s queued at %s',
                count(*), s.pending_warning, min(a.partition_name), min(a.queued_at)),
         'Run the exporter: pgtide archive --database-url … (or --watch)'
  from _tide.archives a, s
  where a.state in ('pending', 'exporting', 'exported') and a.queued_at < as_of - s.pending_warning
  group by a.parent, s.pending_warning
  union all
  select a.parent, 'archive_failed',
         case when a.attempts >= s.max_attempts then 'critical' else 'warning' end,
         format('archiving %s failed %s time(s): %s', a.partition_name, a.attempts, a.error),
         case when a.attempts >= s.max_attempts
              then 'Retries are exhausted: fix the cause, then UPDATE _tide.archives SET attempts = 0 WHERE archive_id = ' || a.archive_id
              else 'The exporter retries it; the partition is kept meanwhile.' end
  from _tide.archives a, s
  where a.state = 'failed'
$fn$;
comment on function _tide.archive_problems(timestamptz) is
  'pgtide: archive backlog and failures as tide.health rows (parent, check, severity, detail, hint)';
