-- One committed step of tide.split_legacy. The state lives in the catalog (the legacy partition's
-- bounds, its tide_legacy_next CHECK, the standalone table of the slice being filled), so a step
-- killed at any point is simply taken up again by the next one: nothing is lost or copied twice.

create or replace function _tide.convert_split_step(parent regclass, batch_rows integer, as_of timestamptz default now())
returns table (action text, rows bigint, rows_left bigint, done boolean)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set intervalstyle = 'postgres'
as $fn$
declare
  mt       _tide.managed_tables := _tide.load_existing_managed_table(parent);
  lg       _tide.legacy;
  lo       text;
  hi       text;
  a        bigint;
  b        bigint;
  b_txt    text;
  sname    name;
  slice    regclass;
  made     regclass;
  expired  boolean;
  cols     text;
  n        bigint;
  nxt      record;
  lt       text := _tide.lock_timeout_setting(mt.lock_timeout);
  old_lt   text := current_setting('lock_timeout');
  next_found boolean;
  dup_con  text;
  dup_detail text;
  dup_where text;
  doing    text := 'take its locks';
begin
  select * into lg from _tide.legacy l where l.parent = convert_split_step.parent for update;
  if not found or lg.state in ('split', 'retired') then
    raise exception using errcode = '55000',
      message = format('table %s has no legacy partition to split', parent),
      detail = case when not found then 'It was not converted by tide.convert.'
                    when lg.state = 'split' then 'Its legacy partition was split already.'
                    when lg.legacy is null then format('Retention dropped its legacy partition %s%s: all of its range was older than keep.',
                                                       lg.legacy_name, ' at ' || lg.retired_at)
                    else format('Retention detached its legacy partition%s: all of its range was older than keep. %s',
                                ' at ' || lg.retired_at,
                                case when exists (select from pg_class c where c.oid = lg.legacy::oid)
                                     then format('It is now the table %s.', lg.legacy)
                                     else 'That table has been dropped since (archived, or dropped by hand).' end) end,
      hint = 'Nothing to do.';
  end if;
  if batch_rows is null or batch_rows < 1 then
    raise exception using errcode = '22023',
      message = format('batch_rows %s for table %s must be a positive number', coalesce(batch_rows::text, 'NULL'), parent),
      detail = 'batch_rows is about how many rows of the legacy partition each transaction moves.',
      hint = 'Use e.g. 10000.';
  end if;
  -- an unconvert's copy would miss the moved rows (checked again once a batch holds its lock)
  perform _tide.refuse_unconverting(parent, 'tide.split_legacy', 'legacy partition');
  -- rows move by DELETE from the legacy partition: ON DELETE actions would fire on referencing rows,
  -- and the legacy partition cannot be detached while rows reference it
  select string_agg(format('%I on table %s', c.conname, c.conrelid::regclass), ', ' order by c.conrelid::regclass::text, c.conname)
    into cols
    from pg_constraint c
   where c.contype = 'f' and c.conparentid = 0 and c.confrelid in (parent, lg.legacy);
  if cols is not null then
    raise exception using errcode = '55000',
      message = format('table %s is referenced by a foreign key; tide.split_legacy cannot move its rows', parent),
      detail = format('Referencing: %s. Moving a row deletes it from the legacy partition %s, which would fire the foreign key''s ON DELETE action (or fail it), and the legacy partition cannot be detached while rows reference it.', cols, lg.legacy),
      hint = case when lg.state = 'splitting'
                  -- half-way, the legacy partition cannot simply be left: the interval being moved is
                  -- hidden in its slice table and refuses writes until the split goes on
                  then 'Drop the foreign key, CALL tide.split_legacy to finish the split, then add the foreign key back with NOT VALID and VALIDATE CONSTRAINT.'
                  else 'Drop the foreign key, CALL tide.split_legacy, then add it back with NOT VALID and VALIDATE CONSTRAINT; or leave the legacy partition unsplit (it is a valid partition).' end;
  end if;
  -- nor may a user's DELETE trigger see every moved row as deleted
  select string_agg(format('%I', t.tgname), ', ' order by t.tgname) into cols
    from pg_trigger t
   where t.tgrelid = lg.legacy and not t.tgisinternal and t.tgenabled in ('O', 'A')
     and (t.tgtype & 1) = 1 and (t.tgtype & 8) = 8;  -- row-level, on DELETE
  if cols is not null then
    raise exception using errcode = '55000',
      message = format('table %s has a row-level DELETE trigger; tide.split_legacy cannot move its rows', parent),
      detail = format('Trigger(s): %s. Moving a row deletes it from the legacy partition %s, which would fire the trigger for every moved row.', cols, lg.legacy),
      hint = case when lg.state = 'splitting'
                  then format('Disable the trigger to finish the split (ALTER TABLE %s DISABLE TRIGGER …; CALL tide.split_legacy; ALTER TABLE %s ENABLE TRIGGER …): half-way, the interval being moved stays hidden and refuses writes until the split goes on.', parent, parent)
                  else format('Disable the trigger around the split (ALTER TABLE %s DISABLE TRIGGER …; CALL tide.split_legacy; ALTER TABLE %s ENABLE TRIGGER …) if it may miss deletes meanwhile, or leave the legacy partition unsplit.', parent, parent) end;
  end if;
  select pb.lower_bound, pb.upper_bound into lo, hi from _tide.partition_bounds(lg.legacy) pb;
  a := _tide.key_position(mt, lo);
  b := _tide.grid_next(mt, a);
  b_txt := _tide.position_bound(mt, b);

  -- Rule 2: from here every lock of the step is waited for under the table's lock_timeout, and
  -- retried until a lock that blocks writers is held (then tried once); when the retries run out
  -- the step changes nothing and says which lock it could not have (DOING)
  <<step>>
  begin
  perform set_config('lock_timeout', lt, true);
  if lg.state = 'attached' then
    doing := format('count the rows of %s', lg.legacy);
    perform _tide.execute_with_retry(format('lock table %s in access share mode', lg.legacy), mt.lock_retries);
    execute format('select count(*) from %s', lg.legacy) into n;
    update _tide.legacy l set state = 'splitting', split_started_at = clock_timestamp(), split_rows_total = n
     where l.parent = convert_split_step.parent;
    lg.split_rows_total := n;
  end if;

  -- the last interval: the legacy table IS its partition; rename it and stop
  if b >= _tide.key_position(mt, hi) then
    sname := _tide.partition_name(mt, a);
    doing := format('rename %s to %I (ACCESS EXCLUSIVE)', lg.legacy, sname);
    perform _tide.execute_with_retry(format('alter table %s rename to %I', lg.legacy, sname), mt.lock_retries);
    perform _tide.execute_with_retry(format('alter table %s drop constraint if exists tide_legacy_lower, '
      'drop constraint if exists tide_legacy_upper, drop constraint if exists tide_legacy_next', lg.legacy), mt.lock_retries);
    execute format('select count(*) from %s', lg.legacy) into n;
    update _tide.legacy l set state = 'split', split_finished_at = clock_timestamp(), legacy_name = sname
     where l.parent = convert_split_step.parent;
    return query select format('renamed legacy partition to %I (last interval)', sname), 0::bigint, 0::bigint, true;
    exit step;
  end if;

  -- the cutoff retention uses (maintain_table): keep back from as_of in the table's time zone,
  -- whatever the session's TimeZone (Rules 3 and 4)
  expired := mt.keep_interval is not null and b <= _tide.retention_cutoff(mt, as_of);
  -- integer keys: an interval is expired when it ends keep before the greatest key in the table
  if mt.keep_int is not null then
    doing := format('read the largest %I of %s', mt.control, parent);
    perform _tide.execute_with_retry(format('lock table %s in access share mode', parent), mt.lock_retries);
    execute format('select max(%I)::text from %s', mt.control, parent) into cols;
    expired := cols is not null and b <= cols::bigint - mt.keep_int;
  end if;
  expired := coalesce(expired, false) and mt.on_expire = 'drop';

  sname := _tide.partition_name(mt, a);
  slice := _tide.split_slice(mt, lg, a);
  if slice is not null and lg.slice is distinct from slice then
    made := slice;  -- found by name: recorded, so a rename of the parent does not lose it
    update _tide.legacy l set slice = made where l.parent = convert_split_step.parent;
  end if;

  -- phase 3: the CHECK proving the legacy table starts at b is valid: move the boundary
  select c.conname, c.convalidated into nxt from pg_constraint c where c.conrelid = lg.legacy and c.conname = 'tide_legacy_next';
  next_found := found;
  if next_found and nxt.convalidated then
    -- the slice must carry the parent's foreign keys, validated, before the lock: ATTACH then only
    -- links them, where it would otherwise create and validate them under ACCESS EXCLUSIVE on the
    -- parent. Normally done in the steps before; here for a foreign key added to the parent since
    if slice is not null then
      doing := format('add the foreign keys of %s to %s (SHARE ROW EXCLUSIVE on the referenced tables)', parent, slice);
      cols := _tide.split_slice_add_foreign_keys(mt, parent, slice, null);
      if cols is not null then
        return query select format('added foreign key(s) %s to %s NOT VALID', cols, slice),
                            0::bigint, greatest(lg.split_rows_total - lg.rows_moved - lg.rows_expired, 0), false;
        exit step;
      end if;
      doing := format('validate the foreign keys of %s (ROW SHARE on the referenced tables)', slice);
      cols := _tide.split_slice_validate_foreign_keys(mt, slice);
      if cols is not null then
        return query select format('validated foreign key(s) %s of %s', cols, slice),
                            0::bigint, greatest(lg.split_rows_total - lg.rows_moved - lg.rows_expired, 0), false;
        exit step;
      end if;
    end if;
    doing := format('move the boundary of %s (ACCESS EXCLUSIVE on %s)', lg.legacy, parent);
    perform _tide.execute_with_retry(format('lock table %s in access exclusive mode', parent), mt.lock_retries);
    -- from here each lock is tried once: the parent's lock blocks writers
    execute format('alter table %s detach partition %s', parent, lg.legacy);
    execute format('alter table %s drop constraint tide_legacy_lower', lg.legacy);
    execute format('alter table %s rename constraint tide_legacy_next to tide_legacy_lower', lg.legacy);
    execute format('alter table %s attach partition %s for values from (%L) to (%L)', parent, lg.legacy, b_txt, hi);
    if slice is not null then
      execute format('alter table %s attach partition %s for values from (%L) to (%L)', parent, slice, lo, b_txt);
      execute format('alter table %s drop constraint if exists tide_legacy_slice', slice);
      update _tide.legacy l set slice = null where l.parent = convert_split_step.parent;
    end if;
    return query select format('legacy partition now starts at %s%s', b_txt,
                               case when slice is not null then format('; attached %s', slice) else '' end),
                        0::bigint, greatest(lg.split_rows_total - lg.rows_moved - lg.rows_expired, 0), false;
    exit step;
  end if;
  -- phase 2: the interval is empty in the legacy table and its CHECKs are in place (the slice's
  -- added when it was found empty): validate them (reads under SHARE UPDATE EXCLUSIVE; writes
  -- continue; a foreign key's VALIDATE takes ROW SHARE on the referenced table)
  if next_found and slice is not null and exists (select from pg_constraint where conrelid = slice and conname = 'tide_legacy_slice') then
    doing := format('validate CHECK tide_legacy_next of %s (SHARE UPDATE EXCLUSIVE)', lg.legacy);
    perform _tide.execute_with_retry(format('alter table %s validate constraint tide_legacy_next', lg.legacy), mt.lock_retries);
    if not (select convalidated from pg_constraint where conrelid = slice and conname = 'tide_legacy_slice') then
      doing := format('validate CHECK tide_legacy_slice of %s (SHARE UPDATE EXCLUSIVE)', slice);
      perform _tide.execute_with_retry(format('alter table %s validate constraint tide_legacy_slice', slice), mt.lock_retries);
    end if;
    doing := format('validate the foreign keys of %s (ROW SHARE on the referenced tables)', slice);
    perform _tide.split_slice_validate_foreign_keys(mt, slice);
    return query select format('validated that %s holds nothing before %s', lg.legacy, b_txt),
                        0::bigint, greatest(lg.split_rows_total - lg.rows_moved - lg.rows_expired, 0), false;
    exit step;
  end if;

  -- phase 1: move one batch, oldest interval first
  if not expired and slice is null then
    doing := format('create the table %I.%I (ACCESS SHARE on %s)', mt.parent_schema, sname, parent);
    made := _tide.create_partition_table(mt, sname);
    -- the parent's foreign keys from the start, NOT VALID (enforced for every row moved in, and
    -- their ON DELETE actions reach the rows waiting here), validated once the interval is empty
    perform _tide.split_slice_add_foreign_keys(mt, parent, made, null);
    update _tide.legacy l set slice = made where l.parent = convert_split_step.parent;
    slice := made;
  end if;
  if expired then
    doing := format('delete a batch from %s (ROW EXCLUSIVE)', lg.legacy);
    perform _tide.execute_with_retry(format('lock table %s in row exclusive mode', lg.legacy), mt.lock_retries);
    execute format('delete from %1$s where ctid = any (array(select ctid from %1$s where %2$I >= %3$L and %2$I < %4$L limit %5$s))',
                   lg.legacy, mt.control, lo, b_txt, batch_rows);
    get diagnostics n = row_count;
    update _tide.legacy l set rows_expired = l.rows_expired + n where l.parent = convert_split_step.parent;
    lg.rows_expired := lg.rows_expired + n;
  else
    select string_agg(quote_ident(att.attname), ', ' order by att.attnum) into cols
      from pg_attribute att where att.attrelid = parent and att.attnum > 0 and not att.attisdropped and att.attgenerated = '';
    doing := format('move a batch from %s to %s (ROW EXCLUSIVE)', lg.legacy, slice);
    perform _tide.execute_with_retry(format('lock table %s, %s in row exclusive mode', lg.legacy, slice), mt.lock_retries);
    begin
      execute format('with moved as (delete from %1$s where ctid = any (array(select ctid from %1$s where %2$I >= %3$L and %2$I < %4$L limit %5$s)) returning %6$s) '
                     'insert into %7$s (%6$s) overriding system value select %6$s from moved',
                     lg.legacy, mt.control, lo, b_txt, batch_rows, cols, slice);
    exception when unique_violation then
      -- a key both in the legacy partition and in the slice (written into the legacy partition
      -- after its first copy had moved, before tide_legacy_next kept such writes out): refuse,
      -- naming it, rather than fail the same way on every run
      get stacked diagnostics dup_con = constraint_name, dup_detail = pg_exception_detail;
      dup_where := _tide.split_duplicate_key(lg.legacy, slice, dup_con, mt.control, lo, b_txt);
      raise exception using errcode = '23505',
        message = format('table %s: a row of its legacy partition %s has a key that the slice table %s already holds', parent, lg.legacy, slice),
        detail = format('%s (unique index %I of %s). The row was written into %s after the row with that key had moved to %s, where the table''s unique index could not see it; tide.split_legacy moves neither.',
                        dup_detail, dup_con, slice, lg.legacy, slice),
        hint = case when dup_where is not null
                    then format('Keep one of the two rows: DELETE FROM %s WHERE %s; (the later copy) or DELETE FROM %s WHERE %s; then CALL tide.split_legacy(%L) again.',
                                lg.legacy, dup_where, slice, dup_where, parent::text)
                    else format('Delete the row with that key from %s or from %s, then CALL tide.split_legacy(%L) again.', lg.legacy, slice, parent::text) end;
    end;
    get diagnostics n = row_count;
    update _tide.legacy l set rows_moved = l.rows_moved + n where l.parent = convert_split_step.parent;
    lg.rows_moved := lg.rows_moved + n;
  end if;
  -- an unconvert that started while this batch waited for its lock: undo the batch
  perform _tide.refuse_unconverting(parent, 'tide.split_legacy', 'legacy partition');
  if not next_found then
    -- from the first batch of an interval on, writes of the interval are refused by the legacy
    -- partition (23514, tide_legacy_next): a row written there after its key had moved to the
    -- slice would be a duplicate the table's unique indexes cannot see. Added after the batch
    -- (ACCESS EXCLUSIVE on the legacy partition from here to the commit: milliseconds)
    doing := format('add CHECK tide_legacy_next to %s (ACCESS EXCLUSIVE)', lg.legacy);
    perform _tide.execute_with_retry(format('alter table %s add constraint tide_legacy_next check (%I >= %L) not valid',
                                            lg.legacy, mt.control, b_txt), mt.lock_retries);
    if n = 0 then
      return query select format('interval %s .. %s emptied; CHECK added', lo, b_txt), 0::bigint,
                          greatest(lg.split_rows_total - lg.rows_moved - lg.rows_expired, 0), false;
      exit step;
    end if;
  elsif n = 0 and slice is null then
    -- an expired interval, deleted: prove the legacy table holds nothing before b
    doing := format('validate CHECK tide_legacy_next of %s (SHARE UPDATE EXCLUSIVE)', lg.legacy);
    perform _tide.execute_with_retry(format('alter table %s validate constraint tide_legacy_next', lg.legacy), mt.lock_retries);
    return query select format('validated that %s holds nothing before %s', lg.legacy, b_txt),
                        0::bigint, greatest(lg.split_rows_total - lg.rows_moved - lg.rows_expired, 0), false;
    exit step;
  elsif n = 0 then
    -- the interval is empty in the legacy table: the slice's CHECK and the parent's foreign keys,
    -- NOT VALID (SHARE ROW EXCLUSIVE on the referenced tables, milliseconds), validated next step
    doing := format('add CHECK tide_legacy_slice and the foreign keys of %s to %s (SHARE ROW EXCLUSIVE)', parent, slice);
    cols := _tide.split_slice_add_foreign_keys(mt, parent, slice,
                                               format('check (%I >= %L and %I < %L)', mt.control, lo, mt.control, b_txt));
    return query select format('interval %s .. %s emptied; CHECK%s added to %s', lo, b_txt,
                               coalesce(' and foreign key(s) ' || cols, ''), slice), 0::bigint,
                        greatest(lg.split_rows_total - lg.rows_moved - lg.rows_expired, 0), false;
    exit step;
  end if;
  return query select format('%s %s rows of %s .. %s', case when expired then 'deleted (expired)' else 'moved' end, n, lo, b_txt),
                      n, greatest(lg.split_rows_total - lg.rows_moved - lg.rows_expired, 0), false;
  exception when lock_not_available then
    -- the step's work is rolled back; the steps before it are committed
    raise exception using errcode = '55P03',
      message = format('tide.split_legacy of table %s could not %s within its lock_timeout', parent, doing),
      detail = format('The lock was waited for %s at a time, %s times (tide.config lock_timeout and lock_retries); %s. This step changed nothing; the steps before it are kept.',
                      mt.lock_timeout, mt.lock_retries + 1, sqlerrm),
      hint = format('A long transaction or query holds a conflicting lock (see pg_locks / pg_stat_activity). CALL tide.split_legacy(%L) again when it is gone: the split goes on where it stopped.', parent::text);
  end;
  perform set_config('lock_timeout', old_lt, true);
end
$fn$;

comment on function _tide.convert_split_step(regclass, integer, timestamptz) is
  'One step of tide.split_legacy (one batch moved, the slice''s CHECK and foreign keys added or validated, or one boundary moved); resumable from the catalog state. Takes ROW EXCLUSIVE on the legacy partition (ACCESS EXCLUSIVE for milliseconds when an interval''s first batch adds CHECK tide_legacy_next), SHARE ROW EXCLUSIVE on the tables the parent''s foreign keys reference for milliseconds when the slice gets them, and ACCESS EXCLUSIVE on the parent for milliseconds when a boundary moves; its VALIDATEs take SHARE UPDATE EXCLUSIVE (ROW SHARE on referenced tables). Every lock is waited for under the lock_timeout from tide.config and retried (once the parent''s ACCESS EXCLUSIVE is held, tried once); when the retries run out it raises 55P03 naming the lock, changing nothing. Raises 23505 (naming the key) when a key is both in the legacy partition and in the slice.';
