// Checks a database before anything is installed into it, and says what to do about each
// problem. Facts are gathered once and judged by a pure function, so tests can feed in facts
// a real server here cannot produce (an old server version, a role without privileges).
import type pg from "pg";
import { SQLSTATE } from "./connection.js";

export interface Facts {
  serverVersionNum: number;
  serverVersion: string;
  database: string;
  currentUser: string;
  isSuperuser: boolean;
  inRecovery: boolean;
  /** null when this role may not read the setting (superuser-only where pg_read_all_settings is not held). */
  sharedPreloadLibraries: string | null;
  /** null when pg_cron is not loaded or the setting is not readable. */
  cronDatabaseName: string | null;
  /**
   * false when reading cron.database_name raised 42501: the setting exists (pg_cron defined it, so it
   * is loaded) but it is superuser-only and this role may not read it.
   */
  cronDatabaseNameReadable: boolean;
  cronExtensionInstalled: boolean;
  canCreateSchema: boolean;
  alreadyInstalled: boolean;
  /** Schemas tide and _tide where they exist: their owner, and whether this role has its privileges (an upgrade alters what they hold). */
  installedSchemas: { schema: string; owner: string; isOwner: boolean }[];
  /**
   * Owners of functions, procedures, views, tables, sequences and types in tide and _tide that this
   * role neither is nor is a member of (an upgrade replaces or alters each, which only its owner may):
   * e.g. those a superuser's upgrade created. Empty for a superuser.
   */
  foreignObjectOwners?: string[];
}

export type Level = "ok" | "warning" | "error";

export interface Check {
  name: string;
  level: Level;
  message: string;
}

export interface PreflightReport {
  facts: Facts;
  checks: Check[];
  ok: boolean;
  /** How maintenance will be scheduled in this database. */
  scheduling: "pg_cron" | "pg_cron_other_database" | "external";
}

export const MIN_SERVER_VERSION = 140000;

export async function gatherFacts(client: pg.ClientBase): Promise<Facts> {
  const base = await client.query<{
    num: string;
    version: string;
    db: string;
    usr: string;
    su: boolean;
    recovery: boolean;
    can_create: boolean;
    installed: boolean;
    cron_ext: boolean;
  }>(`select current_setting('server_version_num') as num,
             current_setting('server_version') as version,
             current_database() as db, current_user as usr,
             (select rolsuper from pg_catalog.pg_roles where rolname = current_user) as su,
             pg_catalog.pg_is_in_recovery() as recovery,
             has_database_privilege(current_database(), 'CREATE') as can_create,
             exists (select from pg_catalog.pg_namespace where nspname = '_tide') as installed,
             exists (select from pg_catalog.pg_extension where extname = 'pg_cron') as cron_ext`);
  const row = base.rows[0]!;
  // current_setting(name, true) answers NULL only for a setting that does not exist: a superuser-only
  // one (shared_preload_libraries, cron.database_name) raises 42501 for other roles
  const setting = async (name: string): Promise<{ value: string | null; readable: boolean }> => {
    try {
      const r = await client.query<{ v: string | null }>(`select current_setting($1, true) as v`, [name]);
      return { value: r.rows[0]?.v ?? null, readable: true };
    } catch (err) {
      if ((err as { code?: string }).code !== SQLSTATE.insufficientPrivilege) throw err;
      return { value: null, readable: false };
    }
  };
  const schemas = await client.query<{ schema: string; owner: string; is_owner: boolean }>(
    `select n.nspname as schema, pg_catalog.pg_get_userbyid(n.nspowner) as owner,
            pg_catalog.pg_has_role(current_user, n.nspowner, 'USAGE') as is_owner
       from pg_catalog.pg_namespace n where n.nspname in ('tide', '_tide') order by n.nspname desc`,
  );
  const objects = await client.query<{ owners: string[] }>(
    `select coalesce(array_agg(distinct pg_catalog.pg_get_userbyid(o.owner)::text order by pg_catalog.pg_get_userbyid(o.owner)::text), '{}') as owners
       from (select p.proowner as owner from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
              where n.nspname in ('tide', '_tide')
             union
             -- not the views: the code step drops and re-creates every one of them, which the schema's owner may
             select c.relowner from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
              where n.nspname in ('tide', '_tide') and c.relkind in ('r', 'p', 'm', 'S', 'f')
             union
             -- nor a relation's row type or an array type: they go with their relation or element type
             select t.typowner from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
              where n.nspname in ('tide', '_tide') and t.typcategory <> 'A'
                and not exists (select from pg_catalog.pg_class k where k.oid = t.typrelid and k.relkind <> 'c')) o
      where not pg_catalog.pg_has_role(current_user, o.owner, 'USAGE')`,
  );
  const cronDb = await setting("cron.database_name");
  return {
    serverVersionNum: Number(row.num),
    serverVersion: row.version,
    database: row.db,
    currentUser: row.usr,
    isSuperuser: row.su,
    inRecovery: row.recovery,
    sharedPreloadLibraries: (await setting("shared_preload_libraries")).value,
    cronDatabaseName: cronDb.value,
    cronDatabaseNameReadable: cronDb.readable,
    cronExtensionInstalled: row.cron_ext,
    canCreateSchema: row.can_create,
    alreadyInstalled: row.installed,
    installedSchemas: schemas.rows.map((r) => ({ schema: r.schema, owner: r.owner, isOwner: r.is_owner })),
    foreignObjectOwners: objects.rows[0]?.owners ?? [],
  };
}

