-- Proof of routing and pruning from psql: the partitions a query would read, from its plan. The
-- query is only planned (EXPLAIN without ANALYZE never runs it), and only a single SELECT is accepted.

create or replace function tide.partitions_scanned(query text, path text default pg_catalog.current_setting('search_path'))
returns table (partition regclass, parent regclass, node text, subplans_removed integer)
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  skeleton text;
  plan     jsonb;
begin
  if query is null or btrim(query) = '' then
    raise exception using errcode = 'invalid_parameter_value',
      message = 'tide.partitions_scanned: the query is empty',
      detail = 'tide.partitions_scanned plans the query it is given (without running it) and lists the partitions the plan reads.',
      hint = 'Pass one SELECT statement as text, e.g. select * from tide.partitions_scanned($$select * from t where ts >= now() - interval ''1 day''$$).';
  end if;
  skeleton := btrim(_tide.obs_strip_sql(query));
  skeleton := regexp_replace(skeleton, '[;\s]+$', '');
  if strpos(skeleton, ';') > 0 then
    raise exception using errcode = 'invalid_parameter_value',
      message = 'tide.partitions_scanned accepts exactly one statement',
      detail = format('The text holds more than one statement: %s', left(query, 200)),
      hint = 'Remove everything after the first statement''s semicolon.';
  end if;
  if skeleton !~* '^\(*\s*(select|with|values|table)\M' then
    raise exception using errcode = 'invalid_parameter_value',
      message = 'tide.partitions_scanned accepts only a SELECT (or WITH … SELECT) statement',
      detail = format('The statement starts with: %s', left(btrim(query), 60)),
      hint = 'To check routing of an INSERT, pass the SELECT that finds its key, e.g. select * from t where ts = ''2025-08-01''.';
  end if;
  if skeleton ~* '^\(*\s*with\M' and
     regexp_replace(skeleton, '\mfor\s+(no\s+key\s+)?update\M', ' ', 'gi') ~* '\m(insert|update|delete|merge|truncate)\M' then
    raise exception using errcode = 'invalid_parameter_value',
      message = 'tide.partitions_scanned refuses data-modifying WITH queries',
      detail = 'The WITH clause holds INSERT, UPDATE, DELETE, MERGE or TRUNCATE.',
      hint = 'Pass the SELECT part alone.';
  end if;

  plan := _tide.obs_explain(query, path);

  return query
    with recursive nodes as (
      select plan -> 0 -> 'Plan' as n, null::integer as removed
      union all
      select c.value, case when nodes.n ->> 'Node Type' in ('Append', 'Merge Append')
                           then coalesce((nodes.n ->> 'Subplans Removed')::int, 0) else nodes.removed end
        from nodes, jsonb_array_elements(coalesce(nodes.n -> 'Plans', '[]'::jsonb)) c
    )
    select distinct on (c.oid) c.oid::regclass, i.inhparent::regclass, nodes.n ->> 'Node Type', nodes.removed
      from nodes
      join pg_namespace ns on ns.nspname = nodes.n ->> 'Schema'
      join pg_class c on c.relnamespace = ns.oid and c.relname = nodes.n ->> 'Relation Name'
      left join pg_inherits i on i.inhrelid = c.oid
     where nodes.n ? 'Relation Name'
     order by c.oid;
end
$fn$;

comment on function tide.partitions_scanned(text, text) is
  'The tables and partitions a single SELECT (or WITH … SELECT) would read, from EXPLAIN (VERBOSE, FORMAT JSON) — after plan-time pruning and the run-time pruning done at executor start (subplans_removed counts what the enclosing Append dropped then). Pruning that depends on values produced while the query runs cannot be known without running it. The query is never executed: it is planned in a read-only transaction state, and anything but one SELECT is refused. Names in the query resolve through PATH, by default the caller''s search_path. Takes ACCESS SHARE on every table the query names, as planning does.';
