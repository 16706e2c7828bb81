-- The settings of every managed table; a DBA changes them with UPDATE, validated by the trigger
-- on _tide.managed_tables.

create or replace view tide.config as
select m.parent, m.control, m.control_type, m.every, m.premake, m.keep, m.on_expire, m.time_zone,
       m.default_partition, m.enabled, m.lock_timeout, m.lock_retries, m.detach_schema, m.archive_target,
       m.created_at, m.updated_at
  from _tide.managed_tables m;

comment on view tide.config is
  'One row per managed table. UPDATE premake, keep, on_expire, enabled, default_partition, lock_timeout, lock_retries, detach_schema, archive_target (where pgtide archive writes this table''s archives: file:///dir or s3://bucket/prefix; NULL: its --target); every change is validated. Takes no lock on the managed table.';
