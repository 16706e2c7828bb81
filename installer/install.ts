// install (which is also the upgrade), plan and uninstall. Migrations carry state through
// node-pg-migrate; then every plpgsql/ file is re-applied in one transaction. One outer
// advisory lock covers both, so concurrent installs serialise and maintenance stands aside.
import { join } from "node:path";
import type pg from "pg";
import { runner } from "node-pg-migrate";
import { INSTALL_LOCK_SQL, MIGRATE_LOCK_VALUE, SQLSTATE, lit } from "./connection.js";
import { PreflightError, preflight, type PreflightReport } from "./preflight.js";
import { codeFiles, functionNames, migrations, productVersion, projectRoot, routineSignature, routineSignatures, sourceSha256, viewNames } from "./sources.js";
import { unscheduleFromCronDatabase } from "./schedule.js";

export const MIGRATIONS_TABLE = "pgmigrations";
export const MIGRATIONS_SCHEMA = "_tide";

export type Log = (line: string) => void;

export interface InstallOptions {
  /** Re-apply plpgsql/ even when the recorded source checksum matches. */
  force?: boolean;
  /** How long to wait for another install holding the lock (seconds). */
  waitSeconds?: number;
  /** lock_timeout for the DDL itself. */
  lockTimeout?: string;
  /** Try CREATE EXTENSION pg_cron when it is loaded for this database but not created. */
  createCronExtension?: boolean;
  log?: Log;
}

export interface InstallResult {
  version: string;
  sourceSha256: string;
  previousVersion: string | null;
  migrationsRun: string[];
  codeApplied: boolean;
  preflight: PreflightReport;
  notes: string[];
}

const noop: Log = () => undefined;

/** Hold the installer's advisory lock (per database) while `fn` runs. */
export async function withInstallLock<T>(
  client: pg.ClientBase,
  waitSeconds: number,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    const r = await client.query<{ ok: boolean }>(`select pg_try_advisory_lock(${INSTALL_LOCK_SQL}) as ok`);
    if (r.rows[0]?.ok) break;
    if (Date.now() > deadline) {
      const err = new Error(
        `pgtide: another pgtide install or uninstall is running in this database and did not finish within ${waitSeconds}s; try again later`,
      ) as Error & { code: string };
      err.code = SQLSTATE.lockNotAvailable;
      throw err;
    }
    await new Promise((r2) => setTimeout(r2, 50 + Math.random() * 100));
  }
  try {
    return await fn();
  } finally {
    await client.query(`select pg_advisory_unlock(${INSTALL_LOCK_SQL})`).catch(() => undefined);
  }
}

async function installedVersion(client: pg.ClientBase): Promise<{ version: string; sha: string } | null> {
  const exists = await client.query<{ t: string | null }>(`select to_regclass('_tide.installation')::text as t`);
  if (!exists.rows[0]?.t) return null;
  const r = await client.query<{ version: string; source_sha256: string }>(
    `select version, source_sha256 from _tide.installation`,
  );
  const row = r.rows[0];
  return row ? { version: row.version, sha: row.source_sha256 } : null;
}

/** The migrations recorded as run in this database (none before the first install). */
async function appliedMigrations(client: pg.ClientBase): Promise<Set<string>> {
  const t = await client.query<{ t: string | null }>(`select to_regclass('${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}')::text as t`);
  if (!t.rows[0]?.t) return new Set();
  const r = await client.query<{ name: string }>(`select name from ${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`);
  return new Set(r.rows.map((x) => x.name));
}

/** Whether a migration of this version has not run here yet (the code step then runs after it). */
async function pendingMigrations(client: pg.ClientBase): Promise<boolean> {
  const done = await appliedMigrations(client);
  return migrations().some((m) => !done.has(m.name));
}

/**
 * SQL that drops our views (VIEWS, pgtide's: plpgsql/views/) so that they may change their columns:
 * all in one statement (so views over views need no CASCADE). A view of the user's in schema tide is
 * not one of them and stays; one of the user's anywhere (in tide too) that depends on ours stops the
 * install with a clear error instead of being dropped with them.
 */
