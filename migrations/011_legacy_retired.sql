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

-- Rows an earlier version left behind: retention dropped the legacy table (the oid dangles) or
-- detached it (no longer a partition of the parent). Rows a split had moved into its slice table
-- stay in that table: named in a WARNING, as nothing else lists it.
do $repair$
declare
  r record;
  loose text;
begin
  for r in select l.parent, l.state, l.legacy::oid as legacy, exists (select from pg_catalog.pg_class c where c.oid = l.legacy::oid) as kept
             from _tide.legacy l
            where l.state in ('attached', 'splitting')
              and not exists (select from pg_catalog.pg_inherits i where i.inhrelid = l.legacy::oid and i.inhparent = l.parent::oid) loop
    update _tide.legacy l set state = 'retired', legacy = case when r.kept then l.legacy end where l.parent = r.parent;
    if r.state = 'splitting' then
      select string_agg(format('%I.%I', n.nspname, c.relname), ', ' order by c.relname) into loose
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
             join pg_catalog.pg_class p on p.oid = r.parent::oid
       where c.relnamespace = p.relnamespace and c.relkind = 'r' and not c.relispartition
         and c.relname like replace(replace(p.relname, '_', '\_'), '%', '\%') || '\_%'
         and c.oid is distinct from r.legacy and not exists (select from _tide.detached d where d."partition"::oid = c.oid);
      raise warning 'pgtide: retention retired the legacy partition of % while tide.split_legacy was splitting it', r.parent
        using detail = format('Rows the split had moved out stay in its slice table, which is not attached; candidates: %s.', coalesce(loose, 'none found')),
              hint = 'Check that table: attach it, keep it, or drop it if its rows are expired.';
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
