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
  select c.oid into existing
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = mt.parent_schema and c.relname = partition_name;
  if existing is not null then
    if exists (select from pg_inherits i where i.inhrelid = existing and i.inhparent = mt.parent) then
      raise exception using errcode = 'TD003',
        message = format('partition name %I.%I is already used by another partition of %s', mt.parent_schema, partition_name, mt.parent),
        detail = 'Two different ranges of this table map to the same (possibly shortened) partition name.',
        hint = 'Rename the existing partition, or rename the parent to a shorter name.';
    end if;
    raise exception using errcode = '42P07',
      message = format('relation %I.%I already exists and is not a partition of %s', mt.parent_schema, partition_name, mt.parent),
      detail = format('pgtide needs the name %I.%I for a new partition of %s.', mt.parent_schema, partition_name, mt.parent),
      hint = 'Rename or drop that relation, then run maintenance again.';
  end if;

  select c.reltablespace into par from pg_class c where c.oid = mt.parent;

  -- storage parameters: a partitioned table has none, so copy those of the newest partition (the
  -- largest oid that is not the default): one catalog probe, not a look at every partition
  select string_agg(format('%I = %L', split_part(o, '=', 1), substr(o, strpos(o, '=') + 1)), ', ')
    into opts
    from pg_class c, unnest(c.reloptions) o
   where c.oid = (select max(i.inhrelid) from pg_inherits i
                   where i.inhparent = mt.parent
                     and i.inhrelid <> coalesce((select pt.partdefid from pg_partitioned_table pt where pt.partrelid = mt.parent), 0))
     and c.relkind = 'r'
     and o ~ '^(fillfactor|autovacuum_|toast_tuple_target|parallel_workers|vacuum_|log_autovacuum)';

  perform _tide.execute_with_retry(format(
    'create table %I.%I (like %s including defaults including constraints including storage including comments'
    ' including generated including statistics including compression including indexes%s)%s%s',
    mt.parent_schema, partition_name, mt.parent,
    case when bounds_check is not null then ', constraint tide_partition_bounds check (' || bounds_check || ')' else '' end,
    case when opts is not null then ' with (' || opts || ')' else '' end,
    case when par.reltablespace <> 0 then format(' tablespace %I', (select spcname from pg_tablespace where oid = par.reltablespace)) else '' end),
    mt.lock_retries);
  created := format('%I.%I', mt.parent_schema, partition_name)::regclass;

  perform _tide.copy_grants(mt.parent, created, false);
  return created;
end
$fn$;

comment on function _tide.create_bounded_table(_tide.managed_tables, name, text) is
  'Creates a standalone table shaped like a managed parent (indexes, owner, grants, storage parameters) with CHECK constraint tide_partition_bounds (BOUNDS_CHECK, when not NULL), ready to attach. Raises 42P07/TD003 when the name is taken.';