function dropViewsSql(views: readonly string[]): string {
  return `do $drop_views$
declare
  ours name[] := array[${views.map(lit).join(", ")}]::name[];
  views text;
  pg_detail text;
begin
  select string_agg(c.oid::regclass::text, ', ') into views
    from pg_catalog.pg_class c where c.relnamespace = 'tide'::regnamespace and c.relkind = 'v' and c.relname = any (ours);
  if views is not null then
    execute 'drop view ' || views;
  end if;
exception when dependent_objects_still_exist then
  -- PostgreSQL's own list of the dependents (its DETAIL), which also has those that go through a
  -- view's row type (a function returning setof tide.partitions, a column of type tide.tables)
  get stacked diagnostics pg_detail = pg_exception_detail;
  -- what of the user's depends on our views: a view's rule (named by its view), or any other object;
  -- a view of the user's in schema tide among them
  select pg_catalog.string_agg(distinct w, E'\n') into views from (
    select pg_catalog.format('%s (depends on %s)',
             case when d.classid = 'pg_catalog.pg_rewrite'::regclass
                  then (select pg_catalog.pg_describe_object('pg_catalog.pg_class'::regclass, r.ev_class, 0)
                          from pg_catalog.pg_rewrite r where r.oid = d.objid)
                  else pg_catalog.pg_describe_object(d.classid, d.objid, 0) end,
             v.oid::regclass) as w
      from pg_catalog.pg_depend d
      join pg_catalog.pg_class v on v.oid = d.refobjid and v.relnamespace = 'tide'::regnamespace and v.relkind = 'v'
                                and v.relname = any (ours)
     where d.refclassid = 'pg_catalog.pg_class'::regclass and d.deptype = 'n'
       and not exists (select from pg_catalog.pg_rewrite r join pg_catalog.pg_class k on k.oid = r.ev_class
                        where d.classid = 'pg_catalog.pg_rewrite'::regclass and r.oid = d.objid
                          and (k.relnamespace = '_tide'::regnamespace
                               or k.relnamespace = 'tide'::regnamespace and k.relkind = 'v' and k.relname = any (ours)))
       and not exists (select from pg_catalog.pg_proc p
                        where d.classid = 'pg_catalog.pg_proc'::regclass and p.oid = d.objid
                          and p.pronamespace in ('tide'::regnamespace, '_tide'::regnamespace))
  ) x;
  raise exception using errcode = '2BP01',
    message = 'pgtide cannot replace its views: objects outside pgtide depend on them',
    detail = pg_catalog.concat_ws(E'\n', views, nullif(pg_detail, '')),
    hint = 'Save the definitions of your views over tide.* (pg_get_viewdef), drop them, run pgtide install, then create them again '
           '(a view of yours in schema tide: better in a schema of your own, ALTER VIEW tide.<name> SET SCHEMA <schema>).';
end
$drop_views$;`;
}

/** After the code step, in its transaction: what it installed, its routines by the signatures its files give. */
function recordCatalogSql(): string {
  return `select _tide.record_catalog(array[${routineSignatures().map(lit).join(", ")}]);`;
}

/**
 * A routine file applied so that an upgrade may change what CREATE OR REPLACE cannot (42P13: the
 * result type, a parameter's name, a default removed): the routine is then dropped and created again,
 * in the same transaction. pgtide's views, which could depend on it, are dropped before the code;
 * an object of the user's that depends on it stops the install (2BP01, naming it). What a user set on
 * such a routine by hand (a grant of their own, ALTER FUNCTION … SET) goes with it; grants.sql, applied
 * last, gives pgtide's roles theirs again. A function turned into a procedure (42809) still needs a migration.
 */
