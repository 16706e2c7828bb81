// pgtide as the README promises it, without a superuser: installed by a database owner that is not
// one (on the suite's cluster, pg_cron is preloaded with cron.database_name = postgres, a setting only
// superusers may read), read by a member of tide_monitor, and refused to a role that may not upgrade.
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgtide, requireCli } from "./cli-run.js";
import { adminQuery, urlFor } from "./db.js";
import { startCluster, stopCluster } from "../../installer/cluster.js";

const tag = randomBytes(4).toString("hex");
const owner = `pgtide_t_owner_${tag}`;
const monitor = `pgtide_t_monitor_${tag}`;
const plain = `pgtide_t_plain_${tag}`;
const database = `pgtide_t_roles_${tag}`;

function urlAs(role: string, db = database): string {
  const u = new URL(urlFor(db));
  u.username = role;
  u.password = "";
  return u.toString();
}

async function queryAs<R extends pg.QueryResultRow>(role: string, sql: string): Promise<pg.QueryResult<R>> {
  const c = new pg.Client({ connectionString: urlAs(role) });
  await c.connect();
  try {
    return await c.query<R>(sql);
  } finally {
    await c.end();
  }
}

async function errorAs(role: string, sql: string): Promise<{ code?: string; message: string; hint?: string }> {
  try {
    await queryAs(role, sql);
  } catch (e) {
    return e as { code?: string; message: string; hint?: string };
  }
  throw new Error(`expected ${sql} to fail`);
}

beforeAll(async () => {
  requireCli();
  await adminQuery(`create role ${owner} login`);
  await adminQuery(`create role ${monitor} login in role tide_monitor`);
  await adminQuery(`create role ${plain} login`);
  await adminQuery(`create database ${database} owner ${owner} template template0`);
  const r = await pgtide(["install", "--json", "--database-url", urlAs(owner)]);
  if (r.code !== 0) throw new Error(`install as ${owner} failed: ${r.stderr}`);
  await queryAs(owner, `create table roles_log (at timestamptz not null) partition by range (at);
                        select count(*) from tide.manage('roles_log', 'at', '1 day', premake => 3);`);
});

afterAll(async () => {
  await adminQuery(`select cron.unschedule(jobid) from cron.job where database = $1`, [database]).catch(() => undefined);
  await adminQuery(`drop database if exists ${database} with (force)`);
  for (const r of [owner, monitor, plain]) await adminQuery(`drop role if exists ${r}`);
});

