-- The name retention gives an expired partition it detaches: <name>_detached. When that is longer
-- than 63 bytes the parent part of the name is shortened (by whole characters, as partition_name
-- does), never the partition's own suffix, so two expired ranges never end up with one name.

create or replace function _tide.detached_name(mt _tide.managed_tables, rel name)
returns name
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  r    text := rel::text;
  p    text := mt.parent_name::text;
  n    integer := 0;
  head text;
  tail text;
begin
  -- the parent part: the longest beginning of the name that the parent's name also begins with and
  -- that a '_' follows (audit_log_2025_08: audit_log; t_legacy: t; a shortened head as it stands)
  for i in 1 .. least(length(r) - 1, length(p)) loop
    exit when substr(r, i, 1) <> substr(p, i, 1);
    if substr(r, i + 1, 1) = '_' then
      n := i;
    end if;
  end loop;
  head := left(r, n);
  tail := substr(r, n + 1) || '_detached';
  while octet_length(head || tail) > 63 and head <> '' loop
    head := left(head, length(head) - 1);
  end loop;
  -- a name without a parent part (one given by hand) loses characters at its start instead: its
  -- end is what tells its ranges apart
  while octet_length(head || tail) > 63 loop
    tail := substr(tail, 2);
  end loop;
  return (head || tail)::name;
end
$fn$;

comment on function _tide.detached_name(_tide.managed_tables, name) is
  'Name of an expired partition REL once retention detaches it: REL_detached, shortened to 63 bytes in its parent part (the beginning it shares with the parent''s name), never in its own suffix. Takes no locks.';
