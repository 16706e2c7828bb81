-- The content checksum of a table as pgtide archives define it: row count, the sum modulo 2^64 of
-- each row's 64-bit hash (order-independent; see _tide.archive_row_hash_sql), and min/max of the control column.
create or replace function tide.archive_checksum(tbl regclass, control name default null)
returns table (rows bigint, checksum text, min_control text, max_control text, min_value text, max_value text)
language plpgsql stable
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set timezone = 'UTC'
set intervalstyle = 'postgres'
set extra_float_digits = 3
set bytea_output = 'hex'
as $fn$
declare
  select_list text;
  control_canon text;
  sql text;
begin
  if not exists (select from pg_catalog.pg_class c where c.oid = tbl and c.relkind in ('r', 'p')) then
    raise exception using errcode = 'wrong_object_type',
      message = format('pgtide: %s is not a table', tbl),
      detail = 'An archive checksum is computed over the rows of an ordinary or partitioned table.',
      hint = 'Pass the partition (or restored table) itself.';
  end if;
  if control is not null and not exists (
       select from pg_catalog.pg_attribute a where a.attrelid = tbl and a.attname = control and a.attnum > 0 and not a.attisdropped) then
    raise exception using errcode = 'undefined_column',
      message = format('pgtide: column %I does not exist in %s', control, tbl),
      detail = 'The control column is the one whose min and max the archive manifest records.',
      hint = 'Pass the partition key column, or NULL to skip min/max.';
  end if;

  select string_agg(format('%s as c%s', ac.canonical, ac.ordinal), ', ' order by ac.ordinal),
         max(ac.canonical) filter (where ac.column_name = control)
    into select_list, control_canon
  from _tide.archive_columns(tbl) ac;

  if select_list is null then
    raise exception using errcode = 'invalid_parameter_value',
      message = format('pgtide: %s has no columns to archive', tbl),
      detail = 'A table without columns cannot be checksummed.',
      hint = 'Drop it by hand if it is not needed.';
  end if;

  -- h = the row hashes (bigint); their sum is accumulated exactly and reduced modulo 2^64.
  sql := format($q$
    with h as (
      select %1$s as h%3$s
      from (select %2$s%4$s from %5$s) s
    ), sums as (
      select count(*) as n,
             ((coalesce(sum(h), 0) %% 18446744073709551616) + 18446744073709551616) %% 18446744073709551616 as m
             %6$s
      from h
    )
    select n,
           lpad(to_hex(floor(m / 4294967296)::bigint), 8, '0') || lpad(to_hex((m %% 4294967296)::bigint), 8, '0'),
           %7$s
    from sums$q$,
    _tide.archive_row_hash_sql(tbl),
    select_list,
    case when control is null then '' else ', ctl' end,
    case when control is null then '' else format(', %I as ctl', control) end,
    tbl,
    case when control is null then '' else ', min(ctl) as mn, max(ctl) as mx' end,
    case when control is null then 'null::text, null::text, null::text, null::text'
         else format('(select %1$s from (select mn as %2$I) v), (select %1$s from (select mx as %2$I) v), mn::text, mx::text',
                     control_canon, control) end);
  return query execute sql;
end
$fn$;
comment on function tide.archive_checksum(regclass, name) is
  'pgtide: rows, content checksum and min/max of CONTROL of a table, exactly as archive manifests record them; reads the whole table (ACCESS SHARE)';
