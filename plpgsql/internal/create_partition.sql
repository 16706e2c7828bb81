-- Rule 1: create one partition without ACCESS EXCLUSIVE on the parent — standalone table, CHECK
-- matching its bounds, ATTACH (SHARE UPDATE EXCLUSIVE), drop the CHECK — moving any rows of its
-- range out of the default partition in the same step. The caller has set lock_timeout. Lock
-- order: parent (SHARE UPDATE EXCLUSIVE), then the default (ACCESS EXCLUSIVE); nothing waits after.

create or replace function _tide.create_partition(mt _tide.managed_tables, lower_pos bigint, upper_pos bigint, run_id bigint default null)
returns table (partition regclass, lower_bound text, upper_bound text, rows_moved bigint)
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  started  timestamptz := clock_timestamp();
  nm       name := _tide.partition_name(mt, lower_pos);
  lo       text := _tide.position_bound(mt, lower_pos);
  hi       text := _tide.position_bound(mt, upper_pos);
  typ      text := mt.control_type::text;
  created  regclass;
  dflt     regclass;
  cols     text;
  has_rows boolean := false;
  dflt_used boolean := false;
  moved    bigint := 0;
begin
  -- the parent first (SHARE UPDATE EXCLUSIVE: application reads and writes go on), so no later
  -- statement waits for it while this transaction already holds the default partition
  perform _tide.execute_with_retry(format('lock table only %s in share update exclusive mode', mt.parent), mt.lock_retries);
  created := _tide.create_partition_table(mt, nm);

  execute format('alter table %s add constraint tide_partition_bounds check (%I is not null and %I >= %L::%s and %I < %L::%s)',
                 created, mt.control, mt.control, lo, typ, mt.control, hi, typ);

  select nullif(pt.partdefid, 0)::regclass into dflt from pg_partitioned_table pt where pt.partrelid = mt.parent;
  if dflt is not null then
    -- ATTACH needs ACCESS EXCLUSIVE on the default anyway; taken first, no row can reach the
    -- default between the look and the ATTACH (or the move)
    perform _tide.execute_with_retry(format('lock table only %s in access exclusive mode', dflt), mt.lock_retries);
    execute format('select exists (select from only %s)', dflt) into dflt_used;
  end if;
  if dflt_used then
    -- the default holds rows: exclude the new range with a CHECK (the lock is already held), move
    -- the rows of that range, validate, so that ATTACH skips its own scan of the default. An empty
    -- default needs none of this: ATTACH's scan of it reads nothing.
    execute format(
      'alter table %s add constraint tide_attach_exclusion check (not (%I >= %L::%s and %I < %L::%s)) not valid',
      dflt, mt.control, lo, typ, mt.control, hi, typ);
    execute format('select exists (select from only %s where %I >= %L::%s and %I < %L::%s)',
                   dflt, mt.control, lo, typ, mt.control, hi, typ) into has_rows;
    if has_rows then
      select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into cols
        from pg_attribute a
       where a.attrelid = mt.parent and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
      execute format('with moved as (delete from only %s where %I >= %L::%s and %I < %L::%s returning *) '
                     'insert into %s (%s) select %s from moved',
                     dflt, mt.control, lo, typ, mt.control, hi, typ, created, cols, cols);
      get diagnostics moved = row_count;
    end if;
    -- validated, the CHECK spares ATTACH its own scan of the default
    execute format('alter table %s validate constraint tide_attach_exclusion', dflt);
  end if;

  perform _tide.execute_with_retry(format('alter table %s attach partition %s for values from (%L) to (%L)',
                                          mt.parent, created, lo, hi), mt.lock_retries);
  perform _tide.execute_with_retry(format('alter table %s drop constraint tide_partition_bounds', created), mt.lock_retries);
  if dflt_used then
    execute format('alter table %s drop constraint tide_attach_exclusion', dflt);  -- lock held since the CHECK was added
  end if;

  perform _tide.log_action(run_id, mt.parent, 'create', created::text, 'ok', moved, started,
                           message => case when moved > 0 then format('%s rows moved from the default partition %s', moved, dflt) end);
  return query select created, lo, hi, moved;
end
$fn$;

comment on function _tide.create_partition(_tide.managed_tables, bigint, bigint, bigint) is
  'Creates and attaches one partition [lower, upper) per Rule 1, moving rows of its range out of the default partition; logs it.';
