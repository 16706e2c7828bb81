-- Every problem pgtide can see, one row each, as of AS_OF: each with a severity, a one-line detail
-- and a hint naming the command that fixes it. Empty when all is well. Backs tide.health.

create or replace function _tide.obs_health(as_of timestamptz default now())
returns table (parent text, "check" text, severity text, detail text, hint text)
language sql stable
security definer
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set intervalstyle = 'postgres'
as $fn$
  with t as materialized (
    select x.*, format('%I.%I', x.parent_schema, x.parent_name) as qname from _tide.obs_tables(as_of) x
  ),
  cron as materialized (
    select c.*,
           _tide.obs_cron_period(coalesce(c.schedule,
             (select value from _tide.settings where name = 'cron_schedule'), '*/10 * * * *')) as period
      from _tide.obs_cron_state() c
  ),
  s as (
    select coalesce((select value::numeric from _tide.settings where name = 'oversized_partition_factor'), 10) as factor,
           coalesce((select value::bigint from _tide.settings where name = 'oversized_partition_min_bytes'), 67108864) as min_bytes
  ),
  p as materialized (
    select x.* from _tide.obs_partitions() x
  ),
  -- the latest finished run over every table: one that found nothing due logs nothing per table,
  -- yet it looked at each of them (the newest such row, read backwards along the run ids)
  seen as (
    select (select r.finished_at from _tide.runs r
             where r.only_parent is null and r.outcome in ('ok', 'partial') and r.finished_at is not null
             order by r.run_id desc limit 1) as all_tables_at
  )
  -- a managed table that was dropped, or replaced by a table that is not partitioned
  select t.qname, 'table_missing', 'critical',
         case when t.table_state = 'missing' then format('managed table %s no longer exists', t.qname)
              else format('managed table %s is no longer a partitioned table', t.qname) end,
         format('select tide.unmanage(%L::regclass);  -- forget it (oid %s)', t.parent::oid, t.parent::oid)
    from t where t.table_state <> 'ok'

  union all
  -- too few partitions ahead of now: inserts will soon land in the default, or fail
  select t.qname, 'missing_partitions',
         case when t.current_partition is null or t.partitions_ahead = 0 then 'critical' else 'warning' end,
         case when t.current_partition is null
                then format('%s has no partition for the current key; writes go to %s', t.qname,
                            case when t.default_partition then 'the default partition' else 'nowhere (they fail)' end)
              else format('%s is covered until %s: %s partition(s) ahead, premake is %s',
                          t.qname, t.covered_until, t.partitions_ahead, t.premake) end
           -- an integer key's position estimated because a partition was locked: say so
           || coalesce(' (' || t.position_note || ')', ''),
         format('CALL tide.run_maintenance(%L);', t.qname)
    from t where t.table_state = 'ok' and t.enabled
     and (t.current_partition is null or (t.partitions_ahead < t.premake and t.covered_until is distinct from 'MAXVALUE'))

  union all
  -- rows that landed in the default partition block future partitions and are never pruned
  select t.qname, 'default_rows', 'warning',
         format('%s has %s%s row(s) in its default partition', t.qname,
                case when t.default_rows_exact then '' else '~' end, t.default_rows),
         format('CALL tide.drain_default(%L);', t.qname)
    from t where t.table_state = 'ok' and coalesce(t.default_rows, 0) > 0

  union all
  -- retention due for longer than two schedule periods (one hour at least)
  select t.qname, 'retention_overdue', 'warning',
         format('%s has %s partition(s) older than keep = %s (oldest ends %s) still attached',
                t.qname, t.expired_partitions, t.keep, t.oldest_expired_upper),
         case when exists (select from _tide.legacy l where l.parent = t.parent and l.state = 'splitting')
              then format('tide.split_legacy is splitting the legacy partition of %s; maintenance retires it once no split step holds it (between steps, or after the split)', t.qname)
              else format('CALL tide.run_maintenance(%L);', t.qname) end
    from t cross join cron
   where t.table_state = 'ok' and t.enabled and t.expired_partitions > 0
     and (t.control_type in ('integer'::regtype, 'bigint'::regtype)
          or (select _tide.retention_cutoff(m, as_of - greatest(2 * cron.period, interval '1 hour'))
                from _tide.managed_tables m where m.parent = t.parent)
             >= _tide.key_position((select m from _tide.managed_tables m where m.parent = t.parent), t.oldest_expired_upper))

  union all
  -- the last maintenance of the table failed
  select t.qname, 'maintenance_failing',
         case when t.last_outcome = 'error' or t.failures_in_a_row >= 3 then 'critical' else 'warning' end,
         format('last maintenance of %s at %s: %s (%s failure(s) in a row): %s', t.qname,
                date_trunc('second', t.last_run_at), t.last_outcome, t.failures_in_a_row, coalesce(t.last_message, '')),
         format('select * from tide.maintenance_log where parent = %L order by logged_at desc limit 20;  -- then CALL tide.run_maintenance(%L);',
                t.qname, t.qname)
    from t where t.last_outcome in ('error', 'lock_timeout')

  union all
  -- scheduled, but the table has not been maintained for twice the schedule
  select t.qname, 'maintenance_stale', 'warning',
         case when t.last_run_at is null
                then format('%s has never been maintained (managed since %s, schedule every %s)', t.qname,
                            date_trunc('second', (select m.created_at from _tide.managed_tables m where m.parent = t.parent)), cron.period)
              else format('%s was last maintained at %s, more than twice its schedule (%s) ago', t.qname,
                          date_trunc('second', t.last_run_at), cron.period) end,
         format('CALL tide.run_maintenance(%L);  -- and check the job: select * from tide.health where "check" like ''cron%%'';', t.qname)
    from t cross join cron cross join seen
   where t.table_state = 'ok' and t.enabled
     and greatest(coalesce(t.last_run_at, (select m.created_at from _tide.managed_tables m where m.parent = t.parent)),
                  seen.all_tables_at,
                  (select r.finished_at from _tide.runs r
                    where r.only_parent = t.parent and r.outcome = 'ok' and r.finished_at is not null
                    order by r.run_id desc limit 1))
         < as_of - 2 * cron.period
     and not (cron.cron_visible and cron.jobid is null)

  union all
  -- nothing will run maintenance
  select null::text, 'not_scheduled', 'warning',
         case when not cron.cron_loaded
                then 'pg_cron is not loaded in this server, so nothing runs tide.run_maintenance() on a schedule'
              when cron.cron_visible and cron.jobid is null
                then format('no pg_cron job %s runs tide.run_maintenance() in database %s', cron.job_name, current_database())
              when cron.cron_visible
                then format('pg_cron job %s (jobid %s) is inactive', cron.job_name, cron.jobid)
              when cron.cron_database = current_database()
                then format('pg_cron runs its jobs from this database, but role %s may not use its schema cron, so the job cannot be seen, and no maintenance ran in the last %s',
                            current_user, 2 * cron.period)
              else format('pg_cron lives in database %s, so its job cannot be seen from here, and no maintenance ran in the last %s',
                          cron.cron_database, 2 * cron.period) end,
         case when not cron.cron_loaded
                then 'Add pg_cron to shared_preload_libraries (or call CALL tide.run_maintenance() from another scheduler)'
              when not cron.cron_visible and cron.cron_database = current_database()
                then format('As a superuser: GRANT USAGE ON SCHEMA cron TO %I;  then select tide.schedule();', current_user)
              when not cron.cron_visible
                -- tide.schedule() cannot reach pg_cron's database from here; the CLI connects there
                then case when cron.cron_database like 'unknown to role %'
                            then 'pgtide schedule --cron-database-url <pg_cron''s database>  (from a shell; this role may not read cron.database_name, which names it)'
                            else format('pgtide schedule --cron-database-url <pg_cron''s database>  (from a shell: it schedules the job with cron.schedule_in_database from %s)',
                                        cron.cron_database) end
              else 'select tide.schedule();' end
    from cron
   where exists (select from _tide.managed_tables m where m.enabled)
     and (not cron.cron_loaded
          or (cron.cron_visible and (cron.jobid is null or not cron.active))
          or (not cron.cron_visible
              -- obs_health.as_of: bare, the name would be the runs table's own as_of column
              and not exists (select from _tide.runs r where r.started_at >= obs_health.as_of - 2 * cron.period)))

  union all
  -- the latest finished run of our pg_cron job failed
  select null::text, 'cron_run_failed', 'critical',
         format('pg_cron job %s (jobid %s) failed at %s: %s', cron.job_name, cron.jobid,
                date_trunc('second', cron.last_failed_at), coalesce(cron.last_failed_message, '')),
         format('select * from cron.job_run_details where jobid = %s order by start_time desc limit 5;  -- fix the cause, then CALL tide.run_maintenance();',
                cron.jobid)
    from cron where cron.last_failed_at is not null

  union all
  -- one partition far larger than its siblings (skewed data, or rows of a wrong key)
  select m.parent::text, 'oversized_partition', 'warning',
         format('%s is %s, %s× the median of its %s siblings (%s)', x.partition, pg_size_pretty(x.total_bytes),
                round((x.total_bytes / x.median)::numeric, 1), x.siblings, pg_size_pretty(x.median::bigint)),
         format('select * from tide.partitions where partition = %L::regclass;  -- then see tide.recommendations', x.partition)
    from (select q.*, percentile_cont(0.5) within group (order by q2.total_bytes) as median, count(q2.*) as siblings
            -- siblings that hold rows: an empty premade partition still has index pages (8 kB each)
            from p q join p q2 on q2.parent = q.parent and q2.partition <> q.partition
                               and not q2.detached and q2.table_bytes > 0 and not q2.is_default
           where not q.detached
           group by q.parent, q.partition, q.partition_schema, q.partition_name, q.lower_bound, q.upper_bound,
                    q.time_range, q.int_range, q.is_default, q.detached, q.detach_pending, q.row_estimate,
                    q.table_bytes, q.toast_bytes, q.index_bytes, q.total_bytes, q.dead_tuples, q.last_vacuum,
                    q.last_autovacuum, q.last_analyze, q.last_autoanalyze, q.seq_scans, q.idx_scans) x
    join _tide.managed_tables m on m.parent = x.parent
    cross join s
   where x.siblings >= 3 and x.total_bytes >= s.min_bytes and x.total_bytes > s.factor * x.median

  union all
  -- DETACH PARTITION CONCURRENTLY interrupted half-way
  select m.parent::text, 'detach_pending', 'warning',
         format('partition %s of %s is half detached (DETACH CONCURRENTLY was interrupted)', x.partition, x.parent),
         format('ALTER TABLE %s DETACH PARTITION %s FINALIZE;', x.parent, x.partition)
    from p x join _tide.managed_tables m on m.parent = x.parent
   where x.detach_pending

  union all
  -- a table named like one of our partitions that is attached nowhere and that pgtide does not keep:
  -- left over by an interrupted creation
  select m.parent::text, 'leftover_table', 'warning',
         format('table %s looks like a half-built partition of %s (not attached, not kept by pgtide)',
                c.oid::regclass, m.parent::text),
         format('It is no partition, and maintenance will not create the partition of that name while it is there: DROP TABLE %s;  if it holds nothing of yours, else ALTER TABLE %s RENAME TO …;  then CALL tide.run_maintenance(%L);',
                c.oid::regclass, c.oid::regclass, m.parent::text)
    from _tide.managed_tables m
    join pg_class pc on pc.oid = m.parent::oid
    join pg_class c on c.relnamespace = pc.relnamespace and c.relkind = 'r' and not c.relispartition
                   and c.oid <> pc.oid
                   -- another managed table (ev_2024 beside ev) is no partition of this one
                   and not exists (select from _tide.managed_tables o where o.parent::oid = c.oid)
                   -- named <parent>_<suffix> as pgtide names a partition: the parent part whole, or cut (by
                   -- whole characters) to the longest beginning that keeps the name within 63 bytes
                   -- (partition_name, default_partition_name), as the partitions of a long parent are named
                   and exists (select from generate_series(1, length(pc.relname)) k
                                where left(c.relname, k + 1) = left(pc.relname, k) || '_'
                                  and substr(c.relname, k + 2)
                                      ~ '^([0-9]{4}(_q[1-4]|_w[0-9]{2}|_[0-9]{2}(_[0-9]{2}(_[0-9]{4}([0-9]{2})?)?)?)?|p-?[0-9]+|default)$'
                                  and (k = length(pc.relname)
                                       or octet_length(left(pc.relname, k + 1) || '_' || substr(c.relname, k + 2)) > 63))
   where not exists (select from _tide.detached d where d.partition::oid = c.oid)
     and not exists (select from _tide.archives a where a.partition::oid = c.oid and a.state <> 'dropped')
     and not exists (select from _tide.legacy l where l.slice::oid = c.oid)  -- a split's slice, being filled

  union all
  -- archive queue: jobs waiting too long, failed jobs (defined with the archive queue)
  select a.parent, a."check", a.severity, a.detail, a.hint from _tide.archive_problems(as_of) a
$fn$;

comment on function _tide.obs_health(timestamptz) is
  'Every problem pgtide sees as of AS_OF: parent, check, severity (warning/critical), detail, hint. Backs tide.health. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only.';
