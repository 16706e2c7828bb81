-- Advice computed from measured sizes and scan counts, each with the numbers behind it. Thresholds are
-- settings (tiny_partition_count, tiny_partition_bytes) or the server's memory (effective_cache_size).

create or replace function _tide.obs_recommendations(as_of timestamptz default now())
returns table (parent text, recommendation text, detail text, action text, evidence jsonb)
language sql stable
security definer
set search_path = pg_catalog, pg_temp
as $fn$
  with m as materialized (
    -- the position once per table (integer keys: read without waiting for a lock, see obs_position)
    select mt, format('%I.%I', mt.parent_schema, mt.parent_name) as qname, o.pos as cur
      from _tide.managed_tables mt join pg_class c on c.oid = mt.parent::oid and c.relkind = 'p'
      cross join lateral _tide.obs_position(mt, as_of) o
  ),
  p as materialized (
    select x.*, m.mt, (m.mt).every, (m.mt).keep, m.qname,
           _tide.key_position(m.mt, x.upper_bound) as hi,
           m.cur
      from _tide.obs_partitions() x join m on (m.mt).parent = x.parent
     where not x.detached and not x.is_default
  ),
  s as (
    select coalesce((select value::numeric from _tide.settings where name = 'oversized_partition_factor'), 10) as factor,
           coalesce((select value::bigint from _tide.settings where name = 'oversized_partition_min_bytes'), 67108864) as min_bytes,
           pg_size_bytes(current_setting('effective_cache_size')) as memory,
           coalesce((select value::bigint from _tide.settings where name = 'tiny_partition_count'), 1000) as tiny_count,
           coalesce((select value::bigint from _tide.settings where name = 'tiny_partition_bytes'), 1048576) as tiny_bytes
  ),
  complete as (
    select p.*, row_number() over (partition by p.parent order by p.hi desc) as k from p where p.hi <= p.cur
  ),
  -- partitions far larger than their siblings that hold rows (health's oversized_partition), with
  -- what the numbers say about the cause
  oversized as (
    select o.*,
           case when exists (select from _tide.legacy l where l.legacy = o.partition and l.state <> 'split') then 'legacy'
                -- not many more rows than its siblings, yet that much larger: dead rows or bloat
                when o.row_estimate <= 2 * o.median_rows then 'bloat'
                -- as large as that among the newest partitions: the data grows
                when o.hi is null or o.hi >= o.newest_complete_hi then 'growth'
                else 'skew' end as cause,
           case when (o.mt).every_int is not null then
                  case when (o.mt).every_int % 10 = 0 then ((o.mt).every_int / 10)::text
                       when (o.mt).every_int % 2 = 0 then ((o.mt).every_int / 2)::text end
                else
                  -- the next finer interval whose grid holds every existing edge (adopted as they are)
                  case when o.mon >= 12 then '6 months' when o.mon in (4, 6) then (o.mon / 2)::text || ' months'
                       when o.mon in (2, 3) then '1 month'
                       when o.mon = 1 or o.dd > 1 then '1 day'
                       when (o.mt).control_type = 'date'::regtype then null
                       when o.dd = 1 then '1 hour'
                       when o.hours > 1 and o.hours = floor(o.hours) then '1 hour' end
           end as finer
      from (select q.parent, q.partition, q.qname, q.mt, q.every, q.keep, q.hi, q.total_bytes, q.row_estimate,
                   extract(year from (q.mt).every_interval)::int * 12 + extract(month from (q.mt).every_interval)::int as mon,
                   extract(day from (q.mt).every_interval)::int as dd,
                   extract(epoch from (q.mt).every_interval) / 3600 as hours,  -- read only when mon = dd = 0
                   (select max(c.hi) from complete c where c.parent = q.parent) as newest_complete_hi,
                   percentile_cont(0.5) within group (order by q2.total_bytes) as median,
                   percentile_cont(0.5) within group (order by q2.row_estimate) as median_rows,
                   count(q2.*) as siblings
              from p q join p q2 on q2.parent = q.parent and q2.partition <> q.partition and q2.table_bytes > 0
             group by q.parent, q.partition, q.qname, q.mt, q.every, q.keep, q.hi, q.total_bytes, q.row_estimate) o
      cross join s
     where o.siblings >= 3 and o.total_bytes >= s.min_bytes and o.total_bytes > s.factor * o.median
  )
  -- complete partitions larger than memory: each one's scans and vacuums cannot stay cached
  select c.qname, 'interval_too_coarse',
         format('%s complete partition(s) of %s are larger than effective_cache_size (%s); largest %s',
                count(*), c.qname, pg_size_pretty(s.memory), pg_size_pretty(max(c.total_bytes))),
         format('Use a finer interval than every = %s for new data (partitions of a fraction of memory keep vacuum and index builds cheap)', min(c.every)),
         jsonb_build_object('partitions', count(*), 'largest_bytes', max(c.total_bytes), 'memory_bytes', s.memory)
    from complete c cross join s
   where c.total_bytes > s.memory
   group by c.qname, s.memory

  union all
  -- thousands of tiny partitions: planning and catalog cost without benefit
  select p.qname, 'interval_too_fine',
         format('%s has %s partitions averaging %s', p.qname, count(*), pg_size_pretty(avg(p.total_bytes)::bigint)),
         format('Use a coarser interval than every = %s: fewer, larger partitions plan faster', min(p.every)),
         jsonb_build_object('partitions', count(*), 'avg_bytes', avg(p.total_bytes)::bigint, 'threshold_count', s.tiny_count)
    from p cross join s
   group by p.qname, s.tiny_count, s.tiny_bytes
  having count(*) >= s.tiny_count and avg(p.total_bytes) < s.tiny_bytes

  union all
  -- old partitions that were analyzed and hold no rows
  select c.qname, 'empty_old_partitions',
         format('%s has %s empty complete partition(s), oldest %s', c.qname, count(*), min(c.partition::text)),
         'Drop them if no data will arrive for those ranges, or set keep so retention removes them: UPDATE tide.config SET keep = … WHERE parent = ''' || c.qname || '''::regclass',
         jsonb_build_object('partitions', count(*), 'names', jsonb_agg(c.partition::text order by c.hi))
    from complete c
   where c.row_estimate = 0 and (c.last_analyze is not null or c.last_autoanalyze is not null
                                 or c.last_vacuum is not null or c.last_autovacuum is not null)
   group by c.qname

  union all
  -- an index of the parent never used on any old partition
  select q.qname, 'unused_index_on_old_partitions',
         format('index %s was never scanned on %s complete partition(s) of %s older than the last one (%s)',
                q.parent_index, q.n, q.qname, pg_size_pretty(q.bytes)),
         format('If old data is not looked up through it, drop %s on the parent (or replace it by a partial index); it costs %s on old partitions',
                q.parent_index, pg_size_pretty(q.bytes)),
         jsonb_build_object('index', q.parent_index, 'partitions', q.n, 'bytes', q.bytes)
    from (select c.qname, pi.inhparent::regclass::text as parent_index, count(*) as n,
                 sum(ic.relpages::bigint * current_setting('block_size')::bigint) as bytes
            from complete c
            join pg_index x on x.indrelid = c.partition::oid
            join pg_class ic on ic.oid = x.indexrelid
            join pg_inherits pi on pi.inhrelid = x.indexrelid
           where c.k > 1 and not x.indisunique
           group by c.qname, pi.inhparent
          having sum(pg_stat_get_numscans(x.indexrelid)) = 0 and count(*) >= 2) q

  union all
  -- one partition far larger than its siblings: what to do about it depends on why
  select o.qname, 'oversized_partition',
         format('%s is %s, %s× the median of its %s siblings (%s), with ~%s rows against a median of ~%s',
                o.partition, pg_size_pretty(o.total_bytes), round((o.total_bytes / o.median)::numeric, 1), o.siblings,
                pg_size_pretty(o.median::bigint), o.row_estimate, o.median_rows::bigint),
         case o.cause
           when 'legacy' then
             format('It is the legacy partition tide.convert attached: split it into partitions of every = %s, in batches: CALL tide.split_legacy(%L);',
                    o.every, o.qname)
           when 'bloat' then
             format('Its rows are not many more than its siblings'': the space is dead rows or bloat. VACUUM (VERBOSE) %s;  -- if that frees little, rewrite it with pg_repack (online) or VACUUM FULL %s (ACCESS EXCLUSIVE on it while it runs)',
                    o.partition, o.partition)
           when 'growth' then
             case when o.finer is null
                    then format('The newest partitions of %s grow past their siblings; use a finer interval than every = %s for new data', o.qname, o.every)
                  -- keep is a whole number of partitions: a keep in months does not fit a grid of days or hours
                  when (o.mt).keep_interval is not null and o.finer !~ 'month'
                       and (extract(year from (o.mt).keep_interval) <> 0 or extract(month from (o.mt).keep_interval) <> 0)
                    then format('The newest partitions of %s grow past their siblings: a finer interval (every = %L) keeps new ones smaller, but keep = %s is in months, which a grid of %s does not divide: re-manage it with keep in days (tide.unmanage, then tide.manage with every => %L)',
                                o.qname, o.finer, o.keep, o.finer, o.finer)
                  else format('The newest partitions of %s grow past their siblings: make new partitions finer (every = %L; existing partitions are adopted as they are, premake scaled to the same horizon), in one transaction: BEGIN; SELECT tide.unmanage(%L); SELECT count(*) FROM tide.manage(%L, %L, %L, premake => %s, keep => %L, on_expire => %L, time_zone => %L, default_partition => %s); UPDATE tide.config SET lock_timeout = %L, lock_retries = %s, detach_schema = %L, archive_target = %L, enabled = %s WHERE parent = %L::regclass; COMMIT;',
                              o.qname, o.finer, o.qname, o.qname, (o.mt).control, o.finer,
                              least(1000, greatest((o.mt).premake, ceil((o.mt).premake *
                                case when (o.mt).every_int is not null then (o.mt).every_int::numeric / o.finer::numeric
                                     else extract(epoch from (o.mt).every_interval) / extract(epoch from o.finer::interval) end)::int)),
                              o.keep, (o.mt).on_expire, (o.mt).time_zone, case when (o.mt).default_partition then 'true' else 'false' end,
                              (o.mt).lock_timeout, (o.mt).lock_retries, (o.mt).detach_schema, (o.mt).archive_target,
                              case when (o.mt).enabled then 'true' else 'false' end, o.qname)
             end
           else
             format('An older partition holds many more rows than its neighbours: rows of a wrong key (a default value, a bulk load) land in one range. See where they fall: SELECT %s AS bucket, count(*) FROM ONLY %s GROUP BY 1 ORDER BY 2 DESC LIMIT 20;',
                    case when (o.mt).every_int is not null
                           then format('%I / %s * %s', (o.mt).control, greatest((o.mt).every_int / 10, 1), greatest((o.mt).every_int / 10, 1))
                         else format('date_trunc(''day'', %I)', (o.mt).control) end,
                    o.partition)
         end,
         jsonb_build_object('partition', o.partition::text, 'bytes', o.total_bytes, 'median_bytes', o.median::bigint,
                            'siblings', o.siblings, 'rows', o.row_estimate, 'median_rows', o.median_rows::bigint,
                            'cause', o.cause, 'finer_every', o.finer)
    from oversized o

  union all
  -- the oldest partitions are never read: a shorter keep would cost nothing
  select u.qname, 'shorter_keep',
         format('the %s oldest partition(s) of %s (%s) were never scanned since statistics were reset', u.n, u.qname, pg_size_pretty(u.bytes)),
         format('UPDATE tide.config SET keep = %L WHERE parent = %L::regclass;  -- keeps the %s partitions that are read',
                case when u.every ~ '^[0-9]+$' then (u.k_read * u.every::bigint)::text
                     else (u.k_read * u.every::interval)::text end,
                u.qname, u.k_read),
         jsonb_build_object('unread_partitions', u.n, 'unread_bytes', u.bytes, 'keep', u.keep)
    from (select c.qname, min(c.every) as every, min(c.keep) as keep, count(*) as n, sum(c.total_bytes) as bytes,
                 min(c.k) - 1 as k_read
            -- the oldest read partition of each table, once per table (a subquery per partition was
            -- quadratic: 1.9 s at 200 tables of 31 partitions)
            from (select c.*, coalesce(max(c.k) filter (where c.seq_scans + c.idx_scans > 0) over (partition by c.parent), 0) as last_read
                    from complete c) c
           where c.k > c.last_read
           group by c.qname, c.parent) u
   where u.n >= 2 and u.bytes > 0 and u.k_read >= 1
$fn$;

comment on function _tide.obs_recommendations(timestamptz) is
  'Advice for managed tables as of AS_OF from measured statistics: interval_too_coarse, interval_too_fine, empty_old_partitions, unused_index_on_old_partitions, shorter_keep, oversized_partition — each with the numbers behind it. Backs tide.recommendations. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only.';
