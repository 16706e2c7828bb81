-- The walk behind _tide.missing_slots, over a listing the caller already holds (maintenance lists a
-- table's partitions once per run and derives everything from that one listing). Partitions are sorted
-- and never overlap; one may span several cells (legacy ones); one that starts or ends off the grid is TD002.
-- An integer cell that would end past the key type's largest value is the last, and ends at MAXVALUE (NULL).

create or replace function _tide.missing_slots_among(mt _tide.managed_tables, from_pos bigint, through_pos bigint,
                                                     lo bigint[], hi bigint[], parts regclass[])
returns table (lower_pos bigint, upper_pos bigint)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  n      integer := coalesce(cardinality(lo), 0);
  j      integer := 1;
  pos    bigint := from_pos;
  nxt    bigint;
  -- where the last integer cell that fits in the key type starts at the latest
  last_lo bigint := case when mt.every_int is not null then _tide.key_type_max(mt.control_type) - mt.every_int end;
begin
  -- a contiguous run of partitions holding pos (the usual listing: each partition starts where the
  -- one before ends) is passed in one step, to its last partition: the walk would step through each
  -- of them with nothing to return and nothing to check (an end is checked only where no partition follows)
  if n > 1 and lo[1] <= pos and pos < hi[n] and lo[2:n] = hi[1:n - 1] then
    j := n;
    pos := greatest(pos, lo[n]);
  end if;
  while pos < through_pos loop
    -- skip the partitions wholly below pos
    while j <= n and hi[j] is not null and hi[j] <= pos loop
      j := j + 1;
    end loop;
    if j <= n and (lo[j] is null or lo[j] <= pos) then
      if hi[j] is null then
        return;  -- covered to MAXVALUE
      end if;
      -- an end where the next partition starts needs no grid check (nothing is created there)
      if not (j < n and lo[j + 1] = hi[j]) and not _tide.is_grid_point(mt, hi[j]) then
        raise exception using errcode = 'TD002',
          message = format('partition %s of %s ends off the partition grid', parts[j], mt.parent),
          detail = format('It ends at %s, which is not an edge of the %s grid.', _tide.position_bound(mt, hi[j]), mt.every),
          hint = 'Split or re-create that partition on the grid before pgtide can continue after it.';
      end if;
      pos := hi[j];
      continue;
    end if;
    -- an integer cell reaching past the key type's largest value ends at MAXVALUE (NULL), the last
    if pos > last_lo then
      nxt := null;
    else
      nxt := _tide.grid_next(mt, pos);
    end if;
    if j <= n and lo[j] > pos and (nxt is null or lo[j] < nxt) then
      raise exception using errcode = 'TD002',
        message = format('partition %s of %s starts off the partition grid', parts[j], mt.parent),
        detail = format('It starts at %s, inside the cell [%s, %s).', _tide.position_bound(mt, lo[j]),
                        _tide.position_bound(mt, pos), _tide.position_bound(mt, nxt)),
        hint = 'Re-create that partition on the grid, or choose an interval that matches the existing partitions.';
    end if;
    lower_pos := pos; upper_pos := nxt;
    return next;
    exit when nxt is null;
    pos := nxt;
  end loop;
end
$fn$;

comment on function _tide.missing_slots_among(_tide.managed_tables, bigint, bigint, bigint[], bigint[], regclass[]) is
  'Every uncovered grid cell in [from, through) given a table''s non-default partitions as parallel arrays (lower, upper, partition) in key order; raises TD002 when a partition lies off the grid. An integer cell reaching past the key type''s range has upper NULL (MAXVALUE).';