export function judge(facts: Facts): PreflightReport {
  const checks: Check[] = [];
  if (facts.serverVersionNum < MIN_SERVER_VERSION) {
    checks.push({
      name: "server version",
      level: "error",
      message: `PostgreSQL ${facts.serverVersion} is too old: pgtide needs 14 or newer (ATTACH/DETACH PARTITION locking, CREATE OR REPLACE TRIGGER). Upgrade the server.`,
    });
  } else {
    checks.push({ name: "server version", level: "ok", message: `PostgreSQL ${facts.serverVersion}` });
  }
  if (facts.inRecovery) {
    checks.push({
      name: "primary",
      level: "error",
      message: "this server is a standby (in recovery): install on the primary; standbys receive pgtide through replication",
    });
  }
  // an upgrade needs what a first install needs (the installer runs CREATE SCHEMA IF NOT EXISTS, which
  // checks CREATE on the database even when the schema exists), and it replaces the functions and
  // views of tide and _tide and alters their tables, which only their owner (or a member of it) may
  const problems: string[] = [];
  if (!facts.canCreateSchema) {
    problems.push(
      `role ${facts.currentUser} may not create schemas in database ${facts.database}: run  GRANT CREATE ON DATABASE ${quoteIdent(facts.database)} TO ${quoteIdent(facts.currentUser)};  or install as the database owner`,
    );
  }
  const foreign = facts.installedSchemas.filter((n) => !n.isOwner);
  if (foreign.length > 0) {
    const owners = [...new Set(foreign.map((n) => n.owner))];
    problems.push(
      `pgtide is installed here by role ${owners.join(", ")} (owner of schema ${foreign.map((n) => n.schema).join(" and ")}), and ` +
        `role ${facts.currentUser} may not upgrade or re-apply it: run pgtide install as ${owners.join(" or ")}, or as a role that is a member of it`,
    );
  }
  // owning the schemas is not enough: CREATE OR REPLACE FUNCTION and ALTER TABLE need the owner of each
  // object, and what a superuser's upgrade created belongs to that superuser
  const objectOwners = (facts.foreignObjectOwners ?? []).filter((o) => !foreign.some((n) => n.owner === o));
  if (objectOwners.length > 0) {
    problems.push(
      `objects in tide and _tide (functions, views, tables, sequences or types) belong to role ${objectOwners.join(", ")}, ` +
        `which role ${facts.currentUser} is not a member of, and only their owner may replace or alter them: ` +
        `run pgtide install as ${objectOwners.join(" or ")} (or a superuser), or have it  ALTER ... OWNER TO ${quoteIdent(facts.currentUser)}  each of them`,
    );
  }
  if (problems.length > 0) {
    checks.push({ name: "privileges", level: "error", message: problems.join("; and ") });
  } else {
    checks.push({
      name: "privileges",
      level: "ok",
      message:
        facts.installedSchemas.length > 0
          ? `role ${facts.currentUser} may create schemas and owns ${facts.installedSchemas.map((n) => n.schema).join(" and ")} (or is a member of the owner)`
          : `role ${facts.currentUser} may create schemas`,
    });
  }

  const preload = facts.sharedPreloadLibraries;
  // shared_preload_libraries is superuser-only too: a role that may not read it learns whether pg_cron is
  // loaded from cron.database_name, which pg_cron defines superuser-only when it loads (a value set in
  // postgresql.conf without the library is a placeholder that anyone may read)
  const cronLoaded = preload !== null ? /(^|[\s,])pg_cron($|[\s,])/.test(preload) : !facts.cronDatabaseNameReadable;
  // pg_cron's extension can only be created in cron.database_name: where the setting is unreadable, it
  // being here says this is that database
  const cronDatabase = facts.cronDatabaseNameReadable ? facts.cronDatabaseName : facts.cronExtensionInstalled ? facts.database : null;
  const loadedBecause = facts.cronDatabaseNameReadable
    ? "pg_cron is loaded, and "
    : `role ${facts.currentUser} may not read cron.database_name (a superuser-only setting); pg_cron is loaded (the setting exists), and `;
  let scheduling: PreflightReport["scheduling"] = "external";
  if (!cronLoaded) {
    checks.push({
      name: "pg_cron",
      level: "warning",
      message:
        (preload === null ? "pg_cron is not loaded (cron.database_name is not defined)" : "pg_cron is not in shared_preload_libraries") +
        ", so pgtide cannot schedule itself. Add pg_cron to " +
        "shared_preload_libraries and restart, or run  CALL tide.run_maintenance();  every 10 minutes " +
        "from any scheduler (cron, systemd timer, Kubernetes CronJob) with  psql -c 'CALL tide.run_maintenance()'",
    });
  } else if (cronDatabase === null) {
    scheduling = "pg_cron_other_database";
    checks.push({
      name: "pg_cron",
      level: "warning",
      message:
        loadedBecause +
        `its extension (which can only be created in that database) is not created in ${facts.database}: ` +
        `pg_cron runs jobs from another database. Schedule with  pgtide schedule --cron-database-url <URL of pg_cron's database>  ` +
        `(it uses cron.schedule_in_database there, which needs a role allowed to use the cron schema), or ask a superuser which database it is`,
    });
  } else if (cronDatabase !== facts.database) {
    scheduling = "pg_cron_other_database";
    checks.push({
      name: "pg_cron",
      level: "warning",
      message:
        `pg_cron runs jobs from database ${cronDatabase} (cron.database_name), not ${facts.database}: ` +
        `schedule with  pgtide schedule  (it connects to ${cronDatabase} and uses cron.schedule_in_database), ` +
        `which needs a role allowed to use the cron schema there`,
    });
  } else {
    scheduling = "pg_cron";
    checks.push({
      name: "pg_cron",
      level: facts.cronExtensionInstalled ? "ok" : "warning",
      message: facts.cronExtensionInstalled
        ? !facts.cronDatabaseNameReadable
          ? `${loadedBecause}its extension is created in this database, which is therefore the one it runs jobs from`
          : "pg_cron is loaded and installed in this database"
        : "pg_cron is loaded but the extension is not created here: the installer will try  CREATE EXTENSION pg_cron",
    });
  }
  return { facts, checks, ok: !checks.some((c) => c.level === "error"), scheduling };
}

export async function preflight(client: pg.ClientBase): Promise<PreflightReport> {
  return judge(await gatherFacts(client));
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

export class PreflightError extends Error {
  constructor(public readonly report: PreflightReport) {
    super(
      "pgtide: preflight failed:\n" +
        report.checks
          .filter((c) => c.level === "error")
          .map((c) => `  ✗ ${c.name}: ${c.message}`)
          .join("\n"),
    );
    this.name = "PreflightError";
  }
}
