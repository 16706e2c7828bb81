-- The body of the conversion swap, run with ACCESS EXCLUSIVE already held on the source: nothing
-- in here reads table data, so the lock lasts as long as the catalog work (milliseconds).

create or replace function _tide.convert_swap_locked(plan jsonb)
returns jsonb
language plpgsql volatile
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set intervalstyle = 'postgres'
as $fn$
declare
  source     regclass := (plan->>'source')::regclass;
  nsp        name := plan->>'schema';
  relname    name := plan->>'name';
  legacy     name := plan->>'legacy_name';
  control    name := plan->>'control';
  parent     regclass;
  src        record;
  r          record;
  triggers   text[] := array[]::text[];
  disabled   text[] := array[]::text[];
  fks        text[] := array[]::text[];
  idx        record;
  idx_map    jsonb := '{}';
  stmt       text;
  tname      text;
  created    text[] := array[]::text[];
  lo         text := plan->>'lower_bound';
  hi         text := plan->>'upper_bound';
begin
  -- the catalog may have changed since the preflight: check again, under the lock
  perform _tide.convert_preflight(source, control, plan->>'every', (plan->>'premake')::integer, plan->>'keep',
                                  plan->>'on_expire', plan->>'time_zone', (plan->>'default_partition')::boolean,
                                  now(), false);
  if not exists (select from pg_constraint where conrelid = source and conname = 'tide_legacy_lower' and convalidated)
     or not exists (select from pg_constraint where conrelid = source and conname = 'tide_legacy_upper' and convalidated) then
    raise exception using errcode = '55000',
      message = format('table %s has no validated conversion CHECKs', source),
      detail = 'The swap attaches the table as the legacy partition behind the CHECK constraints tide_legacy_lower and tide_legacy_upper, validated, so the attach needs no scan.',
      hint = 'Run tide.convert, which adds and validates them before the swap.';
  end if;

  select obj_description(c.oid, 'pg_class') as comment,
         c.relreplident, c.reloptions, c.reltablespace
    into src from pg_class c where c.oid = source;

  -- capture what refers to the table by name while the name is still the table's
  for r in select t.oid, t.tgname, t.tgenabled from pg_trigger t where t.tgrelid = source and not t.tgisinternal loop
    triggers := triggers || pg_get_triggerdef(r.oid);
    if r.tgenabled <> 'O' then
      disabled := disabled || format('alter table %I.%I %s trigger %I', nsp, relname,
        case r.tgenabled when 'D' then 'disable' when 'A' then 'enable always' when 'R' then 'enable replica' end, r.tgname);
    end if;
  end loop;
  -- the table's own foreign keys, not PostgreSQL's clones of one per partition of a partitioned referenced table
  for r in select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = source and contype = 'f' and conparentid = 0 loop
    fks := fks || format('alter table %I.%I add constraint %I %s', nsp, relname, r.conname, r.def);
  end loop;

  -- 1. rename the table and its indexes out of the way
  execute format('alter table %s rename to %I', source, legacy);
  for idx in select i.indexrelid::regclass as oid, c.relname from pg_index i join pg_class c on c.oid = i.indexrelid
              where i.indrelid = source order by c.relname loop
    tname := _tide.convert_short_name(idx.relname, '_legacy');
    while exists (select from pg_class where relnamespace = (select oid from pg_namespace where nspname = nsp) and pg_class.relname = tname) loop
      tname := _tide.convert_short_name(idx.relname, '_legacy' || (random() * 1000)::int);
    end loop;
    execute format('alter index %s rename to %I', idx.oid, tname);
    idx_map := idx_map || jsonb_build_object(idx.oid::oid::text, idx.relname);
  end loop;

  -- 2. the partitioned table, same name and shape (columns, defaults, identity, generated,
  --    NOT NULL and CHECK constraints, storage, compression, comments, statistics, indexes)
  execute format('create table %I.%I (like %I.%I including all) partition by range (%I)%s',
                 nsp, relname, nsp, legacy, control,
                 case when src.reltablespace <> 0 then format(' tablespace %I', (select spcname from pg_tablespace where oid = src.reltablespace)) else '' end);
  parent := format('%I.%I', nsp, relname)::regclass;
  execute format('alter table %s drop constraint tide_legacy_lower, drop constraint tide_legacy_upper', parent);
  if src.comment is not null then
    execute format('comment on table %s is %L', parent, src.comment);
  end if;
  -- owner and privileges, table and column level
  perform _tide.copy_grants(source, parent, true);
  -- statistics targets
  for r in select a.attname, a.attstattarget from pg_attribute a
            where a.attrelid = source and a.attnum > 0 and not a.attisdropped and a.attstattarget >= 0 loop
    execute format('alter table %s alter column %I set statistics %s', parent, r.attname, r.attstattarget);
  end loop;
  -- sequences owned by the table's columns (serial): they now belong to the parent, so dropping
  -- the legacy partition one day never drops them; their position is untouched
  for r in select d.objid::regclass as seq, a.attname
             from pg_depend d join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
            where d.classid = 'pg_class'::regclass and d.refobjid = source and d.deptype = 'a'
              and (select relkind from pg_class where oid = d.objid) = 'S' loop
    execute format('alter sequence %s owned by %s.%I', r.seq, parent, r.attname);
  end loop;
  -- identity columns: the parent got a fresh sequence; carry the position over, and the name
  -- and grants too (code calling nextval on it by name, or granted on it, gets the live one):
  -- the legacy partition's own sequence, used only by rows written into it directly, becomes
  -- <name>_legacy (dropped with it)
  for r in select a.attname, pg_get_serial_sequence(source::text, a.attname)::regclass as old_seq,
                  pg_get_serial_sequence(parent::text, a.attname)::regclass as new_seq
             from pg_attribute a where a.attrelid = source and a.attidentity <> '' and not a.attisdropped loop
    execute format('select setval(%L, last_value, is_called) from %s', r.new_seq, r.old_seq);
    stmt := (select c.relname from pg_class c where c.oid = r.old_seq);
    tname := _tide.convert_short_name(stmt, '_legacy');
    while exists (select from pg_class where relnamespace = (select oid from pg_namespace where nspname = nsp) and pg_class.relname = tname) loop
      tname := _tide.convert_short_name(stmt, '_legacy' || (random() * 1000)::int);
    end loop;
    execute format('alter sequence %s rename to %I', r.old_seq, tname);
    execute format('alter sequence %s rename to %I', r.new_seq, stmt);
    for idx in select a.privilege_type, a.is_grantable,
                      case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end as grantee
                 from pg_class c, aclexplode(c.relacl) a
                where c.oid = r.old_seq and a.grantee <> c.relowner loop
      execute format('grant %s on sequence %s to %s%s', idx.privilege_type, r.new_seq, idx.grantee,
                     case when idx.is_grantable then ' with grant option' else '' end);
    end loop;
  end loop;
  -- foreign keys out of the table: created on the empty parent, ATTACH adopts the legacy's own
  foreach stmt in array fks loop execute stmt; end loop;
  -- triggers move to the parent (row triggers come back onto the legacy partition at ATTACH)
  for r in select tgname from pg_trigger where tgrelid = source and not tgisinternal loop
    execute format('drop trigger %I on %s', r.tgname, source);
  end loop;
  foreach stmt in array triggers loop execute stmt; end loop;
  foreach stmt in array disabled loop execute stmt; end loop;

  -- 3. attach: the validated CHECKs prove the bounds, so PostgreSQL reads no row
  execute format('alter table %s attach partition %s for values from (%L) to (%L)', parent, source, lo, hi);

  -- 4. the parent's indexes adopted the legacy ones; give them the original names. The names
  --    LIKE chose may be original names of other indexes (index t_b_idx on (a) and index foo on
  --    (b): foo's copy is called t_b_idx), so first every index to be renamed gets a name of its
  --    own, then each gets its original name, which nothing holds any more
  for phase in 1..2 loop
    for idx in select inh.inhparent::regclass as pidx, i.indexrelid::oid as lidx
                 from pg_index i join pg_inherits inh on inh.inhrelid = i.indexrelid
                where i.indrelid = source loop
      continue when (select c.relname from pg_class c where c.oid = idx.pidx) = idx_map->>(idx.lidx::text);
      if phase = 1 then
        tname := 'tide_swap_' || idx.pidx::oid;
        while exists (select from pg_class where relnamespace = (select oid from pg_namespace where nspname = nsp) and pg_class.relname = tname) loop
          tname := 'tide_swap_' || idx.pidx::oid || '_' || (random() * 1000)::int;
        end loop;
      else
        tname := idx_map->>(idx.lidx::text);
      end if;
      execute format('alter index %s rename to %I', idx.pidx, tname);
    end loop;
  end loop;
  if exists (select from pg_index i where i.indrelid = source
              and not exists (select from pg_inherits where inhrelid = i.indexrelid)) then
    raise notice 'pgtide: some indexes of % are not attached to an index of the parent and stay local to it', legacy;
  end if;

  -- 5. replica identity (partitioned tables keep it for their partitions' logical decoding)
  if src.relreplident = 'f' then
    execute format('alter table %s replica identity full', parent);
  elsif src.relreplident = 'n' then
    execute format('alter table %s replica identity nothing', parent);
  elsif src.relreplident = 'i' then
    select inh.inhparent::regclass as pidx into idx
      from pg_index i join pg_inherits inh on inh.inhrelid = i.indexrelid
     where i.indrelid = source and i.indisreplident;
    if found then
      execute format('alter table %s replica identity using index %I', parent,
                     (select c.relname from pg_class c where c.oid = idx.pidx));
    end if;
  end if;

  -- 6. register with pgtide: future partitions (and the default) are created by the engine,
  --    which adopts the legacy partition as one range spanning several intervals
  select coalesce(array_agg(p::text), array[]::text[]) into created
    from tide.manage(parent, control, plan->>'every', (plan->>'premake')::integer, plan->>'keep',
                     plan->>'on_expire', null, plan->>'time_zone', (plan->>'default_partition')::boolean) as p;

  -- storage parameters cannot live on a partitioned table: give them to the new partitions
  if src.reloptions is not null then
    for r in select inhrelid::regclass as part from pg_inherits where inhparent = parent and inhrelid <> source loop
      execute format('alter table %s set (%s)', r.part, array_to_string(src.reloptions, ', '));
    end loop;
  end if;

  insert into _tide.legacy (parent, parent_oid, legacy, legacy_name, lower_bound, upper_bound,
                            rows_at_convert, bytes_at_convert)
  values (parent, parent, source, legacy, lo, hi, (plan->>'rows_estimate')::bigint, (plan->>'total_bytes')::bigint);

  return jsonb_build_object('parent', parent::text, 'legacy', source::text,
                            'lower_bound', lo, 'upper_bound', hi, 'partitions_created', to_jsonb(created));
end
$fn$;

comment on function _tide.convert_swap_locked(jsonb) is
  'Body of the tide.convert swap; expects ACCESS EXCLUSIVE on the source already held (call _tide.convert_swap). Reads no table data.';
