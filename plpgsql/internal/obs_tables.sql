-- One row per managed table with the figures a DBA asks first: how far ahead writes are safe, what
-- sits in the default, how big it is and grows, how the last maintenance went, what is due next.
-- as_of is a parameter so tests can pin the clock; tide.tables passes now().

create or replace function _tide.obs_tables(as_of timestamptz default now())
returns table (
  parent               regclass,
  parent_schema        name,
  parent_name          name,
  table_state          text,
  control              name,
  control_type         regtype,
  every                text,
  premake              integer,
  keep                 text,
  on_expire            text,
  time_zone            text,
  default_partition    boolean,
  enabled              boolean,
  partitions           integer,
  detached_partitions  integer,
  oldest_bound         text,
  newest_bound         text,
  current_partition    regclass,
  covered_until        text,
  partitions_ahead     integer,
  position_note        text,
  default_rows         bigint,
  default_rows_exact   boolean,
  total_bytes          bigint,
  bytes_per_interval   bigint,
  rows_per_interval    bigint,
  expired_partitions   integer,
  oldest_expired_upper text,
  last_run_at          timestamptz,
  last_outcome         text,
  last_message         text,
  last_success_at      timestamptz,
  failures_in_a_row    integer,
  next_action          text,
  next_action_due      timestamptz
)
language sql stable
security definer
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set intervalstyle = 'postgres'
as $fn$
  with mt as (
    -- the table's names as they are now (ALTER TABLE … RENAME leaves those kept at manage time behind)
    select m as r, m.parent, coalesce(n.nspname, m.parent_schema) as live_schema, coalesce(c.relname, m.parent_name) as live_name,
           case when c.oid is null then 'missing' when c.relkind <> 'p' then 'not_partitioned' else 'ok' end as state
      from _tide.managed_tables m
      left join pg_class c on c.oid = m.parent::oid
      left join pg_namespace n on n.oid = c.relnamespace
  ),
  parts as materialized (
    select p.* from _tide.obs_partitions() p
  ),
  axis as materialized (
    select mt.parent, p.partition, p.lower_bound, p.upper_bound, p.time_range, p.is_default, p.detached,
           p.row_estimate, p.total_bytes,
           _tide.key_position(mt.r, p.lower_bound) as lo, _tide.key_position(mt.r, p.upper_bound) as hi
      from mt join parts p on p.parent = mt.parent
  ),
  pos as materialized (
    -- integer keys: the largest key, read without waiting on (or queueing behind) DDL on a partition
    select mt.parent, o.pos, o.note
      from mt cross join lateral _tide.obs_position(mt.r, as_of) o
     where mt.state = 'ok'
  ),
  now_pos as (
    select mt.parent, ps.pos as cur, ps.note,
           case when (mt.r).keep_interval is not null
                  then _tide.retention_cutoff(mt.r, as_of)
                when (mt.r).keep_int is not null and mt.state = 'ok'
                  then ps.pos - (mt.r).keep_int
           end as cutoff
      from mt left join pos ps on ps.parent = mt.parent
  ),
  islands as (
    select a.*, sum(case when a.lo is not distinct from a.prev_hi then 0 else 1 end)
                  over (partition by a.parent order by a.lo nulls first) as grp
      from (select a.*, lag(a.hi) over (partition by a.parent order by a.lo nulls first) as prev_hi
              from axis a where not a.is_default and not a.detached) a
  ),
  cur_part as (
    select distinct on (i.parent) i.parent, i.partition, i.grp, i.time_range
      from islands i join now_pos n on n.parent = i.parent
     where (i.lo is null or i.lo <= n.cur) and (i.hi is null or i.hi > n.cur)
     order by i.parent, i.lo desc nulls last
  ),
  coverage as (
    select c.parent, c.partition as current_partition, upper(c.time_range) as current_ends,
           -- a last partition that runs to MAXVALUE (integer keys at the end of their type) covers everything
           (select coalesce(i.upper_bound, 'MAXVALUE') from islands i where i.parent = c.parent and i.grp = c.grp
             order by i.lo desc nulls last limit 1) as covered_until,
           (select count(*) from islands i join now_pos n on n.parent = i.parent
             where i.parent = c.parent and i.grp = c.grp and i.lo > n.cur)::int as ahead
      from cur_part c
  ),
  agg as (
    select a.parent,
           count(*) filter (where not a.is_default and not a.detached)::int as n_parts,
           count(*) filter (where a.detached)::int as n_detached,
           -- a partition from MINVALUE (lo NULL) is the oldest; its lower bound prints as NULL
           (array_agg(a.lower_bound order by a.lo nulls first) filter (where not a.is_default and not a.detached))[1] as oldest,
           (array_agg(a.upper_bound order by a.hi desc nulls first) filter (where not a.is_default and not a.detached))[1] as newest,
           sum(a.total_bytes) filter (where not a.detached)::bigint as bytes,
           min(a.partition::text) filter (where a.is_default) as default_name,
           max(a.row_estimate) filter (where a.is_default) as default_estimate,
           count(*) filter (where not a.is_default and not a.detached and a.hi <= n.cutoff)::int as expired,
           (array_agg(a.upper_bound order by a.hi) filter (where not a.is_default and not a.detached and a.hi <= n.cutoff))[1] as oldest_expired,
           min(a.hi) filter (where not a.is_default and not a.detached) as oldest_hi
      from axis a join now_pos n on n.parent = a.parent
     group by a.parent
  ),
  growth as (
    select g.parent, avg(g.total_bytes)::bigint as bytes_per, avg(g.row_estimate)::bigint as rows_per
      from (select a.parent, a.total_bytes, a.row_estimate,
                   row_number() over (partition by a.parent order by a.hi desc) as k
              from axis a join now_pos n on n.parent = a.parent
             where not a.is_default and not a.detached and a.hi <= n.cur) g
     where g.k <= 3
     group by g.parent
  ),
  runs as (
    select mt.parent, l.logged_at, l.outcome, l.message,
           (select max(s.logged_at) from _tide.log s
             where s.parent_oid = mt.parent::oid and s.action = 'maintain' and s.outcome = 'ok') as success_at,
           (select count(*) from _tide.log f
             where f.parent_oid = mt.parent::oid and f.action = 'maintain' and f.outcome in ('error', 'lock_timeout')
               and f.log_id > coalesce((select max(o.log_id) from _tide.log o
                                         where o.parent_oid = mt.parent::oid and o.action = 'maintain'
                                           and o.outcome = 'ok'), 0))::int as failures
      from mt
      left join lateral (select l.logged_at, l.outcome, l.message from _tide.log l
                          where l.parent_oid = mt.parent::oid and l.action = 'maintain'
                          order by l.logged_at desc, l.log_id desc limit 1) l on true
  ),
  expiry as (
    -- when the oldest partition expires, in the table's zone (never the session's TimeZone)
    select ag.parent, _tide.expires_at(mt.r, ag.oldest_hi) as expires
      from agg ag join mt on mt.parent = ag.parent
  ),
  dflt as (
    select ag.parent, _tide.obs_default_rows(ag.default_name::regclass) as exact
      from agg ag join mt on mt.parent = ag.parent
     where ag.default_name is not null and mt.state = 'ok'
  )
  select mt.parent, mt.live_schema, mt.live_name, mt.state,
         (mt.r).control, (mt.r).control_type, (mt.r).every, (mt.r).premake, (mt.r).keep, (mt.r).on_expire,
         (mt.r).time_zone, (mt.r).default_partition, (mt.r).enabled,
         coalesce(ag.n_parts, 0), coalesce(ag.n_detached, 0), ag.oldest, ag.newest,
         cv.current_partition, cv.covered_until, coalesce(cv.ahead, 0), np.note,
         -- the bounded count: exact up to 10,000 rows; above, at least 10,001 (or the estimate, when larger)
         case when d.exact is null then ag.default_estimate
              when d.exact > 10000 then greatest(d.exact, ag.default_estimate) else d.exact end,
         d.exact is not null and d.exact <= 10000,
         coalesce(ag.bytes, 0), gr.bytes_per, gr.rows_per,
         coalesce(ag.expired, 0), ag.oldest_expired,
         r.logged_at, r.outcome, r.message, r.success_at, coalesce(r.failures, 0),
         case when mt.state <> 'ok' then null
              when not (mt.r).enabled then 'none: maintenance is disabled'
              when cv.current_partition is null
                   or (coalesce(cv.ahead, 0) < (mt.r).premake and cv.covered_until is distinct from 'MAXVALUE') then 'create partitions'
              when coalesce(ag.expired, 0) > 0 then format('%s %s partition(s)', (mt.r).on_expire, ag.expired)
              when cv.current_ends is not null and (ex.expires is null or cv.current_ends <= ex.expires)
                then 'create partitions'
              when cv.current_ends is not null then format('%s 1 partition', (mt.r).on_expire)
              when cv.covered_until = 'MAXVALUE' then 'none: the last partition runs to MAXVALUE'
              else 'create partitions when the key passes ' || cv.covered_until
         end,
         case when mt.state <> 'ok' or not (mt.r).enabled then null
              when cv.current_partition is null
                   or (coalesce(cv.ahead, 0) < (mt.r).premake and cv.covered_until is distinct from 'MAXVALUE')
                   or coalesce(ag.expired, 0) > 0 then as_of
              else least(cv.current_ends, ex.expires)
         end
    from mt
    left join agg ag on ag.parent = mt.parent
    left join coverage cv on cv.parent = mt.parent
    left join growth gr on gr.parent = mt.parent
    left join runs r on r.parent = mt.parent
    left join dflt d on d.parent = mt.parent
    left join now_pos np on np.parent = mt.parent
    left join expiry ex on ex.parent = mt.parent
   order by mt.live_schema, mt.live_name
$fn$;

comment on function _tide.obs_tables(timestamptz) is
  'One row per managed table as of AS_OF: settings, partition counts, bounds, coverage ahead (position_note when an integer key''s position is estimated), default rows, size and growth, retention due, last maintenance, next action. Backs tide.tables. Reads the catalog, statistics and _tide.log; counts at most 10,001 rows of each default partition and reads the largest key of integer-keyed partitions, never waiting for a lock and keeping none. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only.';
