-- Rule 1, first half: a standalone table with the parent's shape (columns, defaults, CHECKs,
-- generated columns, storage, comments, statistics, indexes), owner, grants, storage parameters and
-- the CHECK matching its bounds, in one CREATE TABLE. Takes ACCESS SHARE on the parent (LIKE) only.

create or replace function _tide.create_bounded_table(mt _tide.managed_tables, partition_name name, bounds_check text)
returns regclass
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  existing  oid;
  par       record;
  opts      text;
  created   regclass;
begin
  -- the parent's tablespace and, as a partitioned table has no storage parameters, those of its
  -- newest partition (the largest oid that is not the default): one query, one probe per catalog.
  -- It also tells whether the new table could differ from the parent in owner or privileges (the
  -- creating role owns it; it gets no privileges unless ALTER DEFAULT PRIVILEGES gives it some):
  -- only then is copy_grants called.
  select (select t.spcname from pg_tablespace t where t.oid = c.reltablespace) as spcname,
         c.relacl is not null or pg_get_userbyid(c.relowner) <> current_user
           or exists (select from pg_default_acl d where d.defaclobjtype = 'r') as grants,
         (select k.reloptions from pg_class k
           where k.oid = (select max(i.inhrelid) from pg_inherits i
                           where i.inhparent = mt.parent and i.inhrelid <> coalesce(pt.partdefid, 0))
             and k.relkind = 'r') as newest_options
    into par
    from pg_class c left join pg_partitioned_table pt on pt.partrelid = c.oid
   where c.oid = mt.parent;
  -- (taken apart only when there are some: most partitions have none)
  if par.newest_options is not null then
    select string_agg(format('%I = %L', split_part(o, '=', 1), substr(o, strpos(o, '=') + 1)), ', ') into opts
      from unnest(par.newest_options) o
     where o ~ '^(fillfactor|autovacuum_|toast_tuple_target|parallel_workers|vacuum_|log_autovacuum)';
  end if;

  begin
    perform _tide.execute_with_retry(format(
      'create table %I.%I (like %s including defaults including constraints including storage including comments'
      ' including generated including statistics including compression including indexes%s)%s%s',
      mt.parent_schema, partition_name, mt.parent,
      case when bounds_check is not null then ', constraint tide_partition_bounds check (' || bounds_check || ')' else '' end,
      case when opts is not null then ' with (' || opts || ')' else '' end,
      case when par.spcname is not null then format(' tablespace %I', par.spcname) else '' end),
      mt.lock_retries);
  exception when duplicate_table then
    -- the name is taken (checked here, after the fact, so the usual path spends no query on it)
    select c.oid into existing
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = mt.parent_schema and c.relname = partition_name;
    if existing is not null and exists (select from pg_inherits i where i.inhrelid = existing and i.inhparent = mt.parent) then
      raise exception using errcode = 'TD003',
        message = format('partition name %I.%I is already used by another partition of %s', mt.parent_schema, partition_name, mt.parent),
        detail = 'Two different ranges of this table map to the same (possibly shortened) partition name.',
        hint = 'Rename the existing partition, or rename the parent to a shorter name.';
    end if;
    raise exception using errcode = '42P07',
      message = format('relation %I.%I already exists and is not a partition of %s', mt.parent_schema, partition_name, mt.parent),
      detail = format('pgtide needs the name %I.%I for a new partition of %s.', mt.parent_schema, partition_name, mt.parent),
      hint = 'Rename or drop that relation, then run maintenance again.';
  end;
  created := format('%I.%I', mt.parent_schema, partition_name)::regclass;

  if par.grants then
    perform _tide.copy_grants(mt.parent, created, false);
  end if;
  return created;
end
$fn$;

comment on function _tide.create_bounded_table(_tide.managed_tables, name, text) is
  'Creates a standalone table shaped like a managed parent (indexes, owner, grants, storage parameters) with CHECK constraint tide_partition_bounds (BOUNDS_CHECK, when not NULL), ready to attach. Raises 42P07/TD003 when the name is taken.';
