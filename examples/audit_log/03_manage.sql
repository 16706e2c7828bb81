-- Hand audit_log to pgtide: one partition per calendar month in UTC, 4 months made ahead,
-- 24 months kept online, older months dropped (set on_expire to 'archive' to keep them in Parquet).
--
-- premake 4 rather than the 6 the original runbook made: maintenance runs every 10 minutes, so a
-- month that cannot be created is retried thousands of times, and reported by tide.health, during
-- the three months before it begins; two fewer empty partitions (each carrying 15 indexes) are two
-- fewer relations to plan for every query that does not filter on "timestamp".
--
-- The first partition is the current month unless the session sets audit_log.start_at (a date):
--   set audit_log.start_at = '2024-01-01';   -- partitions for history about to be loaded
-- Re-running this file on an audit_log that pgtide already manages changes nothing.

do $manage$
begin
  if exists (select from tide.config where parent = 'audit_log'::regclass) then
    return;
  end if;
  perform tide.manage(
    parent            => 'audit_log'::regclass,
    control           => 'timestamp',
    every             => '1 month',
    premake           => 4,
    keep              => '24 months',
    on_expire         => 'drop',
    start_at          => nullif(current_setting('audit_log.start_at', true), ''),
    time_zone         => 'UTC',
    default_partition => true);
end
$manage$;
