// `pgtide schedule`: tide.schedule() in the database itself when pg_cron lives there, else the
// cron.schedule_in_database(...) call that SQL composes, run over a second connection to pg_cron's
// database (pg_cron 1.4 keeps its functions in the database named by cron.database_name only).
import pg from "pg";
import { requireInstalled } from "./connection.js";

export interface ScheduleResult {
  jobid: number;
  jobName: string;
  /** The database the job was created in (pg_cron's), and the one it runs maintenance in. */
  cronDatabase: string;
  targetDatabase: string;
  via: "tide.schedule" | "cron database";
}

/** What the target database knows of pg_cron, read without failing (see _tide.cron_location). */
interface CronFacts {
  here: string;
  name: string;
  loaded: boolean;
  /** cron.database_name; null when pg_cron is not loaded, or when this role may not read it and the extension is not here. */
  cron_db: string | null;
  /** pg_cron's functions and tables are usable from this database. */
  local: boolean;
  /** pg_cron's extension is created in this database. */
  ext_here: boolean;
}

const cronFactsSql = (stmt: string) => `select current_database() as here, _tide.cron_job_name() as name, l.loaded, l.database as cron_db,
       case when l.schema_usable then to_regclass('cron.job') is not null else false end as local,
       exists (select from pg_catalog.pg_extension e where e.extname = 'pg_cron') as ext_here, ${stmt} as stmt
  from _tide.cron_location() l`;

/**
 * pg_cron's database when the job has to be made over a second connection, else null (tide.schedule and
 * tide.unschedule then act here, or raise saying why not). A cron URL given by the caller is used when
 * this role may not read cron.database_name, so the database cannot be known from here.
 */
function otherCronDatabase(f: CronFacts, cronUrl: string | undefined): string | null {
  if (f.local || !f.loaded || f.cron_db === f.here) return null;
  if (f.cron_db !== null) return f.cron_db;
  // only the caller's cron URL names it: that URL is what is connected to (cronClientConfig)
  return cronUrl ?? null;
}

/** The URL of the same server with another database. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = "/" + encodeURIComponent(database);
  return u.toString();
}

/**
 * How to reach database `cronDb` of the same server: `cronUrl` as given, else `targetUrl` with the
 * database replaced, else the parameters `client` was opened with (a URL, DATABASE_URL or the PG*
 * variables; a Unix-socket directory as host too) with the database replaced.
 */
function cronClientConfig(client: pg.Client, cronDb: string, opts: { targetUrl?: string; cronUrl?: string }): pg.ClientConfig {
  if (opts.cronUrl) return { connectionString: opts.cronUrl, application_name: "pgtide" };
  if (opts.targetUrl) return { connectionString: withDatabase(opts.targetUrl, cronDb), application_name: "pgtide" };
  const p = client as unknown as { host: string; port: number; user: string; password?: string | null; ssl?: pg.ClientConfig["ssl"] };
  return { host: p.host, port: p.port, user: p.user, password: p.password ?? undefined, ssl: p.ssl, database: cronDb, application_name: "pgtide" };
}

/**
 * Schedules `CALL tide.run_maintenance()` for the database `client` is connected to. `cronUrl`
 * (default: `targetUrl` with the database replaced by cron.database_name) is used only when
 * pg_cron lives in another database.
 */
