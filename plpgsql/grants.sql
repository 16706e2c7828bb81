-- Privileges, applied last: nothing in tide or _tide is usable by PUBLIC; tide_admin operates,
-- tide_monitor reads. Generic on purpose: it covers every object present, so new files need no line here.

revoke all on schema tide, _tide from public;
revoke all on all functions in schema tide from public;
revoke all on all functions in schema _tide from public;
revoke all on all procedures in schema tide from public;
revoke all on all procedures in schema _tide from public;
revoke all on all tables in schema tide from public;
revoke all on all tables in schema _tide from public;
revoke all on all sequences in schema _tide from public;

do $grants$
begin
  if exists (select from pg_catalog.pg_roles where rolname = 'tide_admin') then
    grant usage on schema tide to tide_admin;
    grant execute on all functions in schema tide to tide_admin;
    grant execute on all procedures in schema tide to tide_admin;
    grant select on all tables in schema tide to tide_admin;
    grant update on tide.config to tide_admin;
    -- tide functions run as the caller, so the operator reaches the state and helpers behind them
    grant usage on schema _tide to tide_admin;
    grant execute on all functions in schema _tide to tide_admin;
    grant select, insert, update, delete on all tables in schema _tide to tide_admin;
    grant usage on all sequences in schema _tide to tide_admin;
  end if;
  if exists (select from pg_catalog.pg_roles where rolname = 'tide_monitor') then
    grant usage on schema tide to tide_monitor;
    grant select on all tables in schema tide to tide_monitor;
    -- views may call read-only helpers as the caller; the monitor has no privilege on _tide tables
    grant usage on schema _tide to tide_monitor;
    grant execute on all functions in schema _tide to tide_monitor;
    -- proving pruning is reading: it runs as the caller, only plans (EXPLAIN without ANALYZE) under
    -- transaction_read_only, takes one SELECT, and EXPLAIN needs SELECT on what the query reads
    grant execute on function tide.partitions_scanned(text, text) to tide_monitor;
  end if;
end
$grants$;
