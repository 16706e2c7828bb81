-- The final step of tide.unconvert's copy path, with every writer held off by ACCESS EXCLUSIVE on
-- the partitioned table and its partitions: copy what no cursor covered, replay the last recorded
-- changes, and swap. The caller keeps the log short before it comes here, so the lock is brief.

create or replace function _tide.unconvert_finish_locked(parent regclass)
returns jsonb
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $fn$
declare
  u        _tide.unconverts;
  r        record;
  copied   bigint := 0;
  replayed bigint;
  cp       record;
  idx_map  jsonb;
begin
  perform _tide.unconvert_preflight(parent, 1);  -- the catalog may have changed: refuse again under the lock
  select * into u from _tide.unconverts x where x.parent = unconvert_finish_locked.parent;
  if not found then
    raise exception using errcode = '55000',
      message = format('no tide.unconvert of table %s is in progress', parent),
      detail = 'There is nothing to finish: no unconvert of the table has started, or it has finished or been undone.',
      hint = format('CALL tide.unconvert(%L).', parent::text);
  end if;
  -- partitions whose copy did not finish, or that appeared since the start
  for r in select i.inhrelid::regclass as part, p.last_key from pg_inherits i
             left join _tide.unconvert_progress p on p.parent = unconvert_finish_locked.parent and p.partition = i.inhrelid::regclass
            where i.inhparent = unconvert_finish_locked.parent and p.done is not true loop
    select * into cp from _tide.unconvert_copy(u.target, r.part, u.key_columns, r.last_key, null);
    copied := copied + cp.rows;
  end loop;
  replayed := _tide.unconvert_replay(parent, u.target, u.key_columns, null);

  -- pair the plain table's indexes with the parent's by definition, to give them its names
  with sig as (
    select i.indrelid, i.indexrelid, c.relname,
           concat_ws('|', am.amname, i.indisunique, i.indisprimary, i.indnkeyatts, i.indclass::text, i.indoption::text,
                     i.indcollation::text, pg_get_expr(i.indpred, i.indrelid),
                     (select string_agg(pg_get_indexdef(i.indexrelid, k, true), ',' order by k) from generate_series(1, i.indnatts) k)) as s
      from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
     where i.indrelid in (parent, u.target)),
  numbered as (select *, row_number() over (partition by indrelid, s order by relname) as rn from sig)
  select jsonb_object_agg(t.indexrelid::text, p.relname) into idx_map
    from numbered t join numbered p on p.indrelid = parent and p.s = t.s and p.rn = t.rn
   where t.indrelid = u.target;

  return _tide.unconvert_swap_locked(parent, u.target, idx_map)
         || jsonb_build_object('rows_copied_locked', copied, 'changes_replayed_locked', replayed);
end
$fn$;

comment on function _tide.unconvert_finish_locked(regclass) is
  'Body of tide.unconvert''s final swap on the copy path; expects ACCESS EXCLUSIVE on PARENT and its partitions already held (call _tide.unconvert_finish). Copies partitions not yet copied, replays the remaining changes, swaps.';