export async function scheduleFromCronDatabase(
  client: pg.Client,
  opts: { cron?: string; targetUrl?: string; cronUrl?: string } = {},
): Promise<ScheduleResult> {
  const cron = opts.cron ?? "*/10 * * * *";
  await requireInstalled(client);
  const f = (await client.query<CronFacts & { stmt: string }>(cronFactsSql("_tide.cron_schedule_statement($1)"), [cron])).rows[0]!;
  const cronDb = otherCronDatabase(f, opts.cronUrl);
  if (cronDb === null) {
    const r = await client.query<{ id: string }>("select tide.schedule($1) as id", [cron]);
    return { jobid: Number(r.rows[0]!.id), jobName: f.name, cronDatabase: f.here, targetDatabase: f.here, via: "tide.schedule" };
  }
  const cronClient = new pg.Client(cronClientConfig(client, cronDb, opts));
  await cronClient.connect();
  try {
    // one job, one role, as tide.schedule decides: another role's job is refused, or replaced by a superuser
    const me = await cronRole(cronClient);
    await checkJobRole(client, "schedule", me.role, me.su);
    // the other role's job goes only with this one made: one transaction in pg_cron's database
    await cronClient.query("begin");
    let r;
    try {
      if (me.su) {
        await cronClient.query("select count(cron.unschedule(jobid)) from cron.job where jobname = $1 and database = $2 and username <> current_user",
          [f.name, f.here]);
      }
      r = await cronClient.query<{ id: string; db: string; role: string }>(
        f.stmt.replace(/;$/, "") + " as id, current_database() as db, current_user as role");
      await cronClient.query("commit");
    } catch (e) {
      await cronClient.query("rollback").catch(() => undefined);
      throw e;
    }
    await client.query(
      `insert into _tide.settings (name, value) values ('cron_schedule', $1), ('cron_job_role', $2)
       on conflict (name) do update set value = excluded.value`,
      [cron, r.rows[0]!.role],
    );
    return { jobid: Number(r.rows[0]!.id), jobName: f.name, cronDatabase: r.rows[0]!.db, targetDatabase: f.here, via: "cron database" };
  } finally {
    await cronClient.end();
  }
}

/** The role pg_cron's database is reached as, and whether it is a superuser (which sees every role's jobs). */
async function cronRole(cronClient: pg.Client): Promise<{ role: string; su: boolean }> {
  const r = await cronClient.query<{ role: string; su: boolean }>(
    "select current_user as role, coalesce((select rolsuper from pg_roles where rolname = current_user), false) as su");
  return r.rows[0]!;
}

/**
 * _tide.cron_job_role_check in the target database: refuses (55000, naming the role) to act on a job
 * another role scheduled. An install from before it has neither the check nor a record: nothing to check.
 */
async function checkJobRole(client: pg.Client, action: "schedule" | "unschedule", role: string, su: boolean): Promise<void> {
  const has = await client.query<{ ok: boolean }>("select to_regprocedure('_tide.cron_job_role_check(text,name,boolean)') is not null as ok");
  if (has.rows[0]!.ok) await client.query("select _tide.cron_job_role_check($1, $2, $3)", [action, role, su]);
}

/** Removes the job scheduled by scheduleFromCronDatabase; false when there was none. */
export async function unscheduleFromCronDatabase(
  client: pg.Client,
  opts: { targetUrl?: string; cronUrl?: string } = {},
): Promise<boolean> {
  await requireInstalled(client);
  const f = (await client.query<CronFacts>(cronFactsSql("null"))).rows[0]!;
  const cronDb = otherCronDatabase(f, opts.cronUrl);
  if (cronDb === null) {
    // pg_cron runs jobs from this database but its extension was never created here: there is no job
    if (f.loaded && !f.local && f.cron_db === f.here && !f.ext_here) return false;
    return (await client.query<{ ok: boolean }>("select tide.unschedule() as ok")).rows[0]!.ok;
  }
  const cronClient = new pg.Client(cronClientConfig(client, cronDb, opts));
  await cronClient.connect();
  try {
    // nor when it was never created in pg_cron's own database (pg_cron loaded, nothing scheduled yet)
    const ext = await cronClient.query<{ ok: boolean }>("select exists (select from pg_catalog.pg_extension where extname = 'pg_cron') as ok");
    if (!ext.rows[0]!.ok) return false;
    const me = await cronRole(cronClient);
    // as tide.unschedule: a superuser removes every role's job of this database; another role its own,
    // and is refused, naming the role, when the job is another role's
    const r = await cronClient.query(
      "select cron.unschedule(jobid) from cron.job where jobname = $1 and database = $2 and (username = current_user or $3)",
      [f.name, f.here, me.su],
    );
    const removed = (r.rowCount ?? 0) > 0;
    if (!removed && !me.su) await checkJobRole(client, "unschedule", me.role, false);
    // the record goes with the job (a superuser's: whoever's); a role sees all its own jobs, so a
    // record of its own with no job is one removed by hand
    await client.query("delete from _tide.settings where name = 'cron_job_role' and (value = $1 or $2)", [me.role, me.su]);
    return removed;
  } finally {
    await cronClient.end();
  }
}
