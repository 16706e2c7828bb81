// A real pg_cron run: pgtide's job scheduled every minute from pg_cron's database (the test cluster
// sets cron.database_name = 'postgres'), seen firing in tide.tables, then failing in tide.health.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { adminQuery, freshDatabase, type TestDatabase } from "./db.js";
import { waitFor } from "./app.js";
import { scheduleFromCronDatabase, unscheduleFromCronDatabase } from "../../installer/schedule.js";

describe("pg_cron", () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await freshDatabase({ prefix: "cron" });
    client = await db.client();
    await client.query(`create table "Cron ""t""" (at timestamptz not null, v int) partition by range (at)`);
    await client.query(`select count(*) from tide.manage('"Cron ""t"""', 'at', '1 day', premake => 3)`);
  });
  afterAll(async () => {
    if (client) await unscheduleFromCronDatabase(client, { targetUrl: db.url }).catch(() => undefined);
    await db?.drop();
  });

  it("tide.schedule() in a database that is not pg_cron's raises with the statement to run there", async () => {
    const err = await client.query("select tide.schedule('* * * * *')").then(
      () => undefined,
      (e: { code?: string; hint?: string; message: string }) => e,
    );
    expect(err?.code).toBe("55000");
    expect(err?.message).toMatch(/pg_cron lives in database postgres/);
    expect(err?.hint).toContain(`select cron.schedule_in_database('pgtide-maintenance@${db.name}', '* * * * *', 'CALL tide.run_maintenance()', '${db.name}');`);
  });

  it("a job scheduled every minute runs maintenance, and tide.tables records it (≤ 75 s)", async () => {
    const first = await scheduleFromCronDatabase(client, { cron: "* * * * *", targetUrl: db.url });
    const again = await scheduleFromCronDatabase(client, { cron: "* * * * *", targetUrl: db.url });
    expect(again.jobid).toBe(first.jobid);
    const jobs = await adminQuery<{ n: string }>("select count(*) as n from cron.job where database = $1", [db.name]);
    expect(Number(jobs.rows[0]!.n)).toBe(1);

    await client.query("delete from _tide.log");
    const run = await waitFor("a maintenance run from pg_cron", 75_000, async () => {
      const r = await client.query<{ last_run_at: Date | null; last_outcome: string | null }>(
        "select last_run_at, last_outcome from tide.tables",
      );
      return r.rows[0]?.last_run_at ? r.rows[0] : undefined;
    });
    expect(run.last_outcome).toBe("ok");
    const details = await adminQuery<{ status: string }>(
      "select d.status from cron.job_run_details d where d.jobid = $1 order by d.start_time desc limit 1",
      [first.jobid],
    );
    expect(details.rows[0]?.status).toBe("succeeded");
  });

  it("a failing run shows in tide.health (≤ 75 s)", async () => {
    // the newest partition is replaced by an unrelated table of the same name: creating it must fail
    const newest = await client.query<{ p: string; name: string }>(
      `select partition::text as p, partition_name as name from tide.partitions where not is_default order by lower(time_range) desc limit 1`,
    );
    const { p, name } = newest.rows[0]!;
    await client.query(`alter table "Cron ""t""" detach partition ${p}`);
    await client.query(`drop table ${p}`);
    await client.query(`create table public.${client.escapeIdentifier(name)} (unrelated int)`);
    await client.query("delete from _tide.log");
    const problem = await waitFor("maintenance_failing in tide.health", 75_000, async () => {
      const r = await client.query<{ severity: string; detail: string }>(
        `select severity, detail from tide.health where "check" = 'maintenance_failing'`,
      );
      return r.rows[0];
    });
    expect(problem.severity).toBe("critical");
    expect(problem.detail).toContain(name.replace(/"/g, '""')); // the relation, as quoted in the error
  });

  it("a role that did not schedule the job (pg_cron hides it) is told whose it is by unschedule, and the job stays", async () => {
    const job = await scheduleFromCronDatabase(client, { cron: "*/30 * * * *", targetUrl: db.url });
    const role = `pgtide_other_${db.name}`.slice(0, 63);
    await adminQuery(`create role ${role} login in role tide_admin`);
    await adminQuery(`grant usage on schema cron to ${role}`);
    try {
      const u = new URL(db.url);
      u.username = role;
      const other = new (await import("pg")).default.Client({ connectionString: u.toString() });
      await other.connect();
      try {
        // a role that may not read cron.database_name names pg_cron's database itself
        const cronUrl = new URL(u.toString());
        cronUrl.pathname = "/postgres";
        const err = await unscheduleFromCronDatabase(other, { targetUrl: u.toString(), cronUrl: cronUrl.toString() }).then(
          () => undefined,
          (e: { code?: string; message: string; hint?: string }) => e,
        );
        expect(err?.code).toBe("55000");
        expect(err?.message).toMatch(/was scheduled by role \S+, whose jobs role pgtide_other_/);
        expect(err?.hint).toContain("run pgtide unschedule --database-url <this database> --cron-database-url <pg_cron's database>");
      } finally {
        await other.end();
      }
      const left = await adminQuery<{ n: string }>("select count(*) as n from cron.job where jobid = $1", [job.jobid]);
      expect(Number(left.rows[0]!.n)).toBe(1);
    } finally {
      await adminQuery(`revoke usage on schema cron from ${role}`);
      await adminQuery(`drop owned by ${role}`).catch(() => undefined);
      await adminQuery(`drop role ${role}`);
    }
    // the role that scheduled it removes it
    expect(await unscheduleFromCronDatabase(client, { targetUrl: db.url })).toBe(true);
  });
});
