-- Up Migration
-- Routines an earlier version installed under a signature a later one replaced (a parameter added,
-- with a default, or dropped) without dropping the old one: tide.claim_archive(text, bigint),
-- tide.partitions_scanned(text) and _tide.obs_explain(text) made their calls with fewer arguments
-- ambiguous (42725) next to the new forms, and the uninstall guard, which knows pgtide's routines by
-- what the last install recorded, would take all five for the user's. _tide.record_catalog() becomes record_catalog(text[]), given
-- the routines by the installer. A routine a user's object depends on stays, with a warning.
do $m$
declare
  sig text;
begin
  foreach sig in array array['tide.claim_archive(text, bigint)', 'tide.partitions_scanned(text)',
                             '_tide.obs_explain(text)', '_tide.next_due_at(_tide.managed_tables, timestamptz)',
                             '_tide.detached_name(_tide.managed_tables, name)', '_tide.record_catalog()'] loop
    if pg_catalog.to_regprocedure(sig) is not null then
      begin
        execute pg_catalog.format('drop function %s', pg_catalog.to_regprocedure(sig));
      exception when dependent_objects_still_exist then
        raise warning 'pgtide: %, superseded, not dropped: objects of yours depend on it', sig
          using hint = pg_catalog.format('Point them at the current form, then: DROP FUNCTION %s;', sig);
      end;
    end if;
  end loop;
end
$m$;

-- Down Migration
