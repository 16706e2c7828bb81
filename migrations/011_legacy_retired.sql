-- Up Migration
-- Retention may retire a legacy partition (all of its range older than keep) before tide.split_legacy
-- has split it, or while it does: its _tide.legacy row then says so, instead of pointing at a table
-- that is gone (split_legacy used to fail on the dangling oid, and unconvert to wait for a split
-- that could never finish).
alter table _tide.legacy drop constraint legacy_state;
alter table _tide.legacy add constraint legacy_state check (state in ('attached', 'splitting', 'split', 'retired'));
alter table _tide.legacy add column retired_at timestamptz;
comment on column _tide.legacy.retired_at is
  'When retention retired the legacy partition before its split finished (state retired; NULL when that happened before pgtide recorded it); legacy is then the detached table, or NULL when dropped';
-- rows already left dangling by an earlier version: retention dropped the legacy table (when is
-- not known)
update _tide.legacy l set state = 'retired', legacy = null
 where l.state <> 'split' and not exists (select from pg_catalog.pg_class c where c.oid = l.legacy::oid);

-- Down Migration
update _tide.legacy set state = 'split' where state = 'retired';
alter table _tide.legacy drop column if exists retired_at;
alter table _tide.legacy drop constraint legacy_state;
alter table _tide.legacy add constraint legacy_state check (state in ('attached', 'splitting', 'split'));
