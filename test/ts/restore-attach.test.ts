// restore --attach into a parent whose default partition holds rows: the default is fenced first
// (a CHECK validated without blocking its writers), so that ATTACH reads nothing of it while it
// holds the default ACCESS EXCLUSIVE; the fence goes again afterwards, attached or not.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archivePending, restoreArchive } from "../../installer/archive/index.js";
import { freshDatabase, type TestDatabase } from "./db.js";
import { COLUMNS, SCHEMA, checksumOf, queuedPartition } from "./archive-fixture.js";

let db: TestDatabase;
let c: pg.Client;
const dirs: string[] = [];
const quiet = (l: string) => { if (process.env.PGTIDE_TEST_VERBOSE) console.error(l); };
const q = (name: string) => `"${SCHEMA.replace(/"/g, '""')}"."${name.replace(/"/g, '""')}"`;
const PARENT = q('audit "log"');
const DEFAULT = q("audit log default");

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "pgtide-restore-"));
  dirs.push(d);
  return d;
}

async function fencesOnDefault(): Promise<string[]> {
  const r = await c.query<{ conname: string }>(
    `select conname from pg_constraint where conrelid = $1::regclass and conname like 'tide_fence%' order by 1`, [DEFAULT]);
  return r.rows.map((x) => x.conname);
}

