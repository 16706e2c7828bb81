-- The first grid cell at or after a grid point, and before a limit, that no partition covers.
-- Partitions may span several cells (legacy ones); one that starts or ends off the grid is TD002.

create or replace function _tide.next_missing_slot(mt _tide.managed_tables, from_pos bigint, through_pos bigint)
returns table (lower_pos bigint, upper_pos bigint)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  parts  record;
  lo     bigint[] := array[]::bigint[];
  hi     bigint[] := array[]::bigint[];
  nm     text[] := array[]::text[];
  pos    bigint := from_pos;
  nxt    bigint;
  i      integer;
  moved  boolean;
begin
  for parts in select p.partition, p.lower_pos, p.upper_pos from _tide.list_partitions(mt) p where not p.is_default loop
    lo := lo || parts.lower_pos; hi := hi || parts.upper_pos; nm := nm || parts.partition::text;
  end loop;
  while pos < through_pos loop
    moved := false;
    for i in 1 .. coalesce(array_length(lo, 1), 0) loop
      if (lo[i] is null or lo[i] <= pos) and (hi[i] is null or hi[i] > pos) then
        if hi[i] is null then
          return;  -- covered to MAXVALUE
        end if;
        if not _tide.is_grid_point(mt, hi[i]) then
          raise exception using errcode = 'TD002',
            message = format('partition %s of %s ends off the partition grid', nm[i], mt.parent),
            detail = format('It ends at %s, which is not an edge of the %s grid.', _tide.position_bound(mt, hi[i]), mt.every),
            hint = 'Split or re-create that partition on the grid before pgtide can continue after it.';
        end if;
        pos := hi[i];
        moved := true;
        exit;
      end if;
    end loop;
    continue when moved;
    nxt := _tide.grid_next(mt, pos);
    for i in 1 .. coalesce(array_length(lo, 1), 0) loop
      if lo[i] > pos and lo[i] < nxt then
        raise exception using errcode = 'TD002',
          message = format('partition %s of %s starts off the partition grid', nm[i], mt.parent),
          detail = format('It starts at %s, inside the cell [%s, %s).', _tide.position_bound(mt, lo[i]),
                          _tide.position_bound(mt, pos), _tide.position_bound(mt, nxt)),
          hint = 'Re-create that partition on the grid, or choose an interval that matches the existing partitions.';
      end if;
    end loop;
    return query select pos, nxt;
    return;
  end loop;
end
$fn$;

comment on function _tide.next_missing_slot(_tide.managed_tables, bigint, bigint) is
  'First uncovered grid cell in [from, through) of a managed table; raises TD002 when a partition lies off the grid.';
