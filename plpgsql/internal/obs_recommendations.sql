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
    select x.*, (m.mt).every, (m.mt).keep, m.qname,
           _tide.key_position(m.mt, x.upper_bound) as hi,
           m.cur
      from _tide.obs_partitions() x join m on (m.mt).parent = x.parent
     where not x.detached and not x.is_default
  ),
  s as (
    select pg_size_bytes(current_setting('effective_cache_size')) as memory,
           coalesce((select value::bigint from _tide.settings where name = 'tiny_partition_count'), 1000) as tiny_count,
           coalesce((select value::bigint from _tide.settings where name = 'tiny_partition_bytes'), 1048576) as tiny_bytes
  ),
  complete as (
    select p.*, row_number() over (partition by p.parent order by p.hi desc) as k from p where p.hi <= p.cur
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
  'Advice for managed tables as of AS_OF from measured statistics: interval_too_coarse, interval_too_fine, empty_old_partitions, unused_index_on_old_partitions, shorter_keep — each with the numbers behind it. Backs tide.recommendations. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only.';
