-- Up Migration
-- More archive state: the names an object key is built from (kept even after the partition is
-- dropped), the control column, the verified manifest and who holds the job.

alter table _tide.archives
  add column partition_schema name,
  add column partition_table  name,
  add column parent_schema    name,
  add column parent_table     name,
  add column control          name,
  add column min_control      text,
  add column max_control      text,
  add column manifest         jsonb,
  add column worker           text,
  add column claimed_at       timestamptz;

insert into _tide.settings (name, value) values
  ('archive_max_attempts', '5'),
  ('archive_pending_warning', '1 day')
on conflict (name) do nothing;

-- Down Migration
delete from _tide.settings where name in ('archive_max_attempts', 'archive_pending_warning');
alter table _tide.archives
  drop column if exists partition_schema,
  drop column if exists partition_table,
  drop column if exists parent_schema,
  drop column if exists parent_table,
  drop column if exists control,
  drop column if exists min_control,
  drop column if exists max_control,
  drop column if exists manifest,
  drop column if exists worker,
  drop column if exists claimed_at;
