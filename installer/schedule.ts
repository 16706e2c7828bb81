// `pgtide schedule`: tide.schedule() in the database itself when pg_cron lives there, else the
// cron.schedule_in_database(...) call that SQL composes, run over a second connection to pg_cron's
// database (pg_cron 1.4 keeps its functions in the database named by cron.database_name only).
import pg from "pg";

export interface ScheduleResult {
  jobid: number;
  jobName: string;
  /** The database the job was created in (pg_cron's), and the one it runs maintenance in. */
  cronDatabase: string;
  targetDatabase: string;
  via: "tide.schedule" | "cron database";
}

/** The URL of the same server with another database. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = "/" + encodeURIComponent(database);
  return u.toString();
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
  const facts = await client.query<{ here: string; cron_db: string | null; name: string; stmt: string; local: boolean }>(
    `select current_database() as here, current_setting('cron.database_name', true) as cron_db,
            _tide.cron_job_name() as name, _tide.cron_schedule_statement($1) as stmt,
            to_regprocedure('cron.schedule(text,text,text)') is not null as local`,
    [cron],
  );
  const f = facts.rows[0]!;
  if (f.local || f.cron_db === null || f.cron_db === f.here) {
    const r = await client.query<{ id: string }>("select tide.schedule($1) as id", [cron]);
    return { jobid: Number(r.rows[0]!.id), jobName: f.name, cronDatabase: f.here, targetDatabase: f.here, via: "tide.schedule" };
  }
  const base = opts.targetUrl;
  if (!opts.cronUrl && !base) throw new Error(`pgtide: pg_cron lives in database ${f.cron_db}; pass the connection URL so it can be reached`);
  const cronClient = new pg.Client({ connectionString: opts.cronUrl ?? withDatabase(base as string, f.cron_db), application_name: "pgtide" });
  await cronClient.connect();
  try {
    const r = await cronClient.query<{ id: string }>(f.stmt.replace(/;$/, "") + " as id");
    await client.query(
      `insert into _tide.settings (name, value) values ('cron_schedule', $1) on conflict (name) do update set value = excluded.value`,
      [cron],
    );
    return { jobid: Number(r.rows[0]!.id), jobName: f.name, cronDatabase: f.cron_db, targetDatabase: f.here, via: "cron database" };
  } finally {
    await cronClient.end();
  }
}

/** Removes the job scheduled by scheduleFromCronDatabase; false when there was none. */
export async function unscheduleFromCronDatabase(
  client: pg.Client,
  opts: { targetUrl?: string; cronUrl?: string } = {},
): Promise<boolean> {
  const facts = await client.query<{ here: string; cron_db: string | null; name: string; local: boolean }>(
    `select current_database() as here, current_setting('cron.database_name', true) as cron_db,
            _tide.cron_job_name() as name, to_regclass('cron.job') is not null as local`,
  );
  const f = facts.rows[0]!;
  if (f.local || f.cron_db === null || f.cron_db === f.here) {
    return (await client.query<{ ok: boolean }>("select tide.unschedule() as ok")).rows[0]!.ok;
  }
  const cronClient = new pg.Client({ connectionString: opts.cronUrl ?? withDatabase(opts.targetUrl as string, f.cron_db), application_name: "pgtide" });
  await cronClient.connect();
  try {
    const r = await cronClient.query(
      "select cron.unschedule(jobid) from cron.job where jobname = $1 and database = $2 and username = current_user",
      [f.name, f.here],
    );
    return (r.rowCount ?? 0) > 0;
  } finally {
    await cronClient.end();
  }
}
