-- How each column of a table travels to Parquet: its kind, and the SQL expression of its canonical
-- text, which the exporter reads, the read-back recomputes and the content checksum hashes.
create or replace function _tide.archive_columns(tbl regclass)
returns table (ordinal integer, column_name name, type_name text, kind text, canonical text)
language sql stable
set search_path = pg_catalog, pg_temp
as $fn$
  select row_number() over (order by a.attnum)::integer,
         a.attname,
         format_type(a.atttypid, a.atttypmod),
         k.kind,
         case k.kind
           when 'boolean' then format($e$case %1$I when true then 't' when false then 'f' end$e$, a.attname)
           when 'float32' then format($e$encode(float4send(%1$I), 'hex')$e$, a.attname)
           when 'float64' then format($e$encode(float8send(%1$I), 'hex')$e$, a.attname)
           -- the stored int64 (microseconds since 2000-01-01, infinities as its extremes) as 16 hex
           -- digits: exact, and far cheaper to produce than a decimal from numeric extract(epoch)
           when 'timestamptz' then format($e$encode(timestamptz_send(%1$I), 'hex')$e$, a.attname)
           when 'timestamp' then format($e$encode(timestamp_send(%1$I), 'hex')$e$, a.attname)
           when 'date' then format($e$case when %1$I = 'infinity' then 'infinity' when %1$I = '-infinity' then '-infinity' else (%1$I - date '1970-01-01')::text end$e$, a.attname)
           when 'bytea' then format($e$encode(%1$I, 'hex')$e$, a.attname)
           else format($e$%1$I::text$e$, a.attname)
         end
  from pg_attribute a
  join pg_type t on t.oid = a.atttypid
  cross join lateral (
    select case coalesce(nullif(t.typbasetype, 0), t.oid)
             when 'int2'::regtype then 'int16'
             when 'int4'::regtype then 'int32'
             when 'int8'::regtype then 'int64'
             when 'bool'::regtype then 'boolean'
             when 'float4'::regtype then 'float32'
             when 'float8'::regtype then 'float64'
             when 'timestamptz'::regtype then 'timestamptz'
             when 'timestamp'::regtype then 'timestamp'
             when 'date'::regtype then 'date'
             when 'bytea'::regtype then 'bytea'
             when 'jsonb'::regtype then 'json'
             when 'json'::regtype then 'json'
             when 'numeric'::regtype then 'numeric'
             else 'text'
           end as kind
  ) k
  where a.attrelid = tbl and a.attnum > 0 and not a.attisdropped
  order by a.attnum
$fn$;
comment on function _tide.archive_columns(regclass) is
  'pgtide: per column of TBL, its Parquet kind and the SQL expression of its canonical text (archive checksum and exporter)';
