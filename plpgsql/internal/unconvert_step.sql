-- One committed step of tide.unconvert's copy path: copy one batch of the oldest partition not
-- yet copied, else replay one batch of recorded changes, else (the log is short) the final swap.
-- All state is in _tide.unconverts / _tide.unconvert_progress, so a killed step is just redone.

create or replace function _tide.unconvert_step(parent regclass, batch_rows integer)
returns table (action text, rows bigint, rows_left bigint, done boolean)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $fn$
declare
  mt       _tide.managed_tables := _tide.load_existing_managed_table(parent);
  u        _tide.unconverts;
  p        record;
  c        record;
  pending  bigint;
  n        bigint;
  res      jsonb;
begin
  if batch_rows is null or batch_rows < 1 then
    raise exception using errcode = '22023',
      message = format('batch_rows %s for table %s must be a positive number', coalesce(batch_rows::text, 'NULL'), parent),
      detail = 'batch_rows is about how many rows each transaction of tide.unconvert copies.',
      hint = 'Use e.g. 10000.';
  end if;
  select * into u from _tide.unconverts x where x.parent = unconvert_step.parent for update;
  if not found then
    raise exception using errcode = '55000',
      message = format('no tide.unconvert of table %s is in progress', parent),
      detail = 'There is nothing to continue: no unconvert of the table has started, or it has finished or been undone.',
      hint = format('CALL tide.unconvert(%L) starts one.', parent::text);
  end if;
  select count(*) into pending from _tide.unconvert_changes x where x.parent = unconvert_step.parent;

  -- 1. copy: oldest partition first, default last, one keyset batch
  select g.partition, g.last_key into p
    from _tide.unconvert_progress g
    left join _tide.list_partitions(mt) l on l.partition = g.partition
   where g.parent = unconvert_step.parent and not g.done
   order by l.is_default nulls last, l.lower_pos nulls last, g.partition::oid
   limit 1;
  if found then
    if not exists (select from pg_class where oid = p.partition::oid) then
      update _tide.unconvert_progress g set done = true where g.parent = unconvert_step.parent and g.partition = p.partition;
      return query select format('partition %s is gone; skipped', p.partition::oid), 0::bigint,
                          greatest(u.rows_total - u.rows_copied, 0) + pending, false;
      return;
    end if;
    select * into c from _tide.unconvert_copy(u.target, p.partition, u.key_columns, p.last_key, batch_rows);
    update _tide.unconvert_progress g set last_key = c.next_key, rows_copied = g.rows_copied + c.rows, done = c.rows < batch_rows
     where g.parent = unconvert_step.parent and g.partition = p.partition;
    update _tide.unconverts x set rows_copied = x.rows_copied + c.rows where x.parent = unconvert_step.parent;
    return query select format('copied %s rows of %s', c.rows, p.partition), c.rows,
                        greatest(u.rows_total - u.rows_copied - c.rows, 0) + pending, false;
    return;
  end if;

  -- 2. replay what was written meanwhile, until little is left for the locked step
  if pending > least(batch_rows, 1000) then
    n := _tide.unconvert_replay(parent, u.target, u.key_columns, batch_rows);
    return query select format('replayed %s changes written meanwhile', n), n, pending - n, false;
    return;
  end if;

  -- 3. the swap, writers held off for the replay of at most 1000 changes and the catalog work
  res := _tide.unconvert_locked(parent, 'finish');
  return query select format('%s is a plain table again: %s changes replayed and %s rows copied under the lock, held %s ms (attempt %s)',
                             res->>'table', res->>'changes_replayed_locked', res->>'rows_copied_locked', res->>'lock_ms', res->>'attempts'),
                      (res->>'changes_replayed_locked')::bigint + (res->>'rows_copied_locked')::bigint, 0::bigint, true;
end
$fn$;

comment on function _tide.unconvert_step(regclass, integer) is
  'One step of tide.unconvert''s copy path (a batch of BATCH_ROWS rows copied, or changes replayed, or the final swap); resumable from _tide.unconverts. Takes ACCESS SHARE on one partition per batch; ACCESS EXCLUSIVE on PARENT and its partitions for the final swap only (lock_timeout from tide.config, retried).';
