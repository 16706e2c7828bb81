-- Everything tide.convert checks before it touches anything: each refusal names the object, says
-- why and what to do. With SCAN it also reads min/max of the control column and returns the plan.

create or replace function _tide.convert_preflight(
  source regclass, control name, every text, premake integer, keep text, on_expire text,
  time_zone text, default_partition boolean, as_of timestamptz, scan boolean default true)
returns jsonb
language plpgsql volatile
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set timezone = 'UTC'
set intervalstyle = 'postgres'
as $fn$
declare
  rel        record;
  col        record;
  r          record;
  ev_iv      interval;
  ev_int     bigint;
  lo_txt     text;
  hi_txt     text;
  mn         text;
  mx         text;
  now_txt    text;
  short      boolean;
  legacy     text;
  steps      text[] := array[]::text[];
  n          integer;
begin
  select c.oid, c.relname, n.nspname, c.relkind, c.relpersistence, c.relispartition, c.relhassubclass,
         c.relrowsecurity, c.reltuples, c.relreplident, c.reloftype
    into rel
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.oid = source;

  if rel.relkind = 'p' then
    raise exception using errcode = '42809',
      message = format('table %s is already partitioned', source),
      detail = 'tide.convert turns a plain table into a partitioned one.',
      hint = format('Use tide.manage(%L, ...) to manage an existing partitioned table.', source::text);
  elsif rel.relispartition then
    raise exception using errcode = '42809',
      message = format('table %s is a partition', source),
      detail = 'tide.convert turns a plain table into a partitioned one; this one already belongs to a partitioned table.',
      hint = 'Manage its parent with tide.manage instead.';
  elsif rel.relkind is distinct from 'r' then
    raise exception using errcode = '42809',
      message = format('%s is not a table', source),
      detail = format('%s is a %s; tide.convert turns an ordinary table into a partitioned one.', source,
                      case rel.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table'
                                       when 'i' then 'index' when 'I' then 'partitioned index' when 'S' then 'sequence'
                                       when 'c' then 'composite type' when 't' then 'TOAST table' else 'relation of kind ' || rel.relkind::text end),
      hint = 'Pass an ordinary table.';
  end if;
  if rel.relpersistence = 't' then
    raise exception using errcode = '0A000',
      message = format('table %s is temporary', source),
      detail = 'A temporary table lives for one session; pgtide manages tables every session sees.',
      hint = 'Convert a permanent table.';
  elsif rel.relpersistence = 'u' then
    raise exception using errcode = '0A000',
      message = format('table %s is unlogged', source),
      detail = 'PostgreSQL 15 cannot make a partitioned table unlogged, so the converted table would change durability.',
      hint = format('Make it logged first: ALTER TABLE %s SET LOGGED (this rewrites it), or keep it unpartitioned.', source);
  end if;
  if exists (select from pg_inherits where inhrelid = source) or rel.relhassubclass
     and exists (select from pg_inherits where inhparent = source) then
    raise exception using errcode = '0A000',
      message = format('table %s takes part in table inheritance', source),
      detail = (select 'Inheritance: ' || string_agg(format('%s inherits from %s', inhrelid::regclass, inhparent::regclass), ', ')
                  from pg_inherits where inhrelid = source or inhparent = source),
      hint = 'Partitioned tables cannot inherit or be inherited; use ALTER TABLE ... NO INHERIT first.';
  end if;
  if exists (select from _tide.managed_tables m where m.parent = source) then
    raise exception using errcode = '42710',
      message = format('table %s is already managed by pgtide', source),
      detail = 'It is partitioned and under pgtide''s management already.',
      hint = 'Nothing to convert.';
  end if;

  select a.attnum, a.attname, a.atttypid::regtype as typ, a.attnotnull, a.attidentity, a.attgenerated
    into col
    from pg_attribute a
   where a.attrelid = source and a.attname = control and a.attnum > 0 and not a.attisdropped;
  if not found then
    raise exception using errcode = '42703',
      message = format('column %I does not exist in table %s', control, source),
      detail = 'control names the column whose value decides each row''s partition.',
      hint = 'Name the timestamp, date or integer column that decides the partition.';
  end if;
  if col.typ not in ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype, 'integer'::regtype, 'bigint'::regtype) then
    raise exception using errcode = '0A000',
      message = format('column %I of table %s has type %s, which pgtide cannot partition on', control, source, col.typ),
      detail = 'pgtide lays partitions out on a grid of time spans or of whole numbers.',
      hint = 'Use a timestamptz, timestamp, date, integer or bigint column.';
  end if;
  if col.attgenerated <> '' then
    raise exception using errcode = '0A000',
      message = format('column %I of table %s is a generated column', control, source),
      detail = 'PostgreSQL cannot partition by a generated column.',
      hint = 'Partition on the column it is computed from.';
  end if;
  if not col.attnotnull then
    raise exception using errcode = '55000',
      message = format('column %I of table %s allows NULL', control, source),
      detail = 'Every row needs a value to find its partition, and a partition key column is always NOT NULL.',
      hint = format('Without a long lock: ALTER TABLE %1$s ADD CONSTRAINT %2$I CHECK (%3$I IS NOT NULL) NOT VALID; '
                    'ALTER TABLE %1$s VALIDATE CONSTRAINT %2$I; ALTER TABLE %1$s ALTER COLUMN %3$I SET NOT NULL; '
                    'ALTER TABLE %1$s DROP CONSTRAINT %2$I;',
                    source, left(control, 50) || '_not_null', control);
  end if;

  -- parameters (the engine's parser raises 22023 with hints)
  select as_interval, as_int into ev_iv, ev_int from _tide.parse_control_value(every, col.typ, 'every', source);
  if keep is not null then
    perform _tide.parse_control_value(keep, col.typ, 'keep', source, ev_iv, ev_int);
  end if;
  if premake is null or premake < 1 or premake > 1000 then
    raise exception using errcode = '22023',
      message = format('premake %s for table %s is out of range', coalesce(premake::text, 'NULL'), source),
      detail = 'premake is the number of partitions kept ready ahead of now.',
      hint = 'Use a number of partitions between 1 and 1000.';
  end if;
  if on_expire is null or on_expire not in ('drop', 'detach', 'archive') then
    raise exception using errcode = '22023',
      message = format('on_expire %s for table %s is not known', coalesce(quote_literal(on_expire), 'NULL'), source),
      detail = 'on_expire says what retention does with a partition older than keep: drop it, detach it, or archive it and then drop it.',
      hint = 'Use ''drop'', ''detach'' or ''archive''.';
  end if;
  if time_zone is null or not exists (select from pg_timezone_names where name = time_zone)
     and not exists (select from pg_timezone_abbrevs where abbrev = time_zone) then
    raise exception using errcode = '22023',
      message = format('time zone %s for table %s is not known', coalesce(quote_literal(time_zone), 'NULL'), source),
      detail = 'Partition bounds are computed in this time zone, so it must be one PostgreSQL knows.',
      hint = 'Use a name from pg_timezone_names, e.g. ''UTC'' or ''Europe/Paris''.';
  end if;

  -- unique keys must contain the control column
  for r in
    select i.indexrelid::regclass as idx, con.conname, con.contype, i.indisprimary,
           (select string_agg(quote_ident(a.attname), ', ' order by k.ord)
              from unnest(i.indkey) with ordinality k(attnum, ord)
              join pg_attribute a on a.attrelid = source and a.attnum = k.attnum
             where k.ord <= i.indnkeyatts) as cols,
           i.indexprs is not null as has_expr
      from pg_index i left join pg_constraint con on con.conindid = i.indexrelid and con.conrelid = source
     where i.indrelid = source and i.indisunique
       and (i.indexprs is not null or not (col.attnum = any (i.indkey::int2[])))
  loop
    raise exception using errcode = '55000',
      message = format('%s %s of table %s does not include the control column %I',
                       case when r.indisprimary then 'primary key' when r.conname is not null then 'unique constraint' else 'unique index' end,
                       coalesce(quote_ident(r.conname), r.idx::text), source, control),
      detail = 'On a partitioned table every primary key and unique index must contain the partition column.',
      hint = format('The new key would be (%s, %I): replace %s by one on those columns (build the index CONCURRENTLY first), then convert.',
                    coalesce(r.cols, '...'), control, coalesce(quote_ident(r.conname), r.idx::text));
  end loop;
  select count(*) into n from pg_constraint where conrelid = source and contype = 'x';
  if n > 0 then
    raise exception using errcode = '0A000',
      message = format('table %s has an exclusion constraint', source),
      detail = (select 'Constraint: ' || string_agg(quote_ident(conname), ', ') from pg_constraint where conrelid = source and contype = 'x'),
      hint = 'PostgreSQL 15 does not support exclusion constraints on partitioned tables; drop it first.';
  end if;
  for r in select i.indexrelid::regclass as idx from pg_index i where i.indrelid = source and not i.indisvalid loop
    raise exception using errcode = '55000',
      message = format('index %s of table %s is invalid', r.idx, source),
      detail = 'An invalid index is left over by a failed CREATE INDEX CONCURRENTLY.',
      hint = format('DROP INDEX CONCURRENTLY %s, or REINDEX INDEX CONCURRENTLY %s.', r.idx, r.idx);
  end loop;
  for r in select conname, conrelid::regclass as referencing from pg_constraint where confrelid = source and contype = 'f' loop
    raise exception using errcode = '55000',
      message = format('foreign key %I of table %s references table %s', r.conname, r.referencing, source),
      detail = 'Re-pointing a foreign key at the new partitioned table would re-check every referencing row under lock.',
      hint = format('Drop the foreign key, convert, then add it back with NOT VALID and VALIDATE: ALTER TABLE %s DROP CONSTRAINT %I;', r.referencing, r.conname);
  end loop;
  for r in
    select distinct rw.ev_class::regclass as dependent, rw.rulename
      from pg_depend d join pg_rewrite rw on rw.oid = d.objid
     where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjid = source
       and (rw.ev_class <> source or rw.rulename <> '_RETURN')
  loop
    raise exception using errcode = '55000',
      message = case when r.dependent = source
                     then format('table %s has rule %I', source, r.rulename)
                     else format('view or rule %s depends on table %s', r.dependent, source) end,
      detail = 'A view or rule is bound to the table by its identity, so it would keep reading the legacy partition alone.',
      hint = 'Save the definition (pg_get_viewdef / pg_get_ruledef), drop it, convert, and create it again.';
  end loop;
  perform _tide.refuse_identity_dependents(source, 'convert');
  for r in select pubname from pg_publication_tables where schemaname = rel.nspname and tablename = rel.relname loop
    raise exception using errcode = '55000',
      message = format('table %s is published by publication %I', source, r.pubname),
      detail = 'Subscribers would see the table disappear and a new one appear.',
      hint = format('ALTER PUBLICATION %I DROP TABLE %s; convert; then add the new table back (with publish_via_partition_root).', r.pubname, source);
  end loop;
  if rel.relrowsecurity or exists (select from pg_policy where polrelid = source) then
    raise exception using errcode = '0A000',
      message = format('table %s uses row-level security', source),
      detail = 'tide.convert does not copy policies.',
      hint = 'Drop the policies and disable row-level security, convert, then re-create them on the partitioned table.';
  end if;
  for r in select tgname from pg_trigger where tgrelid = source and not tgisinternal and tgconstraint <> 0 loop
    raise exception using errcode = '0A000',
      message = format('table %s has constraint trigger %I', source, r.tgname),
      detail = 'tide.convert does not carry constraint triggers over to the partitioned table that takes the table''s place.',
      hint = 'Drop it, convert, and create it on the partitioned table.';
  end loop;
  -- shapes a partitioned table (or the ATTACH of the legacy partition) cannot take: refused here,
  -- before the CHECKs are added and validated, not half-way through the swap
  for r in select tgname from pg_trigger
            where tgrelid = source and not tgisinternal and tgtype & 1 = 1
              and (tgoldtable is not null or tgnewtable is not null) loop
    raise exception using errcode = '0A000',
      message = format('table %s has row-level trigger %I with a transition table', source, r.tgname),
      detail = 'PostgreSQL does not support row-level triggers with transition tables (REFERENCING OLD/NEW TABLE) on partitioned tables or their partitions.',
      hint = format('Drop it (DROP TRIGGER %I ON %s), convert, and create it on the partitioned table as a FOR EACH STATEMENT trigger, which may use transition tables.',
                    r.tgname, source);
  end loop;
  if rel.reloftype <> 0 then
    raise exception using errcode = '0A000',
      message = format('table %s is a typed table (OF %s)', source, rel.reloftype::regtype),
      detail = 'PostgreSQL cannot attach a typed table as a partition.',
      hint = format('Unlink it from its type first: ALTER TABLE %s NOT OF; (catalog only, no rewrite), then convert.', source);
  end if;
  for r in select conname from pg_constraint
            where conrelid = source and contype = 'c' and connoinherit order by conname loop
    raise exception using errcode = '0A000',
      message = format('check constraint %I of table %s is NO INHERIT', r.conname, source),
      detail = 'A partitioned table cannot have NO INHERIT constraints, and the converted table takes over the table''s CHECK constraints.',
      hint = format('Drop it (ALTER TABLE %s DROP CONSTRAINT %I), convert, then add it back without NO INHERIT (NOT VALID, then VALIDATE CONSTRAINT).',
                    source, r.conname);
  end loop;
  for r in select conname, contype from pg_constraint
            where conrelid = source and contype in ('c', 'f') and not convalidated
              and conname not in ('tide_legacy_lower', 'tide_legacy_upper')  -- ours, from an earlier attempt
            order by conname loop
    raise exception using errcode = '55000',
      message = format('%s %I of table %s is NOT VALID', case r.contype when 'f' then 'foreign key' else 'check constraint' end,
                       r.conname, source),
      detail = case r.contype
                 when 'f' then 'PostgreSQL cannot add a NOT VALID foreign key to a partitioned table, so the converted table could not take it over.'
                 else 'The partitioned table would take the constraint over as valid, and attaching the table as its legacy partition fails while the constraint is NOT VALID there.' end,
      hint = format('Validate it first (SHARE UPDATE EXCLUSIVE: reads and writes continue): ALTER TABLE %s VALIDATE CONSTRAINT %I; then convert.',
                    source, r.conname);
  end loop;

  legacy := _tide.convert_short_name(rel.relname, '_legacy');
  if exists (select from pg_class where relnamespace = (select relnamespace from pg_class where oid = source) and relname = legacy) then
    raise exception using errcode = '42P07',
      message = format('relation %I.%I already exists', rel.nspname, legacy),
      detail = format('tide.convert renames %s to %I and attaches it as the legacy partition.', source, legacy),
      hint = 'Rename or drop that relation first.';
  end if;

  if not scan then
    return jsonb_build_object('source', source::text, 'legacy_name', legacy);
  end if;

  execute format('select min(%1$I)::text, max(%1$I)::text from %2$s', control, source) into mn, mx;
  if col.typ in ('integer'::regtype, 'bigint'::regtype) then
    lo_txt := _tide.convert_grid_edge(coalesce(mn, '0'), col.typ, null, ev_int, time_zone);
    hi_txt := _tide.convert_grid_edge(coalesce(mx, mn, '0'), col.typ, null, ev_int, time_zone, true);
    if hi_txt::numeric - coalesce(mx, '0')::numeric < ev_int / 2 then
      hi_txt := (hi_txt::bigint + ev_int)::text;  -- headroom for keys written while converting
    end if;
  else
    -- now, as the column holds it: an instant for timestamptz, the table's wall clock for
    -- timestamp and date (Rule 3), so both get the same headroom
    if col.typ = 'timestamptz'::regtype then
      now_txt := as_of::text;
    else
      now_txt := (as_of at time zone time_zone)::text;
    end if;
    lo_txt := _tide.convert_grid_edge(coalesce(mn, now_txt), col.typ, ev_iv, null, time_zone);
    -- the legacy partition covers current writes until the swap, so it ends after now
    if col.typ = 'timestamptz'::regtype then
      hi_txt := _tide.convert_grid_edge(greatest(coalesce(mx::timestamptz, as_of), as_of)::text,
                                        col.typ, ev_iv, null, time_zone, true);
      short := hi_txt::timestamptz - as_of < interval '15 minutes';
    else
      hi_txt := _tide.convert_grid_edge(greatest(coalesce(mx::timestamp, now_txt::timestamp), now_txt::timestamp)::text,
                                        col.typ, ev_iv, null, time_zone, true);
      short := hi_txt::timestamp - now_txt::timestamp < interval '15 minutes';
    end if;
    if short then
      hi_txt := _tide.convert_grid_edge(hi_txt, col.typ, ev_iv, null, time_zone, true);
    end if;
  end if;

  steps := array[
    format('add CHECK (%1$I >= %2$L AND %1$I < %3$L) NOT VALID on %4$s (brief lock, lock_timeout with retries)', control, lo_txt, hi_txt, source),
    format('VALIDATE the CHECK (scans %s rows; writes continue)', greatest(rel.reltuples, 0)::bigint),
    format('swap in one short transaction: rename %s to %I, create the partitioned table %s with its shape, attach %I FOR VALUES FROM (%L) TO (%L), attach its %s indexes, create %s future partitions%s, register with pgtide',
           source, legacy, source, legacy, lo_txt, hi_txt,
           (select count(*) from pg_index where indrelid = source), premake,
           case when default_partition then ' and a default partition' else '' end),
    format('optional, later: CALL tide.split_legacy(%L) moves %I''s rows into proper partitions online', source::text, legacy)];

  return jsonb_build_object(
    'source', source::text, 'schema', rel.nspname, 'name', rel.relname, 'legacy_name', legacy,
    'control', control, 'control_type', col.typ::text, 'every', every, 'premake', premake, 'keep', keep,
    'on_expire', on_expire, 'time_zone', time_zone, 'default_partition', default_partition,
    'min', mn, 'max', mx, 'lower_bound', lo_txt, 'upper_bound', hi_txt,
    'rows_estimate', greatest(rel.reltuples, 0)::bigint,
    'total_bytes', pg_total_relation_size(source), 'table_bytes', pg_relation_size(source),
    'indexes', (select count(*) from pg_index where indrelid = source),
    'steps', to_jsonb(steps));
end
$fn$;

comment on function _tide.convert_preflight(regclass, name, text, integer, text, text, text, boolean, timestamptz, boolean) is
  'tide.convert''s checks: raises (changing nothing) when SOURCE cannot be converted; with SCAN, reads min/max of the control column and returns the plan as jsonb. Takes ACCESS SHARE on SOURCE.';