describe("installed by a database owner that is not a superuser, pg_cron loaded for another database", () => {
  it("preflight knows pg_cron is loaded though cron.database_name is unreadable, and says so", async () => {
    const r = await pgtide(["preflight", "--json", "--database-url", urlAs(owner)]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { scheduling: string; checks: { name: string; message: string }[] };
    expect(report.scheduling).toBe("pg_cron_other_database");
    const cron = report.checks.find((c) => c.name === "pg_cron")!.message;
    expect(cron).toContain("may not read cron.database_name");
    expect(cron).not.toContain("not in shared_preload_libraries");
  });

  it("reads tide.health, with the scheduling state it cannot know said as such", async () => {
    const r = await queryAs<{ check: string; detail: string }>(owner, `select "check", detail from tide.health`);
    const unscheduled = r.rows.find((h) => h.check === "not_scheduled");
    expect(unscheduled?.detail).toContain("cron.database_name is not readable");
  });

  it("tide.schedule() and tide.unschedule() raise 55000 with the statement to run in pg_cron's database", async () => {
    const s = await errorAs(owner, `select tide.schedule()`);
    expect(s.code).toBe("55000");
    expect(s.hint).toContain(`cron.schedule_in_database('pgtide-maintenance@${database}'`);
    const u = await errorAs(owner, `select tide.unschedule()`);
    expect(u.code).toBe("55000");
    expect(u.hint).toContain(`jobname = 'pgtide-maintenance@${database}'`);
  });

  it("pgtide status and metrics work", async () => {
    const s = await pgtide(["status", "--json", "--database-url", urlAs(owner)]);
    expect(s.stderr).toBe("");
    expect(s.code).toBe(1);
    expect((JSON.parse(s.stdout) as { tables: { parent: string }[] }).tables.map((t) => t.parent)).toEqual(["public.roles_log"]);
    const m = await pgtide(["metrics", "--database-url", urlAs(owner)]);
    expect(m.code).toBe(0);
    expect(m.stdout).toContain(`pgtide_managed_tables{database="${database}"} 1`);
  });

  it("pgtide schedule and unschedule --json reach pg_cron's database through --cron-database-url", async () => {
    const cronUrl = urlFor("postgres");
    const s = await pgtide(["schedule", "--json", "--database-url", urlAs(owner), "--cron-database-url", cronUrl]);
    expect(s.stderr).toBe("");
    expect(JSON.parse(s.stdout)).toMatchObject({ jobName: `pgtide-maintenance@${database}`, cronDatabase: "postgres", via: "cron database" });
    const jobs = await adminQuery<{ n: number }>(`select count(*)::int as n from cron.job where database = $1`, [database]);
    expect(jobs.rows[0]!.n).toBe(1);
    const u = await pgtide(["unschedule", "--json", "--database-url", urlAs(owner), "--cron-database-url", cronUrl]);
    expect(u.code).toBe(0);
    expect(JSON.parse(u.stdout)).toEqual({ removed: true });
    const left = await adminQuery<{ n: number }>(`select count(*)::int as n from cron.job where database = $1`, [database]);
    expect(left.rows[0]!.n).toBe(0);
  });

  it("pgtide unschedule without a cron database URL fails saying where to run what", async () => {
    const u = await pgtide(["unschedule", "--database-url", urlAs(owner)]);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain("pg_cron runs jobs from another database");
    expect(u.stderr).toContain("--cron-database-url");
  });
});

describe("read by a member of tide_monitor", () => {
  it("pgtide status and metrics work without any privilege on _tide", async () => {
    const s = await pgtide(["status", "--json", "--database-url", urlAs(monitor)]);
    expect(s.stderr).toBe("");
    const report = JSON.parse(s.stdout) as { tables: { parent: string; timeline: { kind: string }[] }[] };
    expect(report.tables[0]!.parent).toBe("public.roles_log");
    expect(report.tables[0]!.timeline.map((p) => p.kind)).toEqual(["current", "ahead", "ahead", "ahead", "default"]);
    const m = await pgtide(["metrics", "--database-url", urlAs(monitor)]);
    expect(m.stderr).toBe("");
    expect(m.stdout).toContain(`pgtide_table_partitions_ahead{database="${database}",table="public.roles_log"} 3`);
  });
});

describe("tide.partitions_scanned for a member of tide_monitor", () => {
  it("plans a query on a table the member may read, and refuses one it may not", async () => {
    const sql = `select partition::text from tide.partitions_scanned($$select * from roles_log where at = now()$$)`;
    // EXPLAIN checks the privileges of the query itself: no plan of a table the role may not read
    const denied = await errorAs(monitor, sql);
    expect(denied.code).toBe("42501");
    expect(denied.message).toContain("roles_log");
    await queryAs(owner, `grant select on roles_log to ${monitor}`);
    try {
      const r = await queryAs<{ partition: string }>(monitor, sql);
      expect(r.rows).toHaveLength(1);
      expect(r.rows[0]!.partition).toMatch(/^roles_log_\d{4}_\d{2}_\d{2}$/);
    } finally {
      await queryAs(owner, `revoke select on roles_log from ${monitor}`);
    }
  });

  it("is refused to a role outside tide_monitor and tide_admin", async () => {
    await queryAs(owner, `grant select on roles_log to ${plain}`);
    try {
      const e = await errorAs(plain, `select * from tide.partitions_scanned($$select * from roles_log$$)`);
      expect(e.code).toBe("42501");
    } finally {
      await queryAs(owner, `revoke select on roles_log from ${plain}`);
    }
  });
});

describe("a role that may not upgrade the installation", () => {
  it("fails preflight, naming the owner, and install stops there", async () => {
    const p = await pgtide(["preflight", "--database-url", urlAs(plain)]);
    expect(p.code).toBe(2);
    expect(p.stdout).toMatch(/^error +privileges: .*may not create schemas/m);
    expect(p.stdout).toContain(`pgtide is installed here by role ${owner}`);
    const i = await pgtide(["install", "--database-url", urlAs(plain)]);
    expect(i.code).toBe(2);
    expect(i.stderr).toContain("preflight failed");
    expect(i.stderr).toContain(`run pgtide install as ${owner}`);
  });
});

describe("an installation a superuser upgraded once", () => {
  it("fails preflight for the schema owner, naming the owner of the objects it may not replace, and install stops there", async () => {
    // what a superuser's upgrade leaves: the functions new in that version belong to the superuser
    const su = new pg.Client({ connectionString: urlFor(database) });
    await su.connect();
    try {
      const superuser = (await su.query<{ u: string }>(`select current_user as u`)).rows[0]!.u;
      await su.query(`alter function _tide.calendar_part(interval) owner to current_user`);
      const p = await pgtide(["preflight", "--database-url", urlAs(owner)]);
      expect(p.code).toBe(2);
      expect(p.stdout).toMatch(/^error +privileges: .*belong to role /m);
      expect(p.stdout).toContain(`belong to role ${superuser}`);
      const i = await pgtide(["install", "--force", "--database-url", urlAs(owner)]);
      expect(i.code).toBe(2);
      expect(i.stderr).toContain("preflight failed");
      expect(i.stderr).toContain(`run pgtide install as ${superuser}`);
      // the superuser passes
      const s = await pgtide(["preflight", "--database-url", urlFor(database)]);
      expect(s.stdout).toMatch(/^ok +privileges/m);
    } finally {
      await su.query(`alter function _tide.calendar_part(interval) owner to ${owner}`);
      await su.end();
    }
    const again = await pgtide(["preflight", "--database-url", urlAs(owner)]);
    expect(again.code).toBe(0);
  });

  it("passes the schema owner when only views belong to the superuser (the code step drops and re-creates every view)", async () => {
    const su = new pg.Client({ connectionString: urlFor(database) });
    await su.connect();
    try {
      // what a superuser's install --force leaves: every view of tide is its own
      await su.query(`do $$ declare v regclass; begin
                        for v in select c.oid from pg_class c where c.relnamespace = 'tide'::regnamespace and c.relkind = 'v' loop
                          execute format('alter view %s owner to current_user', v);
                        end loop; end $$`);
      const p = await pgtide(["preflight", "--database-url", urlAs(owner)]);
      expect(p.stdout).toMatch(/^ok +privileges/m);
      expect(p.code).toBe(0);
      const i = await pgtide(["install", "--force", "--database-url", urlAs(owner)]);
      expect(i.code).toBe(0);
    } finally {
      await su.end();
    }
  });
});

describe("uninstalled by the same owner", () => {
  it("refuses, changing nothing, while it cannot reach pgtide's pg_cron job, saying what to pass", async () => {
    const r = await pgtide(["uninstall", "--database-url", urlAs(owner)]);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain("pgtide removed.");
    expect(r.stderr).toContain("uninstall changed nothing");
    expect(r.stderr).toContain("--cron-database-url");
    expect(r.stderr).toContain("--keep-cron-job");
    expect(r.stderr).toContain(`jobname = 'pgtide-maintenance@${database}'`);
    // with --json the refusal is JSON on stdout too
    const j = await pgtide(["uninstall", "--json", "--database-url", urlAs(owner)]);
    expect(j.code).toBe(2);
    const e = (JSON.parse(j.stdout) as { error: { sqlstate: string; message: string; hint: string } }).error;
    expect(e.sqlstate).toBe("55000");
    expect(e.message).toContain("uninstall changed nothing");
    expect(e.hint).toContain("--keep-cron-job");
    const left = await queryAs<{ n: number }>(owner, `select count(*)::int as n from pg_namespace where nspname in ('tide', '_tide')`);
    expect(left.rows[0]!.n).toBe(2);
  });

  it("removes pgtide and its pg_cron job through --cron-database-url", async () => {
    const cronUrl = urlFor("postgres");
    const s = await pgtide(["schedule", "--json", "--database-url", urlAs(owner), "--cron-database-url", cronUrl]);
    expect(s.code).toBe(0);
    const r = await pgtide(["uninstall", "--database-url", urlAs(owner), "--cron-database-url", cronUrl]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("pgtide removed. Its pg_cron job was unscheduled.");
    const jobs = await adminQuery<{ n: number }>(`select count(*)::int as n from cron.job where database = $1`, [database]);
    expect(jobs.rows[0]!.n).toBe(0);
    const left = await queryAs<{ n: number }>(owner, `select count(*)::int as n from pg_namespace where nspname in ('tide', '_tide')`);
    expect(left.rows[0]!.n).toBe(0);
    // installed again, for the case of --keep-cron-job
    const i = await pgtide(["install", "--database-url", urlAs(owner)]);
    expect(i.code).toBe(0);
  });

  it("with --keep-cron-job removes pgtide, with a note on removing the job by hand", async () => {
    const r = await pgtide(["uninstall", "--keep-cron-job", "--database-url", urlAs(owner)]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("pgtide removed.");
    expect(r.stdout).toContain("--keep-cron-job");
    expect(r.stdout).toContain(`jobname = 'pgtide-maintenance@${database}'`);
    const left = await queryAs<{ n: number }>(owner, `select count(*)::int as n from pg_namespace where nspname in ('tide', '_tide')`);
    expect(left.rows[0]!.n).toBe(0);
  });

  it("then status says pgtide is not installed and how to install it", async () => {
    const r = await pgtide(["status", "--database-url", urlAs(owner)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`pgtide is not installed in database ${database}`);
    expect(r.stderr).toContain("pgtide install");
  });
});

describe("installed by a non-superuser owner of pg_cron's own database", () => {
  // a cluster of its own, as cron.database_name is fixed at server start
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let url: string;
  const cronOwner = "pgtide_cron_owner";
  beforeAll(async () => {
    cluster = await startCluster({ fast: true, settings: { "cron.database_name": "'cron_app'" } });
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    try {
      await admin.query(`create role ${cronOwner} login`);
      await admin.query(`create database cron_app owner ${cronOwner}`);
    } finally {
      await admin.end();
    }
    const su = new pg.Client({ connectionString: cluster.url("cron_app") });
    await su.connect();
    try {
      await su.query("create extension pg_cron");
    } finally {
      await su.end();
    }
    const u = new URL(cluster.url("cron_app"));
    u.username = cronOwner;
    url = u.toString();
  });
  afterAll(async () => {
    if (cluster) await stopCluster(cluster.dir);
  });

  it("knows pg_cron runs jobs from here, and asks for USAGE on schema cron before scheduling", async () => {
    const i = await pgtide(["install", "--json", "--database-url", url]);
    expect(i.code).toBe(0);
    expect((JSON.parse(i.stdout) as { preflight: { scheduling: string } }).preflight.scheduling).toBe("pg_cron");
    // a fresh cluster, installed by a role without CREATEROLE: the operator and monitor roles could not be made
    const notes = (JSON.parse(i.stdout) as { notes: string[] }).notes.join("\n");
    expect(notes).toContain("tide_admin, tide_monitor do not exist");
    expect(notes).toContain("CREATE ROLE tide_admin NOLOGIN");
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(`create table here_log (at timestamptz not null) partition by range (at)`);
      await c.query(`select count(*) from tide.manage('here_log', 'at', '1 day')`);
      await c.query(`select * from tide.health`);
      expect((await c.query(`select _tide.prune_cron_history() as n`)).rows[0].n).toBe("0");
      const err = await c.query(`select tide.schedule()`).then(
        () => undefined,
        (e: { code?: string; hint?: string }) => e,
      );
      expect(err?.code).toBe("42501");
      expect(err?.hint).toContain(`GRANT USAGE ON SCHEMA cron TO ${cronOwner}`);
    } finally {
      await c.end();
    }
    const su = new pg.Client({ connectionString: cluster.url("cron_app") });
    await su.connect();
    await su.query(`grant usage on schema cron to ${cronOwner}`).finally(() => su.end());
    const s = await pgtide(["schedule", "--json", "--database-url", url]);
    expect(s.stderr).toBe("");
    expect(JSON.parse(s.stdout)).toMatchObject({ jobName: "pgtide-maintenance", cronDatabase: "cron_app", via: "tide.schedule" });
    const st = await pgtide(["status", "--json", "--database-url", url]);
    expect((JSON.parse(st.stdout) as { health: { check: string }[] }).health.map((h) => h.check)).not.toContain("not_scheduled");
    const u = await pgtide(["unschedule", "--json", "--database-url", url]);
    expect(JSON.parse(u.stdout)).toEqual({ removed: true });
  });

  it("a job a superuser scheduled, which pg_cron hides from the owner: unschedule and uninstall say whose it is and change nothing", async () => {
    const su = new pg.Client({ connectionString: cluster.url("cron_app") });
    await su.connect();
    try {
      const id = (await su.query<{ id: string }>(`select tide.schedule('*/15 * * * *') as id`)).rows[0]!.id;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const err = await c.query(`select tide.unschedule()`).then(
          () => undefined,
          (e: { code?: string; message: string; hint?: string }) => e,
        );
        expect(err?.code).toBe("55000");
        expect(err?.message).toContain("was scheduled by role postgres");
        expect(err?.hint).toContain("As postgres, or as a superuser, run select tide.unschedule();");
      } finally {
        await c.end();
      }
      const un = await pgtide(["uninstall", "--database-url", url]);
      expect(un.code).not.toBe(0);
      expect(un.stderr).toContain("was scheduled by role postgres");
      expect(un.stderr).toContain("--keep-cron-job");
      // nothing changed: pgtide and the job are both still there
      const left = await su.query<{ n: number }>(`select count(*)::int as n from pg_namespace where nspname in ('tide', '_tide')`);
      expect(left.rows[0]!.n).toBe(2);
      const job = await su.query<{ n: number }>(`select count(*)::int as n from cron.job where jobid = $1`, [id]);
      expect(job.rows[0]!.n).toBe(1);
      // the role that scheduled it removes it
      expect((await su.query<{ ok: boolean }>(`select tide.unschedule() as ok`)).rows[0]!.ok).toBe(true);
      expect((await su.query<{ n: number }>(`select count(*)::int as n from cron.job where jobid = $1`, [id])).rows[0]!.n).toBe(0);
    } finally {
      await su.end();
    }
  });

  it("one job, one role: another role's schedule is refused, a superuser's replaces it and its unschedule removes any role's job and forgets a job removed by hand", async () => {
    const su = new pg.Client({ connectionString: cluster.url("cron_app") });
    await su.connect();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const jobs = async () =>
      (await su.query<{ username: string }>(`select username from cron.job where jobname = 'pgtide-maintenance' order by jobid`)).rows.map((r) => r.username);
    const refusal = (sql: string) => c.query(sql).then(() => undefined, (e: { code?: string; message: string; hint?: string }) => e);
    try {
      await c.query(`select tide.schedule('*/20 * * * *')`);
      expect(await jobs()).toEqual([cronOwner]);
      // a superuser's unschedule sees and removes the owner's job
      expect((await su.query<{ ok: boolean }>(`select tide.unschedule() as ok`)).rows[0]!.ok).toBe(true);
      expect(await jobs()).toEqual([]);
      expect((await c.query<{ ok: boolean }>(`select tide.unschedule() as ok`)).rows[0]!.ok).toBe(false);
      // a superuser's schedule replaces the owner's job instead of adding a second one
      await c.query(`select tide.schedule('*/20 * * * *')`);
      await su.query(`select tide.schedule('*/25 * * * *')`);
      expect(await jobs()).toEqual(["postgres"]);
      // and the owner may not add one beside it
      const err = await refusal(`select tide.schedule('*/20 * * * *')`);
      expect(err?.code).toBe("55000");
      expect(err?.message).toContain("is scheduled by role postgres, and a second job would run beside it");
      expect(await jobs()).toEqual(["postgres"]);
      // removed by hand, the job is still on record: the owner is refused, a superuser's unschedule forgets it
      await su.query(`select cron.unschedule(jobid) from cron.job where jobname = 'pgtide-maintenance'`);
      expect((await refusal(`select tide.unschedule()`))?.hint).toContain("a superuser's also forgets a job removed by hand");
      expect((await su.query<{ ok: boolean }>(`select tide.unschedule() as ok`)).rows[0]!.ok).toBe(false);
      expect((await c.query<{ ok: boolean }>(`select tide.unschedule() as ok`)).rows[0]!.ok).toBe(false);
      // the owner's own job removed by hand: its unschedule forgets the record (a role sees all its own jobs)
      await c.query(`select tide.schedule('*/20 * * * *')`);
      await c.query(`select cron.unschedule('pgtide-maintenance')`);
      expect((await c.query<{ ok: boolean }>(`select tide.unschedule() as ok`)).rows[0]!.ok).toBe(false);
      expect((await su.query<{ n: number }>(`select count(*)::int as n from _tide.settings where name = 'cron_job_role'`)).rows[0]!.n).toBe(0);
    } finally {
      await c.end();
      await su.end();
    }
  });
});