export function replaceRoutineSql(sql: string, signature: string): string {
  const tag = "$tide_code$";
  if (sql.includes(tag) || sql.includes("$tide_apply$")) throw new Error(`pgtide: a code file may not contain ${tag} or $tide_apply$`);
  return `do $tide_apply$
declare
  dependents text;
begin
  execute ${tag}${sql}${tag};
exception when invalid_function_definition then
  -- (for a routine not there yet the 42P13 is the file's own: the second attempt raises it)
  begin
    execute ${lit(`drop routine if exists ${signature}`)};
  exception when dependent_objects_still_exist then
    get stacked diagnostics dependents = pg_exception_detail;
    raise exception using errcode = '2BP01',
      message = ${lit(`pgtide cannot replace ${signature}: objects of yours depend on it`)},
      detail = dependents,
      hint = 'This version changes its result or parameters, so it is dropped and created again: save the definitions of your objects over it, drop them, run pgtide install, then create them again.';
  end;
  execute ${tag}${sql}${tag};
end
$tide_apply$;`;
}

/** The statements that re-apply the code, as one list (shared by install and plan). */
export function codeStatements(version: string, sha: string): { label: string; sql: string }[] {
  const out: { label: string; sql: string }[] = [
    { label: "settings", sql: "set local check_function_bodies = off;\nset local search_path = pg_catalog, pg_temp;" },
    { label: "drop views (recreated below)", sql: dropViewsSql(viewNames()) },
  ];
  for (const f of codeFiles()) {
    const sig = routineSignature(f);
    out.push({ label: f.path, sql: sig === null ? f.sql : replaceRoutineSql(f.sql, sig) });
  }
  out.push({
    label: "record the installation",
    sql:
      `insert into _tide.installation (singleton, version, source_sha256) values (true, ${lit(version)}, ${lit(sha)})\n` +
      `on conflict (singleton) do update set version = excluded.version, source_sha256 = excluded.source_sha256, upgraded_at = now();`,
  });
  return out;
}

