-- Everything tide.unconvert checks before it touches anything, and again under its lock: each
-- refusal names the table, says why and what to do. Returns the plan (which path, which key).

create or replace function _tide.unconvert_preflight(parent regclass, batch_rows integer)
returns jsonb
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $fn$
declare
  mt         _tide.managed_tables := _tide.load_existing_managed_table(parent);  -- TD001 when not managed, 42P01 when dropped
  rel        record;
  r          record;
  lg         _tide.legacy;
  key        name[];
  big        regclass;
  others     bigint := 0;
  n          bigint;
  resuming   boolean;
  nparts     integer;
begin
  if batch_rows is null or batch_rows < 1 then
    raise exception using errcode = '22023',
      message = format('batch_rows %s for table %s must be a positive number', coalesce(batch_rows::text, 'NULL'), parent),
      detail = 'batch_rows is about how many rows each transaction of tide.unconvert copies.',
      hint = 'Use e.g. 10000.';
  end if;
  select c.relkind, c.relname, n.nspname, c.relrowsecurity into rel
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = parent;
  if rel.relkind is distinct from 'p' then
    raise exception using errcode = '42809',
      message = format('table %s is not partitioned', parent),
      detail = 'tide.unconvert turns a partitioned table back into one plain table.',
      hint = 'Nothing to undo; tide.unmanage() stops pgtide managing it.';
  end if;
  resuming := exists (select from _tide.unconverts u where u.parent = unconvert_preflight.parent);

  select * into lg from _tide.legacy l where l.parent = unconvert_preflight.parent;
  if found and lg.state = 'splitting' then
    raise exception using errcode = '55000',
      message = format('tide.split_legacy of table %s is in progress', parent),
      detail = 'Rows of the interval being split sit in a table that is not attached yet; copying the partitioned table would miss them.',
      hint = format('Finish it first: CALL tide.split_legacy(%L); then CALL tide.unconvert again.', parent::text);
  end if;
  for r in select d.partition from _tide.detached d
            where d.parent_oid = unconvert_preflight.parent::oid and exists (select from pg_class c where c.oid = d.partition::oid) loop
    raise exception using errcode = '55000',
      message = format('table %s has detached partition %s still kept', parent, r.partition),
      detail = 'Retention detached it; its rows are not in the partitioned table, and pgtide''s bookkeeping points at the table being undone.',
      hint = format('Drop it, or keep it as a plain table of its own: DELETE FROM _tide.detached WHERE partition = %L::regclass;', r.partition::text);
  end loop;
  for r in select a.partition_name, a.state from _tide.archives a
            where a.parent_oid = unconvert_preflight.parent::oid and a.state <> 'dropped' loop
    raise exception using errcode = '55000',
      message = format('table %s has archive %s in state %s', parent, r.partition_name, r.state),
      detail = 'An archive of one of its partitions is still pending; pgtide drops the partition only after the archive is verified.',
      hint = 'Let the archive complete (tide.archives), or release it with tide.release_archive, then CALL tide.unconvert again.';
  end loop;

  for r in select i.inhrelid::regclass as part, c.relkind from pg_inherits i join pg_class c on c.oid = i.inhrelid
            where i.inhparent = parent and c.relkind <> 'r' loop
    raise exception using errcode = '0A000',
      message = format('partition %s of table %s is %s', r.part, parent,
                       case r.relkind when 'p' then 'itself partitioned' when 'f' then 'a foreign table' else 'not a plain table' end),
      detail = 'tide.unconvert copies plain partitions only.',
      hint = 'Detach that partition first (and move its rows yourself).';
  end loop;
  for r in select con.conname, con.conrelid::regclass as referencing, con.confrelid::regclass as referenced
             from pg_constraint con
            where con.contype = 'f' and con.conparentid = 0
              and (con.confrelid = parent or con.confrelid in (select inhrelid from pg_inherits where inhparent = parent)) loop
    raise exception using errcode = '55000',
      message = format('foreign key %I of table %s references table %s', r.conname, r.referencing, parent),
      detail = 'Dropping the partitioned table would need to drop that foreign key; re-pointing it re-checks every referencing row under lock.',
      hint = format('Drop it, unconvert, then add it back with NOT VALID and VALIDATE: ALTER TABLE %s DROP CONSTRAINT %I;', r.referencing, r.conname);
  end loop;
  for r in
    select distinct rw.ev_class::regclass as dependent, rw.rulename
      from pg_depend d join pg_rewrite rw on rw.oid = d.objid
     where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
       and (d.refobjid = parent or d.refobjid in (select inhrelid from pg_inherits where inhparent = parent))
  loop
    raise exception using errcode = '55000',
      message = format('view or rule %s depends on table %s', r.dependent, parent),
      detail = 'A view or rule is bound to the partitioned table by its identity and would have to be dropped with it.',
      hint = 'Save the definition (pg_get_viewdef / pg_get_ruledef), drop it, unconvert, and create it again.';
  end loop;
  perform _tide.refuse_identity_dependents(parent, 'unconvert');
  for r in select distinct pt.pubname from pg_publication_tables pt
            where (pt.schemaname, pt.tablename) in (select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                                                     where c.oid = parent or c.oid in (select inhrelid from pg_inherits where inhparent = parent)) loop
    raise exception using errcode = '55000',
      message = format('table %s is published by publication %I', parent, r.pubname),
      detail = 'Subscribers would see the table disappear and a new one appear.',
      hint = format('ALTER PUBLICATION %I DROP TABLE %s; unconvert; then add the plain table back.', r.pubname, parent);
  end loop;
  if rel.relrowsecurity or exists (select from pg_policy where polrelid = parent) then
    raise exception using errcode = '0A000',
      message = format('table %s uses row-level security', parent),
      detail = 'tide.unconvert does not copy policies.',
      hint = 'Drop the policies and disable row-level security, unconvert, then re-create them on the plain table.';
  end if;

  -- the key used to copy in order and to replay concurrent changes: the primary key, else a
  -- unique index on NOT NULL columns without expressions or predicate
  select array(select a.attname from unnest(i.indkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = parent and a.attnum = k.attnum
                where k.ord <= i.indnkeyatts order by k.ord)
    into key
    from pg_index i
   where i.indrelid = parent and i.indisunique and i.indexprs is null and i.indpred is null
     and not exists (select from unnest(i.indkey) k(attnum) join pg_attribute a on a.attrelid = parent and a.attnum = k.attnum
                      where not a.attnotnull)
   order by i.indisprimary desc, i.indnkeyatts, i.indexrelid
   limit 1;

  -- the cheap path: one partition holds (nearly) all rows; the others hold at most batch_rows
  select count(*) into nparts from pg_inherits where inhparent = parent;
  if not resuming and nparts > 0 then
    select i.inhrelid::regclass into big
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
     where i.inhparent = parent
     order by pg_relation_size(c.oid) desc, c.reltuples desc, c.oid
     limit 1;
    for r in select i.inhrelid::regclass as part from pg_inherits i where i.inhparent = parent and i.inhrelid <> big loop
      execute format('select count(*) from (select from %s limit %s) s', r.part, batch_rows + 1) into n;
      others := others + n;
      exit when others > batch_rows;
    end loop;
  end if;

  return jsonb_build_object(
    'parent', parent::text, 'schema', rel.nspname, 'name', rel.relname,
    'target_name', _tide.convert_short_name(rel.relname, '_unconverted'),
    'key', to_jsonb(key), 'partitions', nparts, 'resuming', resuming,
    'path', case when not resuming and big is not null and others <= batch_rows then 'detach' else 'copy' end,
    'keep_partition', big::text, 'rows_elsewhere', others,
    'rows_estimate', (select coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = parent),
    'total_bytes', (select coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) from pg_inherits i where i.inhparent = parent));
end
$fn$;

comment on function _tide.unconvert_preflight(regclass, integer) is
  'tide.unconvert''s checks: raises (changing nothing) when PARENT cannot be turned back into a plain table safely; returns the plan (detach path when one partition holds all but at most BATCH_ROWS rows, else copy; the key used to copy). Takes ACCESS SHARE on the partitions it peeks into.';
