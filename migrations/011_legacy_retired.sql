-- Up Migration
-- Retention may retire a legacy partition (all of its range older than keep) before tide.split_legacy
-- has split it, or while it does: its _tide.legacy row then says so, instead of pointing at a table
-- that is gone (split_legacy used to fail on the dangling oid, and unconvert to wait for a split
-- that could never finish). The slice a split is filling is recorded by oid, so retention retires
-- it with the legacy partition even after the parent was renamed.
alter table _tide.legacy drop constraint legacy_state;
alter table _tide.legacy add constraint legacy_state check (state in ('attached', 'splitting', 'split', 'retired'));
alter table _tide.legacy add column retired_at timestamptz;
alter table _tide.legacy add column slice regclass;
comment on column _tide.legacy.retired_at is
  'When retention retired the legacy partition before its split finished (state retired; NULL when that happened before pgtide recorded it); legacy is then the detached table, or NULL when dropped';
comment on column _tide.legacy.slice is
  'The standalone table tide.split_legacy is filling with the oldest interval left in the legacy partition (NULL between intervals)';

-- expire_partition now says whether it retired the partition (false while a split step holds the
-- legacy row); the installer re-creates it from plpgsql/ after the migrations
drop function if exists _tide.expire_partition(_tide.managed_tables, regclass, text, text, bigint);

-- Rows an earlier version left behind: retention dropped the legacy table (the oid dangles) or
-- detached it (no longer a partition of the parent). A split under way with its legacy table
-- attached gets its slice recorded: the table of the exact name the split step looks for (it would
-- find it by that name anyway; recorded, a later rename of the parent does not lose it). Where
-- retention already retired the legacy table mid-split, a WARNING names the tables that may hold
-- the rows the split had moved (unattached, in the parent's schema, with the parent's columns), as
-- nothing else lists them.
do $repair$
declare
  r      record;
  mt     _tide.managed_tables;
  lo     text;
  sl     regclass;
  loose  text;
begin
  for r in select l.parent, l.state, l.legacy::oid as legacy,
                  exists (select from pg_catalog.pg_class c where c.oid = l.legacy::oid) as kept,
                  exists (select from pg_catalog.pg_inherits i where i.inhrelid = l.legacy::oid and i.inhparent = l.parent::oid) as attached
             from _tide.legacy l
            where l.state in ('attached', 'splitting') loop
    if r.attached then
      if r.state = 'splitting' then
        mt := _tide.load_managed_table(r.parent);
        select b.lower_bound into lo from _tide.partition_bounds(r.legacy::regclass) b;
        sl := pg_catalog.to_regclass(pg_catalog.format('%I.%I', mt.parent_schema,
                   _tide.partition_name(mt, _tide.key_position(mt, lo))));
        if sl is not null and exists (select from pg_catalog.pg_class c where c.oid = sl::oid and c.relkind = 'r' and not c.relispartition) then
          update _tide.legacy l set slice = sl where l.parent = r.parent;
        end if;
      end if;
      continue;
    end if;
    update _tide.legacy l set state = 'retired', legacy = case when r.kept then l.legacy end where l.parent = r.parent;
    if r.state = 'splitting' then
      select pg_catalog.string_agg(c.oid::regclass::text, ', ' order by c.relname) into loose
        from pg_catalog.pg_class c join pg_catalog.pg_class p on p.oid = r.parent::oid
       where c.relnamespace = p.relnamespace and c.relkind = 'r' and not c.relispartition
         and c.oid is distinct from r.legacy
         and not exists (select from _tide.detached d where d."partition"::oid = c.oid)
         and (select pg_catalog.string_agg(a.attname || ' ' || a.atttypid::regtype::text, ', ' order by a.attnum)
                from pg_catalog.pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped)
             = (select pg_catalog.string_agg(a.attname || ' ' || a.atttypid::regtype::text, ', ' order by a.attnum)
                  from pg_catalog.pg_attribute a where a.attrelid = p.oid and a.attnum > 0 and not a.attisdropped);
      raise warning 'pgtide: retention retired the legacy partition of % while tide.split_legacy was splitting it', r.parent
        using detail = pg_catalog.format('Rows the split had moved out stay in its slice table, which is not attached; tables that may be it: %s.',
                                         coalesce(loose, 'none found')),
              hint = 'Check those tables: attach the slice, keep it, or drop it if its rows are expired.';
    end if;
  end loop;
end
$repair$;

-- Down Migration
-- the earlier version knows no retired state: such a legacy has nothing left to split
update _tide.legacy set state = 'split' where state = 'retired';
alter table _tide.legacy drop column if exists slice;
alter table _tide.legacy drop column if exists retired_at;
alter table _tide.legacy drop constraint legacy_state;
alter table _tide.legacy add constraint legacy_state check (state in ('attached', 'splitting', 'split'));