export async function install(client: pg.ClientBase, opts: InstallOptions = {}): Promise<InstallResult> {
  const log = opts.log ?? noop;
  await client.query(`select set_config('application_name', 'pgtide', false)`);
  const report = await preflight(client);
  if (!report.ok) throw new PreflightError(report);
  const version = productVersion();
  const sha = sourceSha256();
  const notes: string[] = [];

  return withInstallLock(client, opts.waitSeconds ?? 120, async () => {
    await client.query(`select set_config('lock_timeout', $1, false)`, [opts.lockTimeout ?? "5s"]);
    const before = await installedVersion(client);
    // a migration that repairs state says in a WARNING what it could not repair: the caller hears it
    // (by SQLSTATE class 01, as the severity word is translated under another lc_messages)
    const warn = (m: { code?: string; message?: string; detail?: string; hint?: string }) => {
      if (m.code?.startsWith("01")) notes.push([m.message, m.detail, m.hint && `hint: ${m.hint}`].filter(Boolean).join("\n  "));
    };
    // The migrations commit before the code is re-applied (node-pg-migrate runs its own transaction):
    // what is known to stop the code step — a user's view over ours — is tried first, inside a
    // transaction rolled back, so that an upgrade it would stop half-way is refused before any migration.
    // Only when the code step will run: an install that is up to date changes nothing, views of the user's or not.
    if (before !== null && (opts.force || before.version !== version || before.sha !== sha || (await pendingMigrations(client)))) {
      await client.query("begin");
      try {
        await client.query(dropViewsSql(viewNames()));
      } finally {
        await client.query("rollback");
      }
    }
    client.on("notice", warn);
    let ran: Awaited<ReturnType<typeof runner>>;
    try {
      ran = await runner({
        dbClient: client,
        dir: join(projectRoot(), "migrations"),
        migrationsTable: MIGRATIONS_TABLE,
        migrationsSchema: MIGRATIONS_SCHEMA,
        createMigrationsSchema: true,
        direction: "up",
        lockValue: MIGRATE_LOCK_VALUE,
        singleTransaction: true,
        checkOrder: true,
        // Our migrations are numbered 001, 002, …; node-pg-migrate orders them by that number
        // but complains that it is not a timestamp, which is noise here.
        logger: {
          debug: () => undefined,
          info: () => undefined,
          warn: (m: string) => log(m),
          error: (m: string) => (m.startsWith("Can't determine timestamp") ? undefined : log(m)),
        },
      });
    } finally {
      client.off("notice", warn);
    }
    await client.query(`set search_path to default`);
    const migrationsRun = ran.map((m) => m.name);
    for (const m of migrationsRun) log(`migration ${m} applied`);

    const current = await installedVersion(client);
    const upToDate = current !== null && current.version === version && current.sha === sha;
    let codeApplied = false;
    if (!upToDate || opts.force || migrationsRun.length > 0) {
      await client.query("begin");
      try {
        for (const s of codeStatements(version, sha)) {
          try {
            await client.query(s.sql);
          } catch (err) {
            (err as Error).message = `${s.label}: ${(err as Error).message}`;
            throw err;
          }
        }
        await client.query(recordCatalogSql());
        await client.query("commit");
      } catch (err) {
        await client.query("rollback");
        throw err;
      }
      codeApplied = true;
      log(`code applied: ${codeFiles().length} files (source ${sha.slice(0, 12)})`);
    } else {
      log(`already installed: pgtide ${version}, source ${sha.slice(0, 12)}; nothing to do`);
    }

    if (report.scheduling === "pg_cron" && !report.facts.cronExtensionInstalled && opts.createCronExtension !== false) {
      try {
        await client.query("create extension if not exists pg_cron");
        notes.push("created extension pg_cron in this database");
      } catch (err) {
        notes.push(`could not create extension pg_cron (${(err as Error).message}); ask a superuser to run CREATE EXTENSION pg_cron`);
      }
    }
    if (report.scheduling === "external") {
      notes.push(
        "pg_cron is not available: schedule  CALL tide.run_maintenance();  every 10 minutes from an external scheduler, e.g. cron:  */10 * * * * psql \"$DATABASE_URL\" -c 'CALL tide.run_maintenance()'",
      );
    } else if (report.scheduling === "pg_cron_other_database") {
      notes.push("schedule maintenance with  pgtide schedule  (pg_cron runs jobs from another database: see the pg_cron check above)");
    } else {
      notes.push("schedule maintenance with  SELECT tide.schedule();  (or  pgtide schedule)");
    }
    // the operator and monitor roles need CREATEROLE: without it migration 001 only says so in a NOTICE
    const roles = await client.query<{ missing: string[] | null }>(
      `select array_agg(r order by r) filter (where not exists (select from pg_roles where rolname = r)) as missing
         from unnest(array['tide_admin', 'tide_monitor']) r`,
    );
    const missing = roles.rows[0]?.missing ?? [];
    if (missing.length > 0) {
      notes.push(
        `role(s) ${missing.join(", ")} do not exist (the installing role may not create roles), so nobody is granted pgtide's operator or monitor access: ` +
          `as a role with CREATEROLE run  CREATE ROLE tide_admin NOLOGIN; CREATE ROLE tide_monitor NOLOGIN;  then  pgtide install --force  to grant them`,
      );
    }
    return {
      version,
      sourceSha256: sha,
      previousVersion: before?.version ?? null,
      migrationsRun,
      codeApplied,
      preflight: report,
      notes,
    };
  });
}

/**
 * The SQL `install` would run against this database (or against an empty one when no client
 * is given), as one psql-runnable script. Touches nothing.
 */
export async function plan(client: pg.ClientBase | null): Promise<string> {
  const version = productVersion();
  const sha = sourceSha256();
  const done = client ? await appliedMigrations(client) : new Set<string>();
  const parts: string[] = [
    `-- pgtide ${version} install plan (source sha256 ${sha})`,
    `-- apply with: psql -X -v ON_ERROR_STOP=1 -1 -f plan.sql`,
    `select pg_advisory_xact_lock(${INSTALL_LOCK_SQL});`,
    `set lock_timeout = '5s';`,
    `create schema if not exists ${MIGRATIONS_SCHEMA};`,
    `create table if not exists ${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE} (id serial primary key, name varchar(255) not null, run_on timestamp not null);`,
  ];
  // on an installed database, pgtide's views go before the migrations, as install's pre-check does:
  // a user's object over them then stops the plan with pgtide's error, not a migration's
  if (done.size > 0 && migrations().some((m) => !done.has(m.name))) {
    parts.push(`-- drop views (recreated below)`, dropViewsSql(viewNames()).trim());
  }
  for (const m of migrations()) {
    if (done.has(m.name)) continue;
    parts.push(`-- migration ${m.path}`, m.up.trim(), `insert into ${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE} (name, run_on) values (${lit(m.name)}, now());`);
  }
  for (const s of codeStatements(version, sha)) parts.push(`-- ${s.label}`, s.sql.trim());
  parts.push(`-- snapshot of the installed catalog, for pgtide doctor and uninstall`, recordCatalogSql());
  return parts.join("\n\n") + "\n";
}

