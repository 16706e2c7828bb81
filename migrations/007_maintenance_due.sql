-- Up Migration
-- When each managed table next needs maintenance, and a signature of what that was computed
-- from (its partitions and settings), so a run with nothing due skips the table in one query.

alter table _tide.managed_tables
  add column next_due_at timestamptz,
  add column due_signature text;
comment on column _tide.managed_tables.next_due_at is
  'Earliest as_of at which maintenance has work for this table; NULL = always look';
comment on column _tide.managed_tables.due_signature is
  'Signature of the partitions and settings next_due_at was computed from; a change makes the table due';

-- Down Migration
alter table _tide.managed_tables drop column if exists next_due_at, drop column if exists due_signature;
