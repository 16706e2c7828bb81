// The one health check that can only be seen from pg_cron's own database: the latest run of
// pgtide's job failed. pgtide is installed into that database (the test cluster's
// cron.database_name is 'postgres'), its job is made to fail, and tide.health must say so.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminUrl } from "./db.js";
import { nextRunPrunes, waitFor } from "./app.js";
import { install, uninstall } from "../../installer/install.js";

describe("pg_cron in its own database", () => {
  let c: pg.Client;
  beforeAll(async () => {
    c = new pg.Client({ connectionString: adminUrl() });
    await c.connect();
    await install(c);
    await c.query(`create table cron_own_db (at timestamptz not null) partition by range (at)`);
    await c.query(`select count(*) from tide.manage('cron_own_db', 'at', '1 day', premake => 2)`);
  });
  afterAll(async () => {
    await c.query(`select tide.unschedule()`).catch(() => undefined);
    await uninstall(c).catch(() => undefined);
    await c.query(`drop table if exists cron_own_db`).catch(() => undefined);
    await c.end();
  });

  it("reports cron_run_failed when the latest run of pgtide's job failed, and names the error (≤ 75 s)", async () => {
    const job = await c.query<{ job: string }>(`select tide.schedule('* * * * *')::text as job`);
    expect(Number(job.rows[0]!.job)).toBeGreaterThan(0);
    // the job's command must fail: its procedure is gone for the duration of the test
    await c.query(`alter procedure tide.run_maintenance(regclass, timestamptz) rename to run_maintenance_hidden`);
    try {
      const problem = await waitFor("cron_run_failed in tide.health", 75_000, async () => {
        const r = await c.query<{ severity: string; detail: string; hint: string }>(
          `select severity, detail, hint from tide.health where "check" = 'cron_run_failed'`,
        );
        return r.rows[0];
      });
      expect(problem.severity).toBe("critical");
      expect(problem.detail).toMatch(/run_maintenance/);
    } finally {
      await c.query(`alter procedure tide.run_maintenance_hidden(regclass, timestamptz) rename to run_maintenance`);
    }
  });

  it("maintenance prunes its own job's old cron.job_run_details rows and no other job's", async () => {
    const ours = await c.query<{ jobid: string }>(`select jobid from cron.job where jobname = _tide.cron_job_name()`);
    const jobid = Number(ours.rows[0]!.jobid);
    // pgtide's job (every minute, from the test above) must not take a run id between the steps below
    await c.query(`select cron.alter_job($1, active := false)`, [jobid]);
    await waitFor("pgtide's job to have no run under way", 15_000, async () => {
      const r = await c.query<{ n: number }>(
        `select count(*)::int as n from cron.job_run_details where jobid = $1 and status in ('starting', 'running')`, [jobid]);
      return r.rows[0]!.n === 0 ? true : undefined;
    });
    const other = await c.query<{ jobid: string }>(`select cron.schedule('someone-elses-job', '0 3 * * *', 'select 1') as jobid`);
    const otherId = Number(other.rows[0]!.jobid);
    try {
      for (const id of [jobid, otherId]) {
        await c.query(
          `insert into cron.job_run_details (jobid, runid, job_pid, database, username, command, status, return_message, start_time, end_time)
           values ($1, nextval('cron.runid_seq'), 0, current_database(), current_user, 'x', 'succeeded', '', now() - interval '30 days', now() - interval '30 days')`,
          [id],
        );
      }
      const old = (id: number) =>
        c.query<{ n: number }>(`select count(*)::int as n from cron.job_run_details where jobid = $1 and end_time < now() - interval '20 days'`, [id]);
      expect((await old(jobid)).rows[0]!.n).toBe(1);
      // pruned in every 60th run, by run id: a run with work before that leaves the rows
      await c.query(`update tide.config set premake = premake + 1 where parent = 'cron_own_db'::regclass`);
      await nextRunPrunes(c, 60);
      await c.query(`select nextval(pg_get_serial_sequence('_tide.runs', 'run_id'))`);
      await c.query(`call tide.run_maintenance()`);
      expect((await old(jobid)).rows[0]!.n).toBe(1);
      await nextRunPrunes(c, 60);
      await c.query(`call tide.run_maintenance()`);
      expect((await old(jobid)).rows[0]!.n).toBe(0);
      expect((await old(otherId)).rows[0]!.n).toBe(1);
    } finally {
      await c.query(`select cron.alter_job($1, active := true)`, [jobid]);
      await c.query(`select cron.unschedule('someone-elses-job')`);
      await c.query(`delete from cron.job_run_details where jobid = $1`, [otherId]);
    }
  });

  it("uninstall removes pgtide's pg_cron job and keeps the managed table with its partitions", async () => {
    const before = await c.query<{ n: number }>(`select count(*)::int as n from pg_inherits where inhparent = 'cron_own_db'::regclass`);
    const r = await uninstall(c);
    expect(r.unscheduled).toBe(true);
    const jobs = await c.query<{ n: number }>(`select count(*)::int as n from cron.job where jobname like 'pgtide%' and database = current_database()`);
    expect(jobs.rows[0]!.n).toBe(0);
    const after = await c.query<{ n: number }>(`select count(*)::int as n from pg_inherits where inhparent = 'cron_own_db'::regclass`);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });
});
