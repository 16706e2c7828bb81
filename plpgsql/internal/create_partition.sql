-- Rule 1: create one partition without ACCESS EXCLUSIVE on the parent — standalone table, CHECK
-- matching its bounds, ATTACH (SHARE UPDATE EXCLUSIVE), drop the CHECK — moving any rows of its
-- range out of the default partition in the same step. The caller has set lock_timeout.

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
  moved    bigint := 0;
begin
  created := _tide.create_partition_table(mt, nm);

  execute format('alter table %s add constraint tide_partition_bounds check (%I is not null and %I >= %L::%s and %I < %L::%s)',
                 created, mt.control, mt.control, lo, typ, mt.control, hi, typ);

  select p.partition into dflt from _tide.list_partitions(mt) p where p.is_default;
  if dflt is not null then
    execute format('select exists (select from only %s where %I >= %L::%s and %I < %L::%s)',
                   dflt, mt.control, lo, typ, mt.control, hi, typ) into has_rows;
    if has_rows then
      -- keep writers from adding rows of this range to the default while they move
      perform _tide.execute_with_retry(format('lock table only %s in exclusive mode', dflt), mt.lock_retries);
      select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into cols
        from pg_attribute a
       where a.attrelid = mt.parent and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
      execute format('with moved as (delete from only %s where %I >= %L::%s and %I < %L::%s returning *) '
                     'insert into %s (%s) select %s from moved',
                     dflt, mt.control, lo, typ, mt.control, hi, typ, created, cols, cols);
      get diagnostics moved = row_count;
    end if;
    -- a validated CHECK on the default excluding the new range spares ATTACH its scan of the
    -- default under ACCESS EXCLUSIVE; VALIDATE scans under SHARE UPDATE EXCLUSIVE only
    perform _tide.execute_with_retry(format(
      'alter table %s add constraint tide_attach_exclusion check (not (%I >= %L::%s and %I < %L::%s)) not valid',
      dflt, mt.control, lo, typ, mt.control, hi, typ), mt.lock_retries);
    perform _tide.execute_with_retry(format('alter table %s validate constraint tide_attach_exclusion', dflt), mt.lock_retries);
  end if;

  perform _tide.execute_with_retry(format('alter table %s attach partition %s for values from (%L) to (%L)',
                                          mt.parent, created, lo, hi), mt.lock_retries);
  perform _tide.execute_with_retry(format('alter table %s drop constraint tide_partition_bounds', created), mt.lock_retries);
  if dflt is not null then
    perform _tide.execute_with_retry(format('alter table %s drop constraint tide_attach_exclusion', dflt), mt.lock_retries);
  end if;

  perform _tide.log_action(run_id, mt.parent, 'create', created::text, 'ok', moved, started,
                           message => case when moved > 0 then format('%s rows moved from the default partition %s', moved, dflt) end);
  return query select created, lo, hi, moved;
end
$fn$;

comment on function _tide.create_partition(_tide.managed_tables, bigint, bigint, bigint) is
  'Creates and attaches one partition [lower, upper) per Rule 1, moving rows of its range out of the default partition; logs it.';
