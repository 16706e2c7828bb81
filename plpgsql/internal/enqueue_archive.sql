-- Retention calls this (through EXECUTE) after detaching an expired partition of a table whose
-- on_expire is 'archive': the partition joins the archive queue, to be exported and verified.
create or replace function _tide.enqueue_archive(parent regclass, "partition" regclass, lower_bound text, upper_bound text)
returns bigint
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  part pg_catalog.pg_class;
  par  pg_catalog.pg_class;
  ctl  name;
  id   bigint;
begin
  select * into part from pg_catalog.pg_class c where c.oid = "partition";
  if not found or part.relkind <> 'r' then
    raise exception using errcode = 'wrong_object_type',
      message = format('pgtide: %s is not an ordinary table and cannot be archived', "partition"),
      detail = 'Only a detached partition (a plain table) can be queued for archiving.',
      hint = 'Detach the partition first; retention does this for on_expire => ''archive''.';
  end if;
  if part.relispartition then
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('pgtide: %s is still attached to its parent', "partition"),
      detail = 'An archived partition is dropped after verification, so it must no longer route writes.',
      hint = 'Detach it (ALTER TABLE … DETACH PARTITION) before queueing it.';
  end if;

  select a.archive_id into id from _tide.archives a
  where a."partition" = enqueue_archive."partition" and a.state <> 'dropped';
  if found then
    return id;  -- already queued: retention may call again after a retried run
  end if;

  select * into par from pg_catalog.pg_class c where c.oid = parent;
  select coalesce(
           (select m.control from _tide.managed_tables m where m.parent = enqueue_archive.parent),
           (select a.attname from pg_catalog.pg_partitioned_table p
              join pg_catalog.pg_attribute a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0]
            where p.partrelid = enqueue_archive.parent))
    into ctl;
  if ctl is not null and not exists (select from pg_catalog.pg_attribute a
                                     where a.attrelid = "partition" and a.attname = ctl and not a.attisdropped) then
    ctl := null;
  end if;

  insert into _tide.archives (parent_oid, parent, "partition", partition_name, lower_bound, upper_bound,
                              rows, bytes, partition_schema, partition_table, parent_schema, parent_table, control)
  values (parent, parent::text, "partition", "partition"::text, enqueue_archive.lower_bound, enqueue_archive.upper_bound,
          nullif(greatest(part.reltuples, -1)::bigint, -1), pg_catalog.pg_total_relation_size("partition"),
          (select n.nspname from pg_catalog.pg_namespace n where n.oid = part.relnamespace), part.relname,
          coalesce((select n.nspname from pg_catalog.pg_namespace n where n.oid = par.relnamespace), (select n.nspname from pg_catalog.pg_namespace n where n.oid = part.relnamespace)),
          coalesce(par.relname, part.relname), ctl)
  returning archive_id into id;
  return id;
end
$fn$;
comment on function _tide.enqueue_archive(regclass, regclass, text, text) is
  'pgtide: queue a detached PARTITION of PARENT for archiving (idempotent); returns its archive_id';