export interface UninstallResult {
  droppedSchemas: string[];
  unscheduled: boolean;
  keptTables: string[];
  notes: string[];
}

/**
 * pgtide's own tables, all in _tide (tide holds only views): those migrations/ create, and
 * node-pg-migrate's bookkeeping. Any other table in tide or _tide is the user's. (Not read from
 * _tide.catalog_objects: that is a snapshot of whatever tide and _tide held at the last install,
 * a user's table there included.) A migration that creates a table adds it here.
 */
export const PGTIDE_TABLES: readonly string[] = [
  MIGRATIONS_TABLE,
  // 001
  "installation", "managed_tables", "runs", "log", "detached", "settings", "catalog_objects",
  // 002
  "archives",
  // 006
  "legacy", "unconverts", "unconvert_progress", "unconvert_changes",
];

/**
 * Before uninstall drops tide and _tide (CASCADE), what of the user's would go with them: a table
 * living in one of our schemas (any but PGTIDE_TABLES: one made there, a detached partition moved
 * into either, listed in _tide.detached or not, a partition of a user's table there), and any
 * object outside them that depends on an object inside — a view over tide.health, a default
 * calling a _tide function, the capture trigger of an unconvert under way — and a view, function,
 * sequence or type of the user's in either (any view but VIEWS, function but pgtide's, sequence but
 * those of pgtide's tables, type but the row types of relations). A routine is pgtide's when its name
 * is one of FUNCTIONS and the last install recorded it in _tide.catalog_objects (record_catalog keeps
 * only the signatures the code files give: a user's overload of one of those names is not among them;
 * a record an older version made holds every routine there was then, and the names still apply).
 * Raises 2BP01 naming them all; changes nothing.
 */
