-- Rule 2 for a legacy split: ATTACH of a slice that lacks the parent's foreign keys creates and
-- validates them under the ACCESS EXCLUSIVE lock on the parent (a full read of the slice). So the
-- slice gets them while it is still standalone: added NOT VALID here, validated in a later step.

create or replace function _tide.split_slice_add_foreign_keys(mt _tide.managed_tables, parent regclass, slice regclass, slice_check text)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  adds   text[] := array[]::text[];
  names  text[] := array[]::text[];
  r      record;
  cname  text;
  taken  text[] := array[]::text[];
  old_lt text := current_setting('lock_timeout');
begin
  if slice_check is not null then
    adds := adds || format('add constraint tide_legacy_slice %s not valid', slice_check);
  end if;
  -- the parent's foreign keys that the slice has no match for (the same definition: ATTACH links
  -- a partition's foreign key that matches the parent's and is validated)
  for r in select c.conname, pg_get_constraintdef(c.oid) as def
             from pg_constraint c
            where c.conrelid = parent and c.contype = 'f' and c.conparentid = 0  -- not PostgreSQL's clones per referenced partition
              and not exists (select from pg_constraint s
                               where s.conrelid = slice and s.contype = 'f' and s.conparentid = 0
                                 and regexp_replace(pg_get_constraintdef(s.oid), ' NOT VALID$', '') = pg_get_constraintdef(c.oid))
            order by c.conname loop
    -- the parent's name, unless the slice has a constraint of that name (the same foreign key in an
    -- earlier definition): then that name with a suffix, shortened to fit 63 bytes (PostgreSQL would
    -- cut the suffix off again, and the name collide), and not one taken already
    cname := r.conname;
    while cname = any (taken) or exists (select from pg_constraint s where s.conrelid = slice and s.conname = cname) loop
      cname := _tide.convert_short_name(r.conname, '_' || to_hex((random() * 65535)::int));
    end loop;
    taken := taken || cname;
    adds := adds || format('add constraint %I %s not valid', cname, r.def);
    names := names || format('%I', r.conname);
  end loop;
  if cardinality(adds) = 0 then
    return null;
  end if;
  -- SHARE ROW EXCLUSIVE on the slice (nobody else sees it) and on each referenced table: under
  -- the table's lock_timeout, retried
  perform set_config('lock_timeout', _tide.lock_timeout_setting(mt.lock_timeout), true);
  perform _tide.execute_with_retry(format('alter table %s %s', slice, array_to_string(adds, ', ')), mt.lock_retries);
  perform set_config('lock_timeout', old_lt, true);
  return nullif(array_to_string(names, ', '), '');
end
$fn$;

comment on function _tide.split_slice_add_foreign_keys(_tide.managed_tables, regclass, regclass, text) is
  'For tide.split_legacy: adds to the standalone SLICE table, NOT VALID, the CHECK SLICE_CHECK (as tide_legacy_slice, when not NULL) and every foreign key of PARENT it has no match for (under the parent''s name, or, when the slice has a constraint of that name, that name with a suffix, fitting 63 bytes), in one ALTER TABLE under the table''s lock_timeout, retried (SHARE ROW EXCLUSIVE on the slice and the referenced tables, milliseconds). Returns the foreign keys added, or NULL.';
