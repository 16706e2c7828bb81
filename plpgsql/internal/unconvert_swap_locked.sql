-- The end of tide.unconvert, run with ACCESS EXCLUSIVE already held on the partitioned table:
-- give the plain table TARGET the parent's shape (owner, grants, comments, defaults, identity
-- position, sequences, triggers, replica identity), drop the parent, take its name, unmanage.

create or replace function _tide.unconvert_swap_locked(parent regclass, target regclass, idx_map jsonb)
returns jsonb
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $fn$
declare
  src       record;
  tgt       record;
  r         record;
  nsp       name;
  relname   name;
  triggers  text[] := array[]::text[];
  states    text[] := array[]::text[];
  stmt      text;
  ri_index  text;
  renamed   integer := 0;
  seqs      jsonb := '{}';
begin
  select obj_description(c.oid, 'pg_class') as comment,
         c.relreplident, n.nspname, c.relname
    into src from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = parent;
  nsp := src.nspname; relname := src.relname;

  -- constraints tide.convert / split_legacy left on a legacy table would limit future rows
  for r in select conname from pg_constraint where conrelid = target and contype = 'c'
              and conname in ('tide_legacy_lower', 'tide_legacy_upper', 'tide_legacy_next', 'tide_legacy_slice') loop
    execute format('alter table %s drop constraint %I', target, r.conname);
  end loop;

  -- privileges exactly as the parent's: what the plain table had goes, then the parent's owner and grants
  select c.relowner, c.relacl into tgt from pg_class c where c.oid = target;
  for r in select distinct (aclexplode(tgt.relacl)).grantee loop
    continue when r.grantee = tgt.relowner;
    execute format('revoke all on table %s from %s', target, case when r.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(r.grantee)) end);
  end loop;
  for r in select a.attname, x.grantee from pg_attribute a cross join lateral (select distinct (aclexplode(a.attacl)).grantee) x
            where a.attrelid = target and a.attacl is not null and not a.attisdropped loop
    execute format('revoke all (%I) on table %s from %s', r.attname, target, case when r.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(r.grantee)) end);
  end loop;
  perform _tide.copy_grants(parent, target, true);

  -- comments, defaults and statistics targets, column by column (matched by name)
  execute format('comment on table %s is %L', target, src.comment);
  for r in select p.attname, col_description(parent, p.attnum) as pcomment, col_description(target, t.attnum) as tcomment,
                  pg_get_expr(pd.adbin, pd.adrelid) as pdef, pg_get_expr(td.adbin, td.adrelid) as tdef,
                  p.attidentity as pident, t.attidentity as tident, p.attgenerated, p.attstattarget as pstat, t.attstattarget as tstat
             from pg_attribute p
             join pg_attribute t on t.attrelid = target and t.attname = p.attname and not t.attisdropped
             left join pg_attrdef pd on pd.adrelid = parent and pd.adnum = p.attnum
             left join pg_attrdef td on td.adrelid = target and td.adnum = t.attnum
            where p.attrelid = parent and p.attnum > 0 and not p.attisdropped loop
    if r.pcomment is distinct from r.tcomment then
      execute format('comment on column %s.%I is %L', target, r.attname, r.pcomment);
    end if;
    if r.attgenerated = '' and r.pident = '' and r.pdef is distinct from r.tdef then
      if r.tident <> '' then
        execute format('alter table %s alter column %I drop identity', target, r.attname);
      end if;
      execute format('alter table %s alter column %I %s', target, r.attname,
                     case when r.pdef is null then 'drop default' else 'set default ' || r.pdef end);
    end if;
    if r.pident <> '' then
      if r.tdef is not null then
        execute format('alter table %s alter column %I drop default', target, r.attname);
      end if;
      if r.tident = '' then
        execute format('alter table %s alter column %I add generated %s as identity', target, r.attname,
                       case r.pident when 'a' then 'always' else 'by default' end);
      end if;
      -- the parent's sequence is dropped with it: carry its position (and later its name) over
      seqs := seqs || jsonb_build_object(pg_get_serial_sequence(target::text, r.attname),
                                         (select c.relname from pg_class c where c.oid = pg_get_serial_sequence(parent::text, r.attname)::regclass));
      execute format('select setval(%L, last_value, is_called) from %s',
                     pg_get_serial_sequence(target::text, r.attname), pg_get_serial_sequence(parent::text, r.attname));
    end if;
    if r.pstat is distinct from r.tstat then
      execute format('alter table %s alter column %I set statistics %s', target, r.attname, r.pstat);
    end if;
  end loop;
  -- sequences owned by the parent's columns (serial) would be dropped with it: hand them over
  for r in select d.objid::regclass as seq, a.attname
             from pg_depend d join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
            where d.classid = 'pg_class'::regclass and d.refobjid = parent and d.deptype = 'a'
              and (select relkind from pg_class where oid = d.objid) = 'S' loop
    execute format('alter sequence %s owned by %s.%I', r.seq, target, r.attname);
  end loop;

  -- triggers are recreated from their definitions, which name the table: capture them now,
  -- run them once the plain table has the name
  for r in select t.oid, t.tgname, t.tgenabled from pg_trigger t
            where t.tgrelid = parent and not t.tgisinternal and t.tgname <> 'tide_unconvert_capture' loop
    triggers := triggers || pg_get_triggerdef(r.oid);
    if r.tgenabled <> 'O' then
      states := states || format('alter table %I.%I %s trigger %I', nsp, relname,
        case r.tgenabled when 'D' then 'disable' when 'A' then 'enable always' when 'R' then 'enable replica' end, r.tgname);
    end if;
  end loop;
  if src.relreplident = 'i' then
    select c.relname into ri_index from pg_index i join pg_class c on c.oid = i.indexrelid
     where i.indrelid = parent and i.indisreplident;
  end if;

  -- the swap: the partitioned table (and its remaining, drained partitions) goes, the plain
  -- table takes its name and its indexes take the parent's index names
  delete from _tide.unconvert_changes c where c.parent = unconvert_swap_locked.parent;
  delete from _tide.unconverts u where u.parent = unconvert_swap_locked.parent;
  delete from _tide.legacy l where l.parent = unconvert_swap_locked.parent;
  delete from _tide.managed_tables m where m.parent = unconvert_swap_locked.parent;
  execute format('drop table %s', parent);
  execute format('alter table %s rename to %I', target, relname);
  for r in select key::oid::regclass as idx, value as name from jsonb_each_text(coalesce(idx_map, '{}')) loop
    continue when (select c.relname from pg_class c where c.oid = r.idx) = r.name;
    execute format('alter index %s rename to %I', r.idx, r.name);
    renamed := renamed + 1;
  end loop;
  for r in select key::regclass as seq, value as name from jsonb_each_text(seqs) loop
    continue when (select c.relname from pg_class c where c.oid = r.seq) = r.name
               or exists (select from pg_class c where c.relname = r.name and c.relnamespace = (select relnamespace from pg_class where oid = r.seq));
    execute format('alter sequence %s rename to %I', r.seq, r.name);
  end loop;
  foreach stmt in array triggers loop execute stmt; end loop;
  foreach stmt in array states loop execute stmt; end loop;
  if src.relreplident = 'f' then
    execute format('alter table %s replica identity full', target);
  elsif src.relreplident = 'n' then
    execute format('alter table %s replica identity nothing', target);
  elsif ri_index is not null then
    execute format('alter table %s replica identity using index %I', target, ri_index);
  end if;
  perform _tide.log_action(null, target, 'unconvert', null, 'ok');
  return jsonb_build_object('table', target::text, 'indexes_renamed', renamed, 'triggers', cardinality(triggers));
end
$fn$;

comment on function _tide.unconvert_swap_locked(regclass, regclass, jsonb) is
  'Body of the tide.unconvert swap; expects ACCESS EXCLUSIVE on PARENT already held. Gives TARGET the parent''s owner, grants, comments, defaults, identity position, sequences, triggers and replica identity, drops PARENT, renames TARGET (and its indexes, per IDX_MAP oid -> name) to the parent''s names and unmanages it. Reads no table data.';
