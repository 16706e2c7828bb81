-- Rows in a default partition for tide.tables and tide.health: exact up to a cap (a bounded read that
-- stops at cap + 1 rows), cap + 1 above it (more than cap), and NULL rather than a wait when DDL holds the partition.

create or replace function _tide.obs_default_rows(default_partition regclass, cap bigint default 10000)
returns bigint
language plpgsql stable
security definer
set search_path = pg_catalog, pg_temp
set lock_timeout = '200ms'
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
  execute format('select count(*) from (select from only %s limit $1) s', default_partition::text)
     into n using cap + 1;
  return n;  -- cap + 1: more than cap rows
exception when lock_not_available then
  return null;  -- the caller falls back to the estimate
end
$fn$;

comment on function _tide.obs_default_rows(regclass, bigint) is
  'Exact row count of a default partition when at most CAP rows (reads at most CAP + 1), else CAP + 1 (more than CAP); NULL when the partition is locked by DDL for more than 200 ms. Takes ACCESS SHARE on the partition. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only; refuses (42501) anything but a managed table''s default partition.';
