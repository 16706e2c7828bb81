// Names and keys of retired partitions: two archive jobs whose partitions had the same name keep two
// archives, each restorable with its own rows; a long parent's expired months get distinct detached
// names (the suffix kept, the parent part shortened); a name taken by another relation is an error;
// publishing never replaces another job's archive; a job exported under a key without its id resumes.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archivePending, restoreArchive } from "../../installer/archive/index.js";
import { freshDatabase, type TestDatabase } from "./db.js";
import { SCHEMA, checksumOf, queuedPartition } from "./archive-fixture.js";

let db: TestDatabase;
let c: pg.Client;
const dirs: string[] = [];
const quiet = (l: string) => { if (process.env.PGTIDE_TEST_VERBOSE) console.error(l); };
const NS = 'Tïde "names" a.b';
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const qn = (name: string) => `${ident(NS)}.${ident(name)}`;

function tempTarget(): { dir: string; target: string } {
  const dir = mkdtempSync(join(tmpdir(), "pgtide-names-"));
  dirs.push(dir);
  return { dir, target: pathToFileURL(dir).href };
}

beforeAll(async () => {
  db = await freshDatabase({ prefix: "archnames" });
  c = await db.client();
  await c.query(`create schema ${ident(NS)}`);
});
afterAll(async () => {
  await db?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Job { archive_id: string; partition_name: string; state: string; target_uri: string; rows: string; error: string | null }
async function jobsOf(parent: string): Promise<Job[]> {
  return (await c.query<Job>(`select archive_id, partition as partition_name, state, target_uri, rows, error from tide.archives
                               where parent = $1::regclass::text order by archive_id`, [parent])).rows;
}

/** Run the exporter for the queued jobs of one parent only (other tests' jobs stay as they are). */
async function archiveParent(parent: string, target: string) {
  const results = [];
  for (const j of await jobsOf(parent)) {
    if (j.state === "dropped") continue;
    results.push(...await archivePending(c, { target, archiveId: Number(j.archive_id), log: quiet }));
  }
  return results;
}

/** Rows of a restored table grouped by v: { v: count }. */
async function countsByV(table: string): Promise<Record<string, number>> {
  const r = await c.query<{ v: string; n: string }>(`select v, count(*) as n from ${table} group by v order by v`);
  return Object.fromEntries(r.rows.map((x) => [x.v, Number(x.n)]));
}

/** The errors logged for PARENT since SINCE, the table's own 'maintain' row left out (it repeats the partition's). */
async function maintenanceErrors(parent: string, since: string): Promise<{ sqlstate: string; message: string; detail: string | null }[]> {
  return (await c.query(`select sqlstate, message, detail from tide.maintenance_log
                          where parent = $1::regclass::text and outcome = 'error' and action <> 'maintain' and logged_at >= $2::timestamptz`,
                        [parent, since])).rows;
}

describe("archive keys are unique per job", () => {
  it("convert → unconvert → convert: both legacy partitions become <name>_legacy_detached, and both archive jobs restore their own rows", async () => {
    const { target } = tempTarget();
    const t = qn("Ledger é.x");
    await c.query(`create table ${t} (id bigint generated always as identity, ts timestamptz not null, v text, primary key (id, ts))`);
    await c.query(`insert into ${t} (ts, v) select timestamptz '2026-11-29 12:00+00' - i * interval '1 hour', 'first' from generate_series(1, 1000) i`);
    await c.query(`call tide.convert($1, 'ts', '1 month', keep => '1 month', on_expire => 'archive')`, [t]);
    await c.query(`call tide.run_maintenance($1, '2027-03-01')`, [t]);
    const first = await archiveParent(t, target);
    // the legacy partition, and an empty month convert made ahead that is expired by then too
    expect(first.map((r) => [r.state, r.rows, r.error])).toEqual([["dropped", 1000, undefined], ["dropped", 0, undefined]]);

    await c.query(`call tide.unconvert($1)`, [t]);
    await c.query(`insert into ${t} (ts, v) select timestamptz '2026-11-20 12:00+00' - i * interval '1 hour', 'second' from generate_series(1, 300) i`);
    await c.query(`call tide.convert($1, 'ts', '1 month', keep => '1 month', on_expire => 'archive')`, [t]);
    await c.query(`call tide.run_maintenance($1, '2027-03-01')`, [t]);
    const second = await archiveParent(t, target);
    expect(second.map((r) => [r.state, r.rows, r.error])).toEqual([["dropped", 300, undefined], ["dropped", 0, undefined]]);

    const jobs = (await jobsOf(t)).filter((j) => j.partition_name.endsWith('_legacy_detached"'));
    expect(jobs).toHaveLength(2);
    expect(jobs[0]!.partition_name).toBe(jobs[1]!.partition_name);
    // each job's recorded object gives back that job's rows, and only those
    await restoreArchive(c, jobs[0]!.target_uri, { as: qn("first back"), log: quiet });
    await restoreArchive(c, jobs[1]!.target_uri, { as: qn("second back"), log: quiet });
    expect(await countsByV(qn("first back"))).toEqual({ first: 1000 });
    expect(await countsByV(qn("second back"))).toEqual({ second: 300 });
    // the same partition name both times, two objects
    expect(jobs[0]!.target_uri).not.toBe(jobs[1]!.target_uri);
    for (const j of jobs) expect(j.target_uri).toContain(`@${j.archive_id}.parquet`);
  });

  it("publishing refuses to replace a manifest of another job at the key, and the partition is kept", async () => {
    const { target } = tempTarget();
    const id = await queuedPartition(c, "p_refuse", { rows: 200, lower: "2001-01-01", upper: "2001-02-01" });
    const before = await checksumOf(c, `${ident(SCHEMA)}."p_refuse"`);
    // another job's archive already sits where this job's goes (another database archiving to the same place)
    const r0 = await archivePending(c, { target, archiveId: id, keepPartition: true, log: quiet });
    expect(r0[0]!.state).toBe("verified");
    const manifestPath = fileURLToPath(r0[0]!.manifestUri!);
    const foreign = { ...JSON.parse(readFileSync(manifestPath, "utf8")), database: "another_database", archive_id: 7 };
    writeFileSync(manifestPath, JSON.stringify(foreign));
    await c.query("update _tide.archives set state = 'pending', target_uri = null where archive_id = $1", [id]);

    const r = await archivePending(c, { target, archiveId: id, log: quiet });
    expect(r[0]!.state).toBe("failed");
    expect(r[0]!.error).toMatch(/already holds the archive of job 7 \(database another_database.*does not overwrite it, and the partition was kept/);
    expect((await jobsOf(`${ident(SCHEMA)}."audit ""log"""`)).find((j) => j.archive_id === String(id))).toMatchObject({ state: "failed" });
    expect(await checksumOf(c, `${ident(SCHEMA)}."p_refuse"`)).toEqual(before);
    expect(JSON.parse(readFileSync(manifestPath, "utf8"))).toEqual(foreign);
  });

  it("a job exported under a key without its id (an earlier version's layout) resumes from it, and that archive restores", async () => {
    const { target } = tempTarget();
    const id = await queuedPartition(c, "p_unnumbered", { rows: 300, lower: "2001-02-01", upper: "2001-03-01" });
    const before = await checksumOf(c, `${ident(SCHEMA)}."p_unnumbered"`);
    const r0 = await archivePending(c, { target, archiveId: id, keepPartition: true, log: quiet });
    expect(r0[0]!.state).toBe("verified");
    // move the job's object and manifest to <partition>.parquet / .manifest.json, as they were named before
    const oldData = r0[0]!.uri!.replace(`@${id}.parquet`, ".parquet");
    const oldManifest = r0[0]!.manifestUri!.replace(`@${id}.manifest.json`, ".manifest.json");
    copyFileSync(fileURLToPath(r0[0]!.uri!), fileURLToPath(oldData));
    const m = JSON.parse(readFileSync(fileURLToPath(r0[0]!.manifestUri!), "utf8"));
    writeFileSync(fileURLToPath(oldManifest), JSON.stringify({ ...m, uri: oldData }));
    rmSync(fileURLToPath(r0[0]!.uri!));
    rmSync(fileURLToPath(r0[0]!.manifestUri!));
    await c.query("update _tide.archives set target_uri = $2 where archive_id = $1", [id, oldData]);

    const r = await archivePending(c, { target, archiveId: id, log: quiet });
    expect(r.map((x) => [x.state, x.uri, x.error])).toEqual([["dropped", oldData, undefined]]);
    await restoreArchive(c, oldManifest, { as: `${ident(SCHEMA)}."p_unnumbered back"`, log: quiet });
    expect(await checksumOf(c, `${ident(SCHEMA)}."p_unnumbered back"`)).toEqual(before);
  });
});

describe("detached names of a long parent keep their suffix", () => {
  const LONG = 'Événements "billing" of the customer pipeline.archivé';

  it("two expired months of a parent of 55 bytes get distinct detached names and distinct archives", async () => {
    expect(Buffer.byteLength(LONG)).toBeGreaterThanOrEqual(47);
    const { target } = tempTarget();
    const t = qn(LONG);
    await c.query(`create table ${t} (id bigint, ts timestamptz not null, v text) partition by range (ts)`);
    await c.query(`select count(*) from tide.manage($1, 'ts', '1 month', premake => 2, keep => '1 month', on_expire => 'archive', start_at => '2026-06-01')`, [t]);
    await c.query(`insert into ${t} select i, timestamptz '2026-06-01' + i * interval '1 minute', 'june' from generate_series(0, 99) i`);
    await c.query(`insert into ${t} select i, timestamptz '2026-07-01' + i * interval '1 minute', 'july' from generate_series(0, 199) i`);
    // June expires, is archived and dropped; then July, under a name of its own
    await c.query(`call tide.run_maintenance($1, '2026-08-01')`, [t]);
    expect((await archiveParent(t, target)).map((r) => [r.state, r.rows, r.error])).toEqual([["dropped", 100, undefined]]);
    await c.query(`call tide.run_maintenance($1, '2026-09-01')`, [t]);
    expect((await archiveParent(t, target)).map((r) => [r.state, r.rows, r.error])).toEqual([["dropped", 200, undefined]]);
    expect(await maintenanceErrors(t, "-infinity")).toEqual([]);

    const jobs = await jobsOf(t);
    expect(jobs).toHaveLength(2);
    await restoreArchive(c, jobs[0]!.target_uri, { as: qn("june back"), log: quiet });
    await restoreArchive(c, jobs[1]!.target_uri, { as: qn("july back"), log: quiet });
    expect(await countsByV(qn("june back"))).toEqual({ june: 100 });
    expect(await countsByV(qn("july back"))).toEqual({ july: 200 });
    expect(jobs.map((j) => j.partition_name.replace(/^.*_(2026_0[67]_detached)"$/, "$1"))).toEqual(["2026_06_detached", "2026_07_detached"]);
    for (const j of jobs) expect(Buffer.byteLength((await c.query("select parse_ident($1) as p", [j.partition_name])).rows[0].p[1])).toBeLessThanOrEqual(63);
    expect(new Set(jobs.map((j) => j.target_uri)).size).toBe(2);
  });

  it("on_expire 'detach': every expired month of a 47-byte parent is detached under a name of its own, at most 63 bytes", async () => {
    const p = "events_of_the_customer_billing_pipeline_archive";
    const t = qn(p);
    await c.query(`create table ${t} (id bigint, ts timestamptz not null) partition by range (ts)`);
    await c.query(`select count(*) from tide.manage($1, 'ts', '1 month', keep => '1 month', on_expire => 'detach', start_at => '2026-06-01')`, [t]);
    const since = (await c.query<{ t: string }>("select clock_timestamp()::text as t")).rows[0]!.t;
    await c.query(`call tide.run_maintenance($1, '2026-12-01')`, [t]);
    expect(await maintenanceErrors(t, since)).toEqual([]);
    const r = await c.query<{ relname: string }>(
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relname like '%\\_detached' and c.relkind = 'r' and c.relname like 'events\\_of%' order by 1`, [NS]);
    expect(r.rows.map((x) => x.relname)).toEqual(["06", "07", "08", "09", "10"].map((m) => `events_of_the_customer_billing_pipeline_archiv_2026_${m}_detached`));
    for (const x of r.rows) expect(Buffer.byteLength(x.relname)).toBeLessThanOrEqual(63);
  });

  it("a detached name already taken by another relation is 42P07 naming it, and the partition stays attached", async () => {
    const p = "ledger_of_the_customer_billing_pipeline_archive";
    const t = qn(p);
    await c.query(`create table ${t} (id bigint, ts timestamptz not null) partition by range (ts)`);
    await c.query(`select count(*) from tide.manage($1, 'ts', '1 month', keep => '1 month', on_expire => 'detach', start_at => '2026-06-01')`, [t]);
    await c.query(`create table ${qn("ledger_of_the_customer_billing_pipeline_archiv_2026_06_detached")} (x int)`);
    const since = (await c.query<{ t: string }>("select clock_timestamp()::text as t")).rows[0]!.t;
    await c.query(`call tide.run_maintenance($1, '2026-08-01')`, [t]);
    const errs = await maintenanceErrors(t, since);
    expect(errs).toHaveLength(1);
    expect(errs[0]!.sqlstate).toBe("42P07");
    expect(errs[0]!.message).toContain("ledger_of_the_customer_billing_pipeline_archiv_2026_06_detached already exists");
    expect(errs[0]!.detail).toContain("which another relation has");
    const attached = await c.query("select 1 from pg_inherits where inhrelid = $1::regclass and inhparent = $2::regclass",
      [qn(`${p}_2026_06`), t]);
    expect(attached.rowCount).toBe(1);
  });
});
