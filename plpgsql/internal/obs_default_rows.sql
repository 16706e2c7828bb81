-- Rows in a default partition for tide.tables and tide.health: exact up to a cap (a bounded read that
-- stops at cap + 1 rows), cap + 1 above it (more than cap), and NULL rather than a wait when another
-- session holds or awaits a conflicting lock on the partition (DDL); the lock is not kept.

create or replace function _tide.obs_default_rows(default_partition regclass, cap bigint default 10000)
returns bigint
language plpgsql volatile
security definer
set search_path = pg_catalog, pg_temp
as $fn$
declare
  n bigint;
begin
  -- SECURITY DEFINER: it counts only what the views ask for, the default partition of a managed
  -- table, never an arbitrary table the caller may not read
  if not exists (select from _tide.managed_tables m join pg_partitioned_table pt on pt.partrelid = m.parent
                  where pt.partdefid = obs_default_rows.default_partition) then
    raise exception using errcode = '42501',
      message = format('%s is not the default partition of a table pgtide manages', default_partition),
      detail = '_tide.obs_default_rows counts rows of managed tables'' default partitions only.',
      hint = 'Read tide.tables or tide.health for the rows in a default partition.';
  end if;
  begin
    -- NOWAIT: a monitor never queues behind DDL, nor makes what comes after the DDL queue behind it;
    -- the partition's indexes, which planning the count locks too (REINDEX holds them, not the
    -- table), are waited for 50 ms at most (the block's rollback resets lock_timeout)
    perform set_config('lock_timeout', '50ms', true);
    execute format('lock table only %s in access share mode nowait', default_partition);
    execute format('select count(*) from (select from only %s limit $1) s', default_partition::text)
       into n using cap + 1;
    -- roll the block back so that the lock is released now, not at the end of the caller's transaction
    raise exception using errcode = 'TD900', message = format('count of %s done; releasing its lock', default_partition);
  exception
    when sqlstate 'TD900' then
      return n;  -- cap + 1: more than cap rows
    when lock_not_available then
      return null;  -- the caller falls back to the estimate
  end;
end
$fn$;

comment on function _tide.obs_default_rows(regclass, bigint) is
  'Exact row count of a default partition when at most CAP rows (reads at most CAP + 1), else CAP + 1 (more than CAP); NULL, without waiting, when another session holds or awaits a conflicting lock on the partition. Takes ACCESS SHARE NOWAIT on the partition (its indexes waited for 50 ms at most) and releases it before returning. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only; refuses (42501) anything but a managed table''s default partition.';
