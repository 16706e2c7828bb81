-- The skeleton of a SQL text for tide.partitions_scanned's statement check: comments removed, string
-- literals, dollar-quoted bodies and quoted identifiers replaced by a placeholder, so a ';' or a
-- keyword hidden inside them is never mistaken for (or hidden from) the statement's own.

create or replace function _tide.obs_strip_sql(query text)
returns text
language plpgsql immutable strict
set search_path = pg_catalog, pg_temp
as $fn$
declare
  n      integer := length(query);
  i      integer := 1;
  out    text := '';
  ch     text;
  nx     text;
  depth  integer;
  tag    text;
  j      integer;
  start  integer;
begin
  while i <= n loop
    ch := substr(query, i, 1);
    nx := substr(query, i + 1, 1);
    start := i;
    if ch = '-' and nx = '-' then                       -- line comment
      j := strpos(substr(query, i), E'\n');
      i := case when j = 0 then n + 1 else i + j end;
      out := out || ' ';
    elsif ch = '/' and nx = '*' then                    -- block comment, nested
      depth := 1; i := i + 2;
      while i <= n and depth > 0 loop
        if substr(query, i, 2) = '/*' then depth := depth + 1; i := i + 2;
        elsif substr(query, i, 2) = '*/' then depth := depth - 1; i := i + 2;
        else i := i + 1; end if;
      end loop;
      if depth > 0 then
        raise exception using errcode = 'syntax_error', message = 'tide.partitions_scanned: unterminated /* comment in the query',
          detail = format('The comment opened at character %s never closes: %s', start, left(substr(query, start), 60)),
          hint = 'Close the comment with */.';
      end if;
      out := out || ' ';
    elsif ch = '''' or ((ch in ('E', 'e')) and nx = '''' and (i = 1 or substr(query, i - 1, 1) !~ '[A-Za-z0-9_$]')) then
      -- string literal; E'' strings honour backslash escapes
      declare esc boolean := ch <> ''''; begin
        i := i + case when esc then 2 else 1 end;
        loop
          if i > n then
            raise exception using errcode = 'syntax_error', message = 'tide.partitions_scanned: unterminated string literal in the query',
              detail = format('The literal opened at character %s never closes: %s', start, left(substr(query, start), 60)),
              hint = 'Close the literal with a single quote.';
          end if;
          ch := substr(query, i, 1);
          if esc and ch = '\' then i := i + 2;
          elsif ch = '''' and substr(query, i + 1, 1) = '''' then i := i + 2;
          elsif ch = '''' then i := i + 1; exit;
          else i := i + 1; end if;
        end loop;
      end;
      out := out || ' ''x'' ';
    elsif ch = '"' then                                 -- quoted identifier
      i := i + 1;
      loop
        if i > n then
          raise exception using errcode = 'syntax_error', message = 'tide.partitions_scanned: unterminated quoted identifier in the query',
            detail = format('The identifier opened at character %s never closes: %s', start, left(substr(query, start), 60)),
            hint = 'Close the identifier with a double quote.';
        end if;
        if substr(query, i, 2) = '""' then i := i + 2;
        elsif substr(query, i, 1) = '"' then i := i + 1; exit;
        else i := i + 1; end if;
      end loop;
      out := out || ' "x" ';
    -- a dollar quote ($$ or $tag$) opens only where no identifier goes on: x$$ is an identifier
    elsif ch = '$' and (i = 1 or substr(query, i - 1, 1) !~ '[A-Za-z0-9_$\x80-\uffff]')
          and substring(substr(query, i) from '^\$([A-Za-z_][A-Za-z0-9_]*)?\$') is not null then  -- dollar-quoted string
      tag := substring(substr(query, i) from '^(\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$)');
      j := strpos(substr(query, i + length(tag)), tag);
      if j = 0 then
        raise exception using errcode = 'syntax_error', message = format('tide.partitions_scanned: unterminated dollar-quoted string %s in the query', tag),
          detail = format('The string opened at character %s never closes: %s', start, left(substr(query, start), 60)),
          hint = format('Close it with %s.', tag);
      end if;
      i := i + length(tag) + j - 1 + length(tag);
      out := out || ' ''x'' ';
    else
      out := out || ch;
      i := i + 1;
    end if;
  end loop;
  return out;
end
$fn$;

comment on function _tide.obs_strip_sql(text) is
  'QUERY with comments removed and literals, dollar-quoted strings and quoted identifiers replaced by placeholders (a lexical skeleton for statement checks). Raises syntax_error on an unterminated one.';
