-- Rule 1, first half: a standalone table with the parent's shape (columns, defaults, CHECKs,
-- generated columns, storage, comments, statistics, indexes), owner, grants and storage parameters.
-- Takes ACCESS SHARE on the parent (LIKE) only; the caller has set lock_timeout.

create or replace function _tide.create_partition_table(mt _tide.managed_tables, partition_name name)
returns regclass
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
begin
  return _tide.create_bounded_table(mt, partition_name, null);
end
$fn$;

comment on function _tide.create_partition_table(_tide.managed_tables, name) is
  'Creates a standalone table shaped like a managed parent (indexes, owner, grants, storage parameters), ready to attach. Raises 42P07/TD003 when the name is taken.';
