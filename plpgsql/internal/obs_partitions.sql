-- Every partition of every managed table (and the ones pgtide detached and still keeps), read in bulk
-- from the catalog and the statistics collector only: no partition is opened, scanned or locked, so
-- tide.partitions answers in well under a second with 10,000 partitions and never waits on DDL.

create or replace function _tide.obs_partitions()
returns table (
  parent            regclass,
  partition         regclass,
  partition_schema  name,
  partition_name    name,
  lower_bound       text,
  upper_bound       text,
  time_range        tstzrange,
  int_range         int8range,
  is_default        boolean,
  detached          boolean,
  detach_pending    boolean,
  row_estimate      bigint,
  table_bytes       bigint,
  toast_bytes       bigint,
  index_bytes       bigint,
  total_bytes       bigint,
  dead_tuples       bigint,
  last_vacuum       timestamptz,
  last_autovacuum   timestamptz,
  last_analyze      timestamptz,
  last_autoanalyze  timestamptz,
  seq_scans         bigint,
  idx_scans         bigint
)
language sql stable
security definer
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set timezone = 'UTC'
set intervalstyle = 'postgres'
as $fn$
  with members as (
    -- attached partitions (one level: the managed parent's direct children)
    select m.parent, i.inhrelid as relid, false as detached, i.inhdetachpending as detach_pending,
           m.control_type, m.time_zone, null::text as kept_lower, null::text as kept_upper
      from _tide.managed_tables m
      join pg_inherits i on i.inhparent = m.parent::oid
    union all
    -- partitions retention detached and keeps as plain tables
    select m.parent, d.partition::oid, true, false, m.control_type, m.time_zone, d.lower_bound, d.upper_bound
      from _tide.detached d
      join _tide.managed_tables m on m.parent::oid = d.parent_oid
      join pg_class dc on dc.oid = d.partition::oid and not dc.relispartition
    union all
    -- partitions detached for archiving whose table still exists and is not listed above
    select m.parent, a.partition::oid, true, false, m.control_type, m.time_zone, a.lower_bound, a.upper_bound
      from _tide.archives a
      join _tide.managed_tables m on m.parent::oid = a.parent_oid
      join pg_class ac on ac.oid = a.partition::oid and not ac.relispartition
     where a.state <> 'dropped'
       and not exists (select from _tide.detached d where d.partition::oid = a.partition::oid)
  ),
  parsed as materialized (
    select mb.*, c.relname, c.relnamespace, c.relpages, c.reltuples, c.reltoastrelid,
           -- relid 0: a bound holds constants only, so nothing needs opening (and locking) to print it
           pg_get_expr(c.relpartbound, 0) as expr
      from members mb
      join pg_class c on c.oid = mb.relid
  ),
  bounded as materialized (
    select p.*,
           coalesce(p.expr = 'DEFAULT', false) as is_def,
           -- single-column range bounds, parsed with one regular expression; anything else (several
           -- key columns) goes through _tide.partition_bounds, which scans the expression by hand
           regexp_match(p.expr,
             '^FOR VALUES FROM \(((?:''(?:[^'']|'''')*'')|[^,()'']+)\) TO \(((?:''(?:[^'']|'''')*'')|[^,()'']+)\)$') as m
      from parsed p
  ),
  texts as materialized (
    select b.*,
           case when b.detached then b.kept_lower
                when b.is_def then null
                when b.m is not null then
                  case when b.m[1] in ('MINVALUE', 'MAXVALUE') then null
                       when left(b.m[1], 1) = '''' then replace(substr(b.m[1], 2, length(b.m[1]) - 2), '''''', '''')
                       else b.m[1] end
                else (select x.lower_bound from _tide.partition_bounds(b.relid::regclass) x) end as lo,
           case when b.detached then b.kept_upper
                when b.is_def then null
                when b.m is not null then
                  case when b.m[2] in ('MINVALUE', 'MAXVALUE') then null
                       when left(b.m[2], 1) = '''' then replace(substr(b.m[2], 2, length(b.m[2]) - 2), '''''', '''')
                       else b.m[2] end
                else (select x.upper_bound from _tide.partition_bounds(b.relid::regclass) x) end as hi
      from bounded b
  )
  select t.parent,
         t.relid::regclass,
         n.nspname,
         t.relname,
         t.lo,
         t.hi,
         case when t.is_def then null
              when t.control_type = 'timestamptz'::regtype then tstzrange(t.lo::timestamptz, t.hi::timestamptz)
              when t.control_type = 'timestamp'::regtype
                then tstzrange(t.lo::timestamp at time zone t.time_zone, t.hi::timestamp at time zone t.time_zone)
              when t.control_type = 'date'::regtype
                then tstzrange(t.lo::date::timestamp at time zone t.time_zone, t.hi::date::timestamp at time zone t.time_zone)
         end,
         case when not t.is_def and t.control_type in ('integer'::regtype, 'bigint'::regtype, 'smallint'::regtype)
              then int8range(t.lo::bigint, t.hi::bigint) end,
         t.is_def,
         t.detached,
         t.detach_pending,
         case when t.reltuples >= 0 then t.reltuples::bigint else pg_stat_get_live_tuples(t.relid) end,
         t.relpages::bigint * bs.b,
         coalesce(tst.pages, 0) * bs.b,
         coalesce(ix.pages, 0) * bs.b,
         (t.relpages::bigint + coalesce(tst.pages, 0) + coalesce(ix.pages, 0)) * bs.b,
         pg_stat_get_dead_tuples(t.relid),
         pg_stat_get_last_vacuum_time(t.relid),
         pg_stat_get_last_autovacuum_time(t.relid),
         pg_stat_get_last_analyze_time(t.relid),
         pg_stat_get_last_autoanalyze_time(t.relid),
         pg_stat_get_numscans(t.relid),
         coalesce(ix.scans, 0)
    from texts t
    join pg_namespace n on n.oid = t.relnamespace
    cross join (select current_setting('block_size')::bigint as b) bs
    left join lateral (
      select sum(ic.relpages)::bigint as pages, sum(pg_stat_get_numscans(ic.oid))::bigint as scans
        from pg_index x join pg_class ic on ic.oid = x.indexrelid
       where x.indrelid = t.relid
    ) ix on true
    left join lateral (
      select (tc.relpages + coalesce((select sum(tic.relpages)
                                        from pg_index tx join pg_class tic on tic.oid = tx.indexrelid
                                       where tx.indrelid = tc.oid), 0))::bigint as pages
        from pg_class tc
       where tc.oid = t.reltoastrelid and t.reltoastrelid <> 0
    ) tst on true
$fn$;

comment on function _tide.obs_partitions() is
  'Every partition of every managed table, plus the ones pgtide detached and keeps, with bounds, catalog size estimates and statistics. Reads the catalog and statistics only; opens and locks no partition. Backs tide.partitions. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only.';
