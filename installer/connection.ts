// One place that turns --database-url / DATABASE_URL / PG* into a pg client with pgtide's
// session settings, plus the SQLSTATEs and lock keys the installer reasons about.
import pg from "pg";

/** A SQL string literal of S, for the statements pgtide prints or runs as text. */
export function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export const SQLSTATE = {
  lockNotAvailable: "55P03",
  insufficientPrivilege: "42501",
  undefinedTable: "42P01",
  undefinedFunction: "42883",
  invalidSchemaName: "3F000",
  duplicateObject: "42710",
  uniqueViolation: "23505",
  objectNotInPrerequisiteState: "55000",
  tableNotManaged: "TD001",
} as const;

/**
 * The installer's advisory-lock key, derived per database. The same expression is
 * `_tide.lock_key('install')` in SQL; a test keeps the two equal.
 */
export const INSTALL_LOCK_SQL = "hashtextextended('pgtide:install:' || current_database() || ':0', 0)";

/** node-pg-migrate's own lock value (its default is shared by every project on the server). */
export const MIGRATE_LOCK_VALUE = 0x7d1de_0001;

export interface ConnectOptions {
  databaseUrl?: string;
  /** lock_timeout for DDL, e.g. '5s'. */
  lockTimeout?: string;
  applicationName?: string;
}

export function connectionConfig(opts: ConnectOptions = {}): pg.ClientConfig {
  const url = opts.databaseUrl ?? process.env.DATABASE_URL;
  // Without a URL, pg reads the standard PG* variables (PGHOST, PGPORT, PGUSER, PGDATABASE, …).
  return {
    ...(url ? { connectionString: url } : {}),
    application_name: opts.applicationName ?? "pgtide",
  };
}

export async function connect(opts: ConnectOptions = {}): Promise<pg.Client> {
  const client = new pg.Client(connectionConfig(opts));
  await client.connect();
  await client.query(`select set_config('lock_timeout', $1, false)`, [opts.lockTimeout ?? "5s"]);
  return client;
}

/**
 * Fails, with the command to run, when pgtide is not installed in the connected database: the
 * commands that read or schedule it would otherwise stop at a bare "schema does not exist".
 */
export async function requireInstalled(client: pg.ClientBase): Promise<void> {
  const r = await client.query<{ ok: boolean; db: string }>(
    `select to_regnamespace('tide') is not null and to_regnamespace('_tide') is not null as ok, current_database() as db`,
  );
  if (r.rows[0]!.ok) return;
  throw Object.assign(new Error(`pgtide is not installed in database ${r.rows[0]!.db}`), {
    code: SQLSTATE.invalidSchemaName,
    hint: "run  pgtide install  against this database first",
  });
}

/** A readable one-line description of a pg error, with its SQLSTATE, detail and hint. */
export function describeError(err: unknown): string {
  const code = err && typeof err === "object" && "code" in err ? String((err as { code: unknown }).code) : "";
  // ENOENT: a Unix-domain socket (PGHOST=/some/dir) that is not there
  if (["ECONNREFUSED", "ENOTFOUND", "ENOENT", "ETIMEDOUT", "EHOSTUNREACH", "ECONNRESET"].includes(code)) {
    return (
      `cannot connect to the database: ${(err as Error).message}\n` +
      "HINT: check --database-url (or DATABASE_URL / PGHOST, PGPORT, PGUSER, PGDATABASE) and that the server is running"
    );
  }
  if (/^[0-9A-Z]{5}$/.test(code)) {
    const e = err as { message?: string; code?: string; detail?: string; hint?: string };
    return [
      `${e.message ?? String(err)} (SQLSTATE ${e.code})`,
      e.detail ? `DETAIL: ${e.detail}` : "",
      e.hint ? `HINT: ${e.hint}` : "",
    ]
      .filter(Boolean)
      .join("\n");
  }
  return err instanceof Error ? err.message : String(err);
}
