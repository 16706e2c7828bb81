-- Rule 2: one lock-taking statement, run under the lock_timeout the caller set, retried with
-- jittered exponential backoff; after the last retry the 55P03 goes to the caller. Returns how
-- many attempts it took, for callers that report it.

create or replace function _tide.execute_with_retry(statement text, retries integer)
returns integer
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  attempt integer := 0;
begin
  loop
    begin
      execute statement;
      return attempt + 1;
    exception when lock_not_available then
      if attempt >= retries then
        raise;
      end if;
    end;
    -- 20 ms, 40 ms, 80 ms … capped at 1 s, each scaled by a random 0.5–1.5
    perform pg_sleep(least(0.02 * power(2, attempt), 1.0) * (0.5 + random()));
    attempt := attempt + 1;
  end loop;
end
$fn$;

comment on function _tide.execute_with_retry(text, integer) is
  'Runs one lock-taking statement, retrying on lock_not_available (55P03) with jittered backoff up to RETRIES times; returns the number of attempts.';
