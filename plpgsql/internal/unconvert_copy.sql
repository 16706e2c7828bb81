-- One keyset-ordered batch of a partition copied into tide.unconvert's plain table. Rows already
-- there (copied before, or replayed from the change log) are skipped: the log decides their state.

create or replace function _tide.unconvert_copy(target regclass, partition regclass, key name[], last_key text[],
                                                max_rows bigint, out rows bigint, out next_key text[])
language plpgsql volatile
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set timezone = 'UTC'
set intervalstyle = 'postgres'
set extra_float_digits = 3
as $fn$
declare
  cols     text;
  keys     text;
  keys_txt text;
  keys_par text;
  keys_desc text;
begin
  select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into cols
    from pg_attribute a where a.attrelid = target and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
  select string_agg(quote_ident(k), ', ' order by o),
         string_agg(format('b.%I::text', k), ', ' order by o),
         string_agg(format('$1[%s]::%s', o, format_type(a.atttypid, a.atttypmod)), ', ' order by o),
         string_agg(format('b.%I desc', k), ', ' order by o)
    into keys, keys_txt, keys_par, keys_desc
    from unnest(key) with ordinality u(k, o)
    join pg_attribute a on a.attrelid = partition and a.attname = u.k and not a.attisdropped;
  execute format(
    'with b as materialized (select * from %1$s%2$s order by %3$s%4$s), '
    'ins as (insert into %5$s (%6$s) overriding system value select %6$s from b on conflict do nothing) '
    'select (select count(*) from b), (select array[%7$s] from b order by %8$s limit 1)',
    partition,
    case when last_key is null then '' else format(' where (%s) > (%s)', keys, keys_par) end,
    keys,
    case when max_rows is null then '' else ' limit ' || max_rows end,
    target, cols, keys_txt, keys_desc)
    into rows, next_key using last_key;
  next_key := coalesce(next_key, last_key);
end
$fn$;

comment on function _tide.unconvert_copy(regclass, regclass, name[], text[], bigint) is
  'tide.unconvert: copies up to MAX_ROWS rows of PARTITION (all when NULL) whose KEY is after LAST_KEY, in key order, into TARGET, skipping rows already there; returns the count and the last key copied (as text). Takes ACCESS SHARE on PARTITION, ROW EXCLUSIVE on TARGET.';