function uninstallGuardSql(views: readonly string[], functions: { tide: readonly string[]; _tide: readonly string[] }): string {
  return `do $guard$
declare
  ours oid[] := array(select n.oid from pg_catalog.pg_namespace n where n.nspname in ('tide', '_tide'));
  tide_nsp oid := (select n.oid from pg_catalog.pg_namespace n where n.nspname = 'tide');
  own_tables name[] := array[${PGTIDE_TABLES.map(lit).join(", ")}];
  own_views name[] := array[${views.map(lit).join(", ")}]::name[];
  own_api name[] := array[${functions.tide.map(lit).join(", ")}]::name[];
  own_internal name[] := array[${functions._tide.map(lit).join(", ")}]::name[];
  detached oid[] := '{}';
  own_routines oid[];
  path text;
  found text;
begin
  -- retention's detached partitions are the user's wherever they were moved (an earlier version let
  -- detach_schema name tide or _tide)
  if pg_catalog.to_regclass('_tide.detached') is not null then
    execute 'select coalesce(pg_catalog.array_agg(d.partition::oid), ''{}'') from _tide.detached d' into detached;
  end if;
  -- the routines the last install recorded as pgtide's: matched by their identities as record_catalog
  -- printed them, under the same search_path (text, not parsed back: a recorded type since dropped
  -- must not fail the guard; a routine since dropped by hand matches nothing)
  if pg_catalog.to_regclass('_tide.catalog_objects') is not null then
    path := pg_catalog.current_setting('search_path');
    perform pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    execute 'select pg_catalog.array_agg(p.oid) from pg_catalog.pg_proc p join _tide.catalog_objects o'
            ' on o.kind in (''function'', ''procedure'') and o.identity = p.oid::pg_catalog.regprocedure::pg_catalog.text'
            ' where p.pronamespace = any ($1)' into own_routines using ours;
    perform pg_catalog.set_config('search_path', path, true);
  end if;
  select string_agg(w, E'\n' order by w) into found from (
    select pg_catalog.format('%s %s (lives in a pgtide schema)',
             case c.relkind when 'p' then 'partitioned table' when 'm' then 'materialized view'
                            when 'f' then 'foreign table' else 'table' end, c.oid::regclass) as w
      from pg_catalog.pg_class c
     where c.relnamespace = any (ours) and c.relkind in ('r', 'p', 'm', 'f')
       and (c.relnamespace = tide_nsp or c.relispartition
            or c.relname <> all (own_tables) or c.oid = any (detached)
            or exists (select from pg_catalog.pg_inherits i where i.inhrelid = c.oid or i.inhparent = c.oid))
    union
    select pg_catalog.format('view %s (lives in a pgtide schema)', c.oid::regclass)
      from pg_catalog.pg_class c
     where c.relnamespace = any (ours) and c.relkind = 'v'
       and (c.relnamespace <> tide_nsp or c.relname <> all (own_views))
    union
    select pg_catalog.format('sequence %s (lives in a pgtide schema)', c.oid::regclass)
      from pg_catalog.pg_class c
     where c.relnamespace = any (ours) and c.relkind = 'S'
       and not exists (select from pg_catalog.pg_depend d join pg_catalog.pg_class t on t.oid = d.refobjid
                        where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid
                          and d.refclassid = 'pg_catalog.pg_class'::regclass and d.deptype in ('a', 'i')
                          and t.relnamespace = any (ours) and t.relname = any (own_tables))
    union
    select pg_catalog.format('%s %s (lives in a pgtide schema)', case p.prokind when 'p' then 'procedure' else 'function' end,
                             p.oid::regprocedure)
      from pg_catalog.pg_proc p
     where p.pronamespace = any (ours)
       -- pgtide's: named by its files, and (where the last install recorded any) recorded as its own
       and (p.proname <> all (case when p.pronamespace = tide_nsp then own_api else own_internal end)
            or p.oid <> all (coalesce(own_routines, array[p.oid])))
       and not exists (select from pg_catalog.pg_depend e where e.classid = 'pg_catalog.pg_proc'::regclass and e.objid = p.oid and e.deptype = 'e')
    union
    -- anything else of the user's there: a collation, an operator, a text search configuration, a
    -- conversion, extended statistics, an extension's objects (pgtide makes none of these)
    select pg_catalog.format('%s (lives in a pgtide schema)', pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid))
      from pg_catalog.pg_depend d
     where d.refclassid = 'pg_catalog.pg_namespace'::regclass and d.refobjid = any (ours) and d.deptype = 'n'
       and d.classid not in ('pg_catalog.pg_class'::regclass, 'pg_catalog.pg_proc'::regclass, 'pg_catalog.pg_type'::regclass)
       -- an extension is named once, not each of its members
       and not exists (select from pg_catalog.pg_depend e where e.classid = d.classid and e.objid = d.objid and e.deptype = 'e')
    union
    -- a publication of the schema, which would lose it as a member
    select pg_catalog.format('publication %I (publishes the tables of schema %s)', b.pubname, pn.pnnspid::regnamespace)
      from pg_catalog.pg_publication_namespace pn join pg_catalog.pg_publication b on b.oid = pn.pnpubid
     where pn.pnnspid = any (ours)
    union
    select pg_catalog.format('type %s (lives in a pgtide schema)', t.oid::regtype)
      from pg_catalog.pg_type t
     where t.typnamespace = any (ours)
       and (t.typrelid = 0 and t.typelem = 0  -- not a relation's row type, nor an array
            or exists (select from pg_catalog.pg_class k where k.oid = t.typrelid and k.relkind = 'c'))
       and not exists (select from pg_catalog.pg_depend e where e.classid = 'pg_catalog.pg_type'::regclass and e.objid = t.oid and e.deptype = 'e')
    union
    select pg_catalog.format('%s (depends on %s)', pg_catalog.pg_describe_object(d.classid, d.objid, 0),
                             pg_catalog.pg_describe_object(d.refclassid, d.refobjid, 0))
      from pg_catalog.pg_depend d
     where d.deptype = 'n'
       -- the members of an extension in our schemas: the extension is named above
       and not exists (select from pg_catalog.pg_depend e where e.classid = d.classid and e.objid = d.objid and e.deptype = 'e')
       and case d.refclassid
             when 'pg_catalog.pg_class'::regclass then (select k.relnamespace from pg_catalog.pg_class k where k.oid = d.refobjid)
             when 'pg_catalog.pg_proc'::regclass then (select p.pronamespace from pg_catalog.pg_proc p where p.oid = d.refobjid)
             when 'pg_catalog.pg_type'::regclass then (select t.typnamespace from pg_catalog.pg_type t where t.oid = d.refobjid)
           end = any (ours)
       -- the dependent object's own schema: that of the relation it belongs to, for the parts of one
       and coalesce(case d.classid
             when 'pg_catalog.pg_class'::regclass then (select k.relnamespace from pg_catalog.pg_class k where k.oid = d.objid)
             when 'pg_catalog.pg_proc'::regclass then (select p.pronamespace from pg_catalog.pg_proc p where p.oid = d.objid)
             when 'pg_catalog.pg_type'::regclass then (select t.typnamespace from pg_catalog.pg_type t where t.oid = d.objid)
             when 'pg_catalog.pg_rewrite'::regclass then (select k.relnamespace from pg_catalog.pg_rewrite r join pg_catalog.pg_class k on k.oid = r.ev_class where r.oid = d.objid)
             when 'pg_catalog.pg_trigger'::regclass then (select k.relnamespace from pg_catalog.pg_trigger g join pg_catalog.pg_class k on k.oid = g.tgrelid where g.oid = d.objid)
             when 'pg_catalog.pg_attrdef'::regclass then (select k.relnamespace from pg_catalog.pg_attrdef a join pg_catalog.pg_class k on k.oid = a.adrelid where a.oid = d.objid)
             when 'pg_catalog.pg_constraint'::regclass then (select coalesce(k.relnamespace, t.typnamespace) from pg_catalog.pg_constraint o
                                                              left join pg_catalog.pg_class k on k.oid = o.conrelid
                                                              left join pg_catalog.pg_type t on t.oid = o.contypid where o.oid = d.objid)
             when 'pg_catalog.pg_policy'::regclass then (select k.relnamespace from pg_catalog.pg_policy y join pg_catalog.pg_class k on k.oid = y.polrelid where y.oid = d.objid)
             when 'pg_catalog.pg_amop'::regclass then (select f.opfnamespace from pg_catalog.pg_amop a join pg_catalog.pg_opfamily f on f.oid = a.amopfamily where a.oid = d.objid)
             when 'pg_catalog.pg_amproc'::regclass then (select f.opfnamespace from pg_catalog.pg_amproc a join pg_catalog.pg_opfamily f on f.oid = a.amprocfamily where a.oid = d.objid)
           end, 0) <> all (ours)
  ) x;
  if found is not null then
    raise exception using errcode = '2BP01',
      message = 'pgtide cannot be uninstalled: objects of yours would be dropped with its schemas',
      detail = found,
      hint = 'Move your objects out of tide and _tide (ALTER <kind> ... SET SCHEMA public, ALTER EXTENSION ... SET SCHEMA for an extension; ALTER PUBLICATION ... DROP TABLES IN SCHEMA for a publication), save and drop your objects over pgtide''s (pg_get_viewdef for views), finish or undo an unconvert under way, then run pgtide uninstall again.';
  end if;
end
$guard$;`;
}

