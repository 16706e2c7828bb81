-- Rule 1: create one partition without ACCESS EXCLUSIVE on the parent — standalone table with a
-- CHECK matching its bounds, ATTACH (SHARE UPDATE EXCLUSIVE), drop the CHECK — moving any rows of
-- its range out of the default partition in the same step. Logs nothing: _tide.create_partition
-- logs each partition, maintenance logs a table's partitions with its own row in one INSERT. The
-- caller has set lock_timeout. Lock order: parent (SHARE UPDATE EXCLUSIVE), then the default
-- (ACCESS EXCLUSIVE); nothing waits after. One record, not a set: callers assign it as an expression.

create or replace function _tide.add_partition(mt _tide.managed_tables, lower_pos bigint, upper_pos bigint,
  out partition regclass, out lower_bound text, out upper_bound text, out rows_moved bigint, out message text)
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  nm       name := _tide.partition_name(mt, lower_pos);
  lo       text := _tide.position_bound(mt, lower_pos);
  hi       text := _tide.position_bound(mt, upper_pos);
  typ      text := mt.control_type::text;
  attach   text;
  created  regclass;
  dflt     regclass;
  cols     text;
  range_sql text;
  has_rows boolean := false;
  moved    bigint := 0;
begin
  -- the range as a condition; an upper bound NULL is MAXVALUE (the last cell of an integer key type's range)
  range_sql := format('%I >= %L::%s', mt.control, lo, typ)
               || case when hi is not null then format(' and %I < %L::%s', mt.control, hi, typ) else '' end;
  -- the standalone table with its bounds CHECK, in one statement (ACCESS SHARE on the parent)
  created := _tide.create_bounded_table(mt, nm, format('%I is not null and ', mt.control) || range_sql);
  attach := format('alter table %s attach partition %s for values from (%L) to (%s)', mt.parent, created, lo, coalesce(quote_literal(hi), 'maxvalue'));
  begin
    -- ATTACH locks the parent (SHARE UPDATE EXCLUSIVE: application reads and writes go on) before
    -- the default partition (ACCESS EXCLUSIVE), so it never waits for the parent while holding the
    -- default. The CHECK spares it the scan of the new table; it scans the default for rows of the
    -- new range, which for an empty default reads nothing.
    perform _tide.execute_with_retry(attach, mt.lock_retries);
  exception when check_violation then
    -- the default holds rows of the new range (the failed ATTACH released its locks): move them
    select nullif(pt.partdefid, 0)::regclass into dflt from pg_partitioned_table pt where pt.partrelid = mt.parent;
    if dflt is null then
      raise;
    end if;
    -- lock order: the parent first, so no later statement waits for it while the default is held
    perform _tide.execute_with_retry(format('lock table only %s in share update exclusive mode', mt.parent), mt.lock_retries);
    -- the NOT VALID exclusion CHECK takes the default ACCESS EXCLUSIVE (ATTACH needs that anyway):
    -- no row of the new range can reach it between the move and the ATTACH
    perform _tide.execute_with_retry(format(
      'alter table %s add constraint tide_attach_exclusion check (not (%s)) not valid', dflt, range_sql), mt.lock_retries);
    execute format('select exists (select from only %s where %s)', dflt, range_sql) into has_rows;
    if has_rows then
      select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into cols
        from pg_attribute a
       where a.attrelid = mt.parent and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
      execute format('with moved as (delete from only %s where %s returning *) '
                     'insert into %s (%s) select %s from moved',
                     dflt, range_sql, created, cols, cols);
      get diagnostics moved = row_count;
    end if;
    -- validated, the CHECK spares ATTACH its own scan of the default
    execute format('alter table %s validate constraint tide_attach_exclusion', dflt);
    execute attach;  -- every lock it needs is held by now
    execute format('alter table %s drop constraint tide_attach_exclusion', dflt);
  end;
  -- the new partition is held ACCESS EXCLUSIVE since ATTACH: nothing waits here
  execute format('alter table %s drop constraint tide_partition_bounds', created);

  partition := created; lower_bound := lo; upper_bound := hi; rows_moved := moved;
  message := case when moved > 0 then format('%s rows moved from the default partition %s', moved, dflt) end;
end
$fn$;

comment on function _tide.add_partition(_tide.managed_tables, bigint, bigint) is
  'Creates and attaches one partition [lower, upper) (upper NULL: MAXVALUE) per Rule 1, moving rows of its range out of the default partition; returns it, its bounds as text, the rows moved and a message for the log; logs nothing.';
