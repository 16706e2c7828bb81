-- Applies the rows tide.unconvert's capture trigger recorded to the plain table, oldest first,
-- by key: a DELETE removes the old key, an INSERT or UPDATE replaces the new key's row. Replaying
-- twice gives the same table, so a copy batch and a replayed change can overlap freely.

create or replace function _tide.unconvert_replay(parent regclass, target regclass, key name[], max_rows bigint)
returns bigint
language plpgsql volatile
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set timezone = 'UTC'
set intervalstyle = 'postgres'
set extra_float_digits = 3
as $fn$
declare
  ch      record;
  cols    text;
  sel     text;
  keys    text;
  rkeys   text;
  dels    jsonb := '{}';
  inss    jsonb := '{}';
  done    bigint[] := array[]::bigint[];
  rel     text;
begin
  select string_agg(quote_ident(a.attname), ', ' order by a.attnum),
         string_agg(format('(s.r).%I', a.attname), ', ' order by a.attnum)
    into cols, sel
    from pg_attribute a where a.attrelid = target and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
  select string_agg(format('t.%I', k), ', ' order by o), string_agg(format('(s.r).%I', k), ', ' order by o)
    into keys, rkeys from unnest(key) with ordinality u(k, o);
  for ch in select c.change_id, c.relid, c.op, c.old_row, c.new_row from _tide.unconvert_changes c
             where c.parent = unconvert_replay.parent order by c.change_id limit max_rows loop
    rel := ch.relid::text;
    if not dels ? rel then
      if not exists (select from pg_class where oid = ch.relid) then
        raise exception using errcode = '55000',
          message = format('partition %s of table %s was dropped while tide.unconvert was copying it', ch.relid, parent),
          detail = 'Rows written into it are recorded in _tide.unconvert_changes but can no longer be read back.',
          hint = 'Do not drop or detach partitions during tide.unconvert.';
      end if;
      dels := dels || jsonb_build_object(rel, format('delete from %s t using (select $1::%s as r) s where (%s) = (%s)',
                                                     target, ch.relid::regclass, keys, rkeys));
      inss := inss || jsonb_build_object(rel, format('insert into %s (%s) overriding system value select %s from (select $1::%s as r) s',
                                                     target, cols, sel, ch.relid::regclass));
    end if;
    if ch.old_row is not null then
      execute dels->>rel using ch.old_row;
    end if;
    if ch.new_row is not null then
      execute dels->>rel using ch.new_row;
      execute inss->>rel using ch.new_row;
    end if;
    done := done || ch.change_id;
  end loop;
  delete from _tide.unconvert_changes c where c.change_id = any (done);
  update _tide.unconverts u set rows_replayed = u.rows_replayed + cardinality(done) where u.parent = unconvert_replay.parent;
  return cardinality(done);
end
$fn$;

comment on function _tide.unconvert_replay(regclass, regclass, name[], bigint) is
  'tide.unconvert: applies up to MAX_ROWS recorded changes of PARENT (oldest first, by KEY) to TARGET and removes them from the log; idempotent. Takes ROW EXCLUSIVE on TARGET.';
