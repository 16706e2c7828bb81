-- Append-only enforcement: a writer role that may only INSERT, a reader role that may only SELECT,
-- and a trigger that refuses UPDATE, DELETE and TRUNCATE to every role but the table's owner.

-- Roles are cluster-wide: create them only when missing (another database may have made them already).
do $roles$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'audit_writer') then
    begin
      create role audit_writer nologin;
      comment on role audit_writer is 'May INSERT into audit_log, nothing else: grant it to the applications that record events';
    exception when duplicate_object or unique_violation then
      null;  -- a concurrent session in another database created it first: that is the role we want
    end;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'audit_reader') then
    begin
      create role audit_reader nologin;
      comment on role audit_reader is 'May SELECT from audit_log, nothing else: grant it to auditors and reporting';
    exception when duplicate_object or unique_violation then
      null;  -- as above
    end;
  end if;
end
$roles$;

-- Privileges on the parent; pgtide copies them to every partition it creates.
revoke all on audit_log from public;
revoke all on audit_log from audit_writer, audit_reader;
grant insert on audit_log to audit_writer;
grant select on audit_log to audit_reader;
do $usage$
begin
  execute format('grant usage on schema %I to audit_writer, audit_reader',
                 (select n.nspname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                   where c.oid = 'audit_log'::regclass));
end
$usage$;

-- The guard. It runs as the caller (no SECURITY DEFINER), so current_user is who tried.
create or replace function audit_log_refuse_change()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  owner_oid oid;
begin
  select c.relowner into owner_oid from pg_catalog.pg_class c where c.oid = tg_relid;
  if owner_oid = (select r.oid from pg_catalog.pg_roles r where r.rolname = current_user) then
    return case tg_op when 'DELETE' then old else new end;  -- the owner may correct or purge
  end if;
  raise exception using
    errcode = 'insufficient_privilege',
    message = format('%s on %I.%I refused: the audit log is append-only', tg_op, tg_table_schema, tg_table_name),
    detail  = format('Role %I may only add events; changing or removing recorded events is reserved to the owner %I.',
                     current_user, owner_oid::regrole::text),
    hint    = 'Record a new, correcting event instead. Old months leave through retention (tide.config.keep), never through DELETE.';
end
$fn$;
comment on function audit_log_refuse_change() is
  'Trigger: refuses UPDATE, DELETE and TRUNCATE on audit_log and its partitions to every role but the table owner (SQLSTATE 42501)';

-- Row triggers on a partitioned table are cloned to every partition, present and future, so a
-- direct UPDATE of audit_log_2025_08 is refused as well. TRUNCATE has no row trigger: a statement
-- trigger on the parent covers TRUNCATE audit_log (a partition's TRUNCATE needs its owner anyway).
create or replace trigger audit_log_append_only
  before update or delete on audit_log
  for each row execute function audit_log_refuse_change();
create or replace trigger audit_log_no_truncate
  before truncate on audit_log
  for each statement execute function audit_log_refuse_change();