beforeAll(async () => {
  db = await freshDatabase({ prefix: "restore_attach" });
  c = await db.client();
  await c.query(`create schema ${c.escapeIdentifier(SCHEMA)}`);
  await c.query(`create table ${PARENT} (${COLUMNS}) partition by range (at)`);
  await c.query(`create table ${DEFAULT} partition of ${PARENT} default`);
  // late rows of other years, in the default: an unfenced ATTACH reads them all
  await c.query(`insert into ${PARENT} (id, at) select g, '2019-01-01'::timestamptz + g * interval '1 minute' from generate_series(1, 20000) g`);
});
afterAll(async () => {
  await db?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("restore --attach with a default partition", () => {
  it("fences the default so that ATTACH skips its scan, then drops the fence; the default's rows stay", async () => {
    const id = await queuedPartition(c, "p_2021_01", { rows: 300, lower: "2021-01-01 00:00:00+00", upper: "2021-02-01 00:00:00+00" });
    const before = await checksumOf(c, q("p_2021_01"));
    const [r] = await archivePending(c, { target: pathToFileURL(tempDir()).href, archiveId: id, log: quiet });
    expect(r!.state).toBe("dropped");

    const implied: string[] = [];
    const onNotice = (n: pg.NoticeMessage) => {
      if (/updated partition constraint for default partition .* is implied by existing constraints/.test(n.message ?? "")) implied.push(n.message!);
    };
    c.on("notice", onNotice);
    await c.query("set client_min_messages = debug1");
    let res;
    try {
      res = await restoreArchive(c, r!.uri!, { attach: true, log: quiet });
    } finally {
      await c.query("reset client_min_messages");
      c.off("notice", onNotice);
    }
    expect(res.attachError).toBeUndefined();
    expect(res.attached).toBe(true);
    expect(implied).toHaveLength(1);
    expect(await fencesOnDefault()).toEqual([]);
    expect(await checksumOf(c, q("p_2021_01"))).toEqual(before);
    const n = await c.query(`select count(*)::int as n from only ${DEFAULT}`);
    expect(n.rows[0].n).toBe(20000);
    // routing: a row of the restored month goes to the restored partition
    await c.query(`insert into ${PARENT} (id, at) values (-1, '2021-01-15 00:00:00+00')`);
    const where = await c.query(`select tableoid = $1::regclass as ok from ${PARENT} where id = -1`, [q("p_2021_01")]);
    expect(where.rows[0].ok).toBe(true);
  });

  it("a default holding rows of the restored range: not attached, the reason names the default, no fence left behind", async () => {
    const id = await queuedPartition(c, "p_2021_03", { rows: 10, lower: "2021-03-01 00:00:00+00", upper: "2021-04-01 00:00:00+00" });
    const [r] = await archivePending(c, { target: pathToFileURL(tempDir()).href, archiveId: id, log: quiet });
    expect(r!.state).toBe("dropped");
    // a late row of March 2021 arrives after the month was archived: it lands in the default
    await c.query(`insert into ${PARENT} (id, at) values (-2, '2021-03-10 00:00:00+00')`);
    const res = await restoreArchive(c, r!.uri!, { attach: true, log: quiet });
    expect(res.attached).toBe(false);
    expect(res.attachError).toContain(DEFAULT);
    expect(res.attachError).toMatch(/holds rows of \[2021-03-01 00:00:00\+00, 2021-04-01 00:00:00\+00\)/);
    expect(await fencesOnDefault()).toEqual([]);
    const parentOf = await c.query(`select count(*)::int as n from pg_inherits where inhrelid = $1::regclass`, [q("p_2021_03")]);
    expect(parentOf.rows[0].n).toBe(0);
    // the default still takes rows of that range
    await c.query(`insert into ${PARENT} (id, at) values (-3, '2021-03-11 00:00:00+00')`);
  });

  it("waits for maintenance of the table (its advisory lock) under the lock_timeout: a run holding it makes the attach give up, no fence left", async () => {
    const id = await queuedPartition(c, "p_2021_05", { rows: 10, lower: "2021-05-01 00:00:00+00", upper: "2021-06-01 00:00:00+00" });
    const [r] = await archivePending(c, { target: pathToFileURL(tempDir()).href, archiveId: id, log: quiet });
    expect(r!.state).toBe("dropped");
    const run = await db.client();
    // what a maintenance run of the table holds while it works (and drops fences it did not add)
    await run.query(`select pg_advisory_lock(_tide.lock_key('maintain', $1::regclass))`, [PARENT]);
    try {
      const res = await restoreArchive(c, r!.uri!, { attach: true, log: quiet });
      expect(res.attached).toBe(false);
      expect(res.attachError).toMatch(/lock timeout/);
      expect(await fencesOnDefault()).toEqual([]);
    } finally {
      await run.end();
    }
    // once the run is over, a second restore of the same archive attaches
    await c.query(`drop table ${q("p_2021_05")}`);
    const again = await restoreArchive(c, r!.uri!, { attach: true, log: quiet });
    expect(again.attachError).toBeUndefined();
    expect(again.attached).toBe(true);
  });

  it("a restore's fence stays while the restore holds maintenance's lock: disabling or unmanaging the table (drop_fences) leaves it, and drops it after", async () => {
    await c.query(`alter table ${DEFAULT} add constraint tide_fence_restore_99 check (not (at >= '2022-01-01' and at < '2022-02-01')) not valid`);
    await c.query(`alter table ${DEFAULT} add constraint tide_fence_1_2 check (not (at >= '2030-01-01' and at < '2030-01-02')) not valid`);
    const restore = await db.client();
    await restore.query(`select pg_advisory_lock(_tide.lock_key('maintain', $1::regclass))`, [PARENT]);
    try {
      const n = await c.query(`select _tide.drop_fences($1::regclass) as n`, [PARENT]);
      expect(n.rows[0].n).toBe(1);
      expect(await fencesOnDefault()).toEqual(["tide_fence_restore_99"]);
    } finally {
      await restore.end();
    }
    const n = await c.query(`select _tide.drop_fences($1::regclass) as n`, [PARENT]);
    expect(n.rows[0].n).toBe(1);
    expect(await fencesOnDefault()).toEqual([]);
  });

  it("tide.unmanage while a restore holds the table: the restore's fence stays, and a NOTICE gives the statement that drops it", async () => {
    await c.query(`create table public.um (at timestamptz not null) partition by range (at)`);
    await c.query(`select count(*) from tide.manage('public.um', 'at', '1 month', premake => 1)`);
    await c.query(`alter table public.um_default add constraint tide_fence_restore_5 check (not (at >= '2020-01-01' and at < '2020-02-01')) not valid`);
    const restore = await db.client();
    await restore.query(`select pg_advisory_lock(_tide.lock_key('maintain', 'public.um'::regclass))`);
    const notices: string[] = [];
    const onNotice = (n: pg.NoticeMessage) => notices.push(`${n.message} | ${n.hint ?? ""}`);
    c.on("notice", onNotice);
    try {
      await c.query(`select tide.unmanage('public.um')`);
    } finally {
      c.off("notice", onNotice);
      await restore.end();
    }
    const left = await c.query(`select conname from pg_constraint where conrelid = 'public.um_default'::regclass and conname like 'tide_fence%'`);
    expect(left.rows).toEqual([{ conname: "tide_fence_restore_5" }]);
    expect(notices.join("\n")).toContain("ALTER TABLE public.um_default DROP CONSTRAINT tide_fence_restore_5;");
  });
});
