-- One row per problem, empty when all is well: what `pgtide status` colours and monitoring pages on.

create or replace view tide.health as
  select parent, "check", severity, detail, hint
    from _tide.obs_health(now())
   order by case severity when 'critical' then 0 else 1 end, parent nulls first, "check";

comment on view tide.health is
  'One row per problem, empty when all is well: parent (NULL for product-wide problems), check, severity (warning/critical), a one-line detail and a hint naming the fixing command. Checks: table_missing, missing_partitions (warning below premake, critical when no partition ahead), default_rows, retention_overdue, maintenance_failing, maintenance_stale (no run for twice the schedule), not_scheduled, cron_run_failed, oversized_partition, detach_pending, leftover_table, archive_backlog, archive_failed. Reads the catalog, statistics, _tide.log, _tide.archives and (when visible) cron.job / cron.job_run_details.';
