-- Reads one partition's range bounds from the catalog, as text a caller can cast back to the key type.
-- Runs with DateStyle ISO and TimeZone UTC pinned so the text is the same in every session.

create or replace function _tide.partition_bounds(partition regclass)
returns table (lower_bound text, upper_bound text, is_default boolean)
language plpgsql stable
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set timezone = 'UTC'
set intervalstyle = 'postgres'
as $fn$
declare
  expr  text;
  pos   integer;
  vals  text[];
  lists text[] := array[]::text[];
  ch    text;
  cur   text;
  depth integer;
  quoted boolean;
begin
  select pg_get_expr(c.relpartbound, c.oid)
    into expr
    from pg_class c
   where c.oid = partition and c.relispartition;
  if expr is null then
    return;  -- not a partition: no rows
  end if;
  if expr = 'DEFAULT' then
    return query select null::text, null::text, true;
    return;
  end if;
  if expr not like 'FOR VALUES FROM (%' then
    return;  -- LIST or HASH partition: not a range, no rows
  end if;

  -- Scan the two parenthesised lists FROM (...) TO (...); quotes may contain any character.
  pos := 1;
  while pos <= length(expr) loop
    if substr(expr, pos, 1) = '(' then
      vals := array[]::text[];
      cur := null;
      quoted := false;
      pos := pos + 1;
      loop
        ch := substr(expr, pos, 1);
        if quoted then
          if ch = '''' and substr(expr, pos + 1, 1) = '''' then
            cur := cur || ''''; pos := pos + 2; continue;
          elsif ch = '''' then
            quoted := false;
          else
            cur := cur || ch;
          end if;
        elsif ch = '''' then
          quoted := true; cur := coalesce(cur, '');
        elsif ch = ',' or ch = ')' then
          vals := vals || cur;
          cur := null;
          exit when ch = ')';
        elsif ch <> ' ' then
          cur := coalesce(cur, '') || ch;
        end if;
        pos := pos + 1;
        if pos > length(expr) then
          raise exception using errcode = 'XX000',
            message = format('cannot parse the bounds of partition %s', partition),
            detail = format('Bound expression: %s', expr);
        end if;
      end loop;
      -- MINVALUE / MAXVALUE are unbounded: NULL
      if array_length(vals, 1) = 1 then
        lists := lists || case when vals[1] in ('MINVALUE', 'MAXVALUE') then null else vals[1] end;
      else
        lists := lists || ('(' || array_to_string(vals, ', ') || ')');
      end if;
    end if;
    pos := pos + 1;
  end loop;

  return query select lists[1], lists[2], false;
end
$fn$;

comment on function _tide.partition_bounds(regclass) is
  'Range bounds of one partition as text (DateStyle ISO, UTC): lower_bound, upper_bound (NULL for MINVALUE/MAXVALUE), is_default. No rows for a non-partition or a LIST/HASH partition. Takes no locks.';