/**
 * Remove schemas tide and _tide and our pg_cron job. Managed tables, their partitions and
 * rows stay: they belong to the user. Refused (2BP01, nothing changed) when anything of the
 * user's lives in our schemas or depends on them (uninstallGuardSql).
 */
export async function uninstall(
  client: pg.ClientBase,
  opts: {
    waitSeconds?: number;
    log?: Log;
    /** this database's URL, to reach pg_cron's database */ targetUrl?: string;
    /** pg_cron's database, when this role may not read cron.database_name */ cronUrl?: string;
    /** uninstall even when pgtide's pg_cron job cannot be removed from here (it is then left, with a note) */ keepCronJob?: boolean;
  } = {},
): Promise<UninstallResult> {
  const log = opts.log ?? noop;
  await client.query(`select set_config('application_name', 'pgtide', false)`);
  return withInstallLock(client, opts.waitSeconds ?? 120, async () => {
    const kept: string[] = [];
    // nothing is changed (not even the pg_cron job) when something of the user's would go too
    await client.query(uninstallGuardSql(viewNames(), functionNames()));  // finds nothing where the schemas are gone
    const managed = await client.query<{ t: string | null }>(`select to_regclass('_tide.managed_tables')::text as t`);
    if (managed.rows[0]?.t) {
      const r = await client.query<{ parent: string }>(
        `select parent::text as parent from _tide.managed_tables order by 1`,
      );
      kept.push(...r.rows.map((x) => x.parent));
    }
    let unscheduled = false;
    const notes: string[] = [];
    const named = await client.query<{ ok: boolean }>(`select to_regprocedure('_tide.cron_job_name(name)') is not null as ok`);
    if (named.rows[0]?.ok) {
      // the job's name as SQL spells it; should that fail too, the configured name it starts with
      const job = () =>
        client
          .query<{ name: string; db: string }>(`select _tide.cron_job_name() as name, current_database() as db`)
          .then((r) => r.rows[0]!)
          .catch(() => ({ name: "pgtide-maintenance", db: null }));
      const byHand = (f: { name: string; db: string | null }) =>
        `in pg_cron's database run: select cron.unschedule(jobid) from cron.job where jobname = ${lit(f.name)}` +
        (f.db === null ? "" : ` and database = ${lit(f.db)}`);
      if (opts.keepCronJob) {
        notes.push(`pgtide's pg_cron job, if there is one, was left as it is (--keep-cron-job); to remove it, ${byHand(await job())}`);
      } else {
        try {
          unscheduled = await unscheduleFromCronDatabase(client as pg.Client, { targetUrl: opts.targetUrl, cronUrl: opts.cronUrl });
          if (unscheduled) log("pg_cron job removed");
        } catch (err) {
          // nothing is changed yet: a job left behind would call the dropped tide.run_maintenance every run
          const f = await job();
          const e = err as Error & { hint?: string };
          throw Object.assign(
            new Error(`uninstall changed nothing: it could not remove pgtide's pg_cron job ${f.name} (${e.message})`),
            {
              code: SQLSTATE.objectNotInPrerequisiteState,
              detail: e.hint,
              hint:
                `pass --cron-database-url <URL of pg_cron's database> so it can, or --keep-cron-job to uninstall anyway ` +
                `and remove the job by hand: ${byHand(f)}`,
            },
          );
        }
      }
    }
    // Partitions of user tables never depend on our schemas: only our own objects go.
    await client.query("begin");
    try {
      await client.query(`select set_config('lock_timeout', '5s', true)`);
      // the default partitions' fences are CHECKs of ours on user tables: they go first
      const fences = await client.query<{ ok: boolean }>(`select to_regprocedure('_tide.drop_fences(regclass)') is not null as ok`);
      if (fences.rows[0]?.ok) {
        await client.query("savepoint fences");
        try {
          await client.query(`select _tide.drop_fences(parent) from _tide.managed_tables`);
        } catch (err) {
          await client.query("rollback to savepoint fences");
          notes.push(`a default partition's tide_fence_* CHECK could not be dropped (${(err as Error).message}); drop it with ALTER TABLE … DROP CONSTRAINT`);
        }
      }
      await client.query(`drop schema if exists tide cascade`);
      await client.query(`drop schema if exists _tide cascade`);
      await client.query("commit");
    } catch (err) {
      await client.query("rollback");
      throw err;
    }
    log(`schemas tide and _tide dropped; ${kept.length} managed table(s) kept as they are`);
    return { droppedSchemas: ["tide", "_tide"], unscheduled, keptTables: kept, notes };
  });
}
