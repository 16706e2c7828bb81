-- The name retention gives an expired partition it detaches: <name>_detached. When that is longer
-- than 63 bytes the parent part of the name is shortened (by whole characters, as partition_name
-- does), never the partition's own suffix, so two expired ranges never end up with one name.

create or replace function _tide.detached_name(mt _tide.managed_tables, rel name, lower_pos bigint)
returns name
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  r    text := rel::text;
  p    text := mt.parent_name::text;
  n    integer;
  bare _tide.managed_tables := mt;
  sfx  text;
  head text;
  tail text;
begin
  -- the name pgtide gives the range starting at LOWER_POS: its suffix is known exactly ('_' || suffix
  -- is that name for a parent named '')
  if lower_pos is not null then
    bare.parent_name := '';
    sfx := _tide.partition_name(bare, lower_pos)::text;
    if length(r) > length(sfx) and right(r, length(sfx)) = sfx
       and left(p, length(r) - length(sfx)) = left(r, length(r) - length(sfx)) then
      n := length(r) - length(sfx);
    end if;
  end if;
  -- any other name (a legacy partition, one adopted): the parent part is the longest beginning of
  -- the name that the parent's name also begins with and that a '_' follows (t_legacy: t)
  if n is null then
    n := 0;
    for i in 1 .. least(length(r) - 1, length(p)) loop
      exit when substr(r, i, 1) <> substr(p, i, 1);
      if substr(r, i + 1, 1) = '_' then
        n := i;
      end if;
    end loop;
  end if;
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

comment on function _tide.detached_name(_tide.managed_tables, name, bigint) is
  'Name of an expired partition REL (its range starting at LOWER_POS, NULL for MINVALUE) once retention detaches it: REL_detached, shortened to 63 bytes in its parent part, never in its own suffix (the grid suffix of LOWER_POS when REL is pgtide''s name for that range, else what follows the longest beginning REL shares with the parent''s name). Takes no locks.';
