// Archive round trips: every supported type and awkward values → Parquet (file:// and a loopback
// S3 server) → verified → dropped → restored, identical rows and checksum; a flipped byte is caught.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archivePending, restoreArchive } from "../../installer/archive/index.js";
import { hashBytesExtended } from "../../installer/archive/hash.js";
import { COPY_CSV, CsvStreamHasher } from "../../installer/archive/csv-hash.js";
import { Staging, fileDigest, lit } from "../../installer/archive/duck.js";
import type { ArchiveColumn } from "../../installer/archive/canonical.js";
import { DuckDBInstance } from "@duckdb/node-api";
import pgCopy from "pg-copy-streams";
import { freshDatabase, type TestDatabase } from "./db.js";
import { SCHEMA, checksumOf, queuedPartition, rowsAsText } from "./archive-fixture.js";

let db: TestDatabase;
let c: pg.Client;
const dirs: string[] = [];
const quiet = (l: string) => { if (process.env.PGTIDE_TEST_VERBOSE) console.error(l); };

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "pgtide-archive-"));
  dirs.push(d);
  return d;
}

function findFiles(dir: string, suffix: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(suffix)) out.push(join(e.parentPath, e.name));
  }
  return out;
}

beforeAll(async () => {
  db = await freshDatabase({ prefix: "archive" });
  c = await db.client();
});
afterAll(async () => {
  await db?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const q = (name: string) => `"${SCHEMA.replace(/"/g, '""')}"."${name.replace(/"/g, '""')}"`;

async function roundTrip(target: string, name: string, restoredName: string, s3?: { endpoint: string }) {
  const id = await queuedPartition(c, name, { awkward: true, rows: 3000 });
  const before = await checksumOf(c, q(name));
  const rowsBefore = await rowsAsText(c, q(name));
  expect(Number(before.rows)).toBe(3007);

  const results = await archivePending(c, { target, archiveId: id, rowGroupSize: 1000, log: quiet, s3 });
  expect(results).toHaveLength(1);
  expect(results[0]!.error).toBeUndefined();
  expect(results[0]!.state).toBe("dropped");
  const st = await c.query("select state, rows, content_checksum, file_sha256, target_uri from tide.archives where archive_id = $1", [id]);
  expect(st.rows[0]).toMatchObject({ state: "dropped", rows: "3007", content_checksum: before.checksum });
  expect((await c.query("select to_regclass($1) as r", [q(name)])).rows[0].r).toBeNull();

  const restored = await restoreArchive(c, results[0]!.manifestUri!, { as: `${q(restoredName)}`, log: quiet, s3 });
  expect(restored.rows).toBe(3007);
  const after = await checksumOf(c, q(restoredName));
  expect(after).toEqual(before);
  expect(await rowsAsText(c, q(restoredName))).toEqual(rowsBefore);
  return results[0]!;
}

describe("stream and read-back digests", () => {
  // First in the file: its partition spans MINVALUE..MAXVALUE, before other tests attach ranges.
  it("the stream hasher equals tide.archive_checksum, and DuckDB's digest of the file equals the stream's until one value differs", async () => {
    const id = await queuedPartition(c, "p_digest", { awkward: true, rows: 300 });
    const job = (await c.query<{ columns: ArchiveColumn[]; select_sql: string }>("select columns, select_sql from tide.claim_archive('test', $1)", [id])).rows[0]!;
    await c.query("select tide.release_archive($1)", [id]);
    const dir = tempDir();
    const csvPath = join(dir, "s.csv");
    const chunks: Buffer[] = [];
    await c.query("set timezone = 'UTC'; set extra_float_digits = 3");
    for await (const ch of c.query(pgCopy.to(`copy (${job.select_sql}) to stdout with (${COPY_CSV})`)) as AsyncIterable<Buffer>) chunks.push(ch);
    const all = Buffer.concat(chunks);
    writeFileSync(csvPath, all);
    // Fed in awkward pieces (rows and quoted values split across chunks).
    const h = new CsvStreamHasher(job.columns.length, 1, "timestamptz");
    for (let i = 0; i < all.length; i += 7) h.push(all.subarray(i, i + 7));
    h.finish();
    expect({ rows: String(h.sum.rows), checksum: h.sum.digest() }).toEqual(await checksumOf(c, q("p_digest")));

    const st = await Staging.open(job.columns, dir);
    const pq = join(dir, "d.parquet");
    let streamSide;
    try {
      await st.load(csvPath);
      streamSide = await st.digest();
      await st.writeParquet(pq, { rowGroupSize: 100, compressionLevel: 3, kv: {} });
    } finally {
      st.close();
    }
    const f = await fileDigest(pq, job.columns, "at", dir);
    expect(f.rows).toBe(307);
    expect(f.digest).toBe(streamSide.digest);
    expect([f.minControl, f.maxControl]).toEqual([h.min, h.max]);

    // A file that differs from the stream in one value (the last bit of a double) does not verify.
    const inst = await DuckDBInstance.create(":memory:");
    const dc = await inst.connect();
    const bad = join(dir, "bad.parquet");
    await dc.run(`copy (select * replace (case when id = 3 then nextafter(f8, 1) else f8 end as f8) from read_parquet(${lit(pq)})) to ${lit(bad)} (format parquet)`);
    dc.closeSync();
    const g = await fileDigest(bad, job.columns, "at", dir);
    expect(g.rows).toBe(307);
    expect(g.digest).not.toBe(streamSide.digest);
  });
});

describe("archive round trip", () => {
  it("file:// — every type and awkward value comes back identical, and the partition is dropped only after verification", async () => {
    const dir = tempDir();
    const r = await roundTrip(pathToFileURL(dir).href, "p_file", "restored file");
    expect(r.uri).toContain(".parquet");
    // Nothing under a temporary name is left looking like an archive.
    expect(findFiles(dir, ".partial")).toEqual([]);
    expect(findFiles(dir, ".parquet")).toHaveLength(1);
    const manifest = JSON.parse(readFileSync(findFiles(dir, ".manifest.json")[0]!, "utf8"));
    expect(manifest).toMatchObject({ rows: 3007, control: "at", compression: "ZSTD", min_control: "8000000000000000", max_control: "7fffffffffffffff" });
  });

  it("s3:// against a loopback S3 server — same round trip", async () => {
    const S3rver = (await import("s3rver")).default;
    const dir = tempDir();
    const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: dir, configureBuckets: [{ name: "archive", configs: [] }] });
    const addr = (await server.run()) as { port: number; address: string };
    process.env.AWS_ACCESS_KEY_ID = "S3RVER";
    process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
    try {
      const endpoint = `http://127.0.0.1:${addr.port}`;
      const r = await roundTrip("s3://archive/audit exports", "p_s3", "restored s3", { endpoint });
      expect(r.uri).toMatch(/^s3:\/\/archive\/audit%20exports\//);
    } finally {
      await server.close();
    }
  });

  it("restore --attach puts the partition back under its parent when the range is free", async () => {
    const dir = tempDir();
    const id = await queuedPartition(c, "p_2021_01", { rows: 500, lower: "2021-01-01 00:00:00+00", upper: "2021-02-01 00:00:00+00" });
    const before = await checksumOf(c, q("p_2021_01"));
    const [r] = await archivePending(c, { target: pathToFileURL(dir).href, archiveId: id, log: quiet });
    expect(r!.state).toBe("dropped");
    // a CHECK of the parent's, which every partition must carry to be attached
    await c.query(`alter table ${q('audit "log"')} add constraint "restore needs it" check (id >= -9223372036854775808)`);
    try {
      const res = await restoreArchive(c, r!.uri!, { attach: true, log: quiet });
      expect(res.attachError).toBeUndefined();
      expect(res.attached).toBe(true);
      const p = await c.query(`select count(*)::int as n from ${q('audit "log"')} where at >= '2021-01-01' and at < '2021-02-01'`);
      expect(p.rows[0].n).toBe(500);
      expect(await checksumOf(c, q("p_2021_01"))).toEqual(before);
      // the bounds CHECK that spared ATTACH its scan is gone again
      const k = await c.query(`select conname from pg_constraint where conrelid = $1::regclass and contype = 'c' order by 1`, [q("p_2021_01")]);
      expect(k.rows.map((x) => x.conname)).toEqual(["restore needs it"]);
    } finally {
      await c.query(`alter table ${q('audit "log"')} drop constraint "restore needs it"`);
    }
  });

  it("rows of several MB (each spanning several COPY batches, past DuckDB's default line limit) round-trip; a row over the limit fails the export and keeps the partition", async () => {
    const dir = tempDir();
    const id = await queuedPartition(c, "p_2021_03", { rows: 50, lower: "2021-03-01 00:00:00+00", upper: "2021-04-01 00:00:00+00" });
    // 3.5 MB of text with the stream's quote byte and newlines in it, and a 2.5 MB jsonb value
    await c.query(`update ${q("p_2021_03")} set t = repeat(e'ab\\x01c\\nd', 700000), j = jsonb_build_object('k', repeat('xyz', 850000)) where id in (7, 30)`);
    const before = await checksumOf(c, q("p_2021_03"));
    const [r] = await archivePending(c, { target: pathToFileURL(dir).href, archiveId: id, keepPartition: true, log: quiet });
    expect(r!.error).toBeUndefined();
    expect(r!.state).toBe("verified");
    const res = await restoreArchive(c, r!.manifestUri!, { as: q("p_2021_03_back"), log: quiet });
    expect(res.rows).toBe(50);
    expect(await checksumOf(c, q("p_2021_03_back"))).toEqual(before);

    const id2 = await queuedPartition(c, "p_2021_05", { rows: 5, lower: "2021-05-01 00:00:00+00", upper: "2021-06-01 00:00:00+00" });
    await c.query(`update ${q("p_2021_05")} set t = repeat('z', 17 << 20) where id = 2`);
    const [r2] = await archivePending(c, { target: pathToFileURL(join(dir, "2")).href, archiveId: id2, log: quiet });
    expect(r2!.state).toBe("failed");
    expect(r2!.error).toMatch(/16 MB/);
    expect((await c.query("select to_regclass($1) as r", [q("p_2021_05")])).rows[0].r).not.toBeNull();
    expect((await c.query("select state from tide.archives where archive_id = $1", [id2])).rows[0].state).toBe("failed");
  });

  it("a COPY cancelled by the server mid-stream fails the job with the server's reason, not DuckDB's view of a cut stream", async () => {
    const dir = tempDir();
    const id = await queuedPartition(c, "p_2021_07", { rows: 400000, lower: "2021-07-01 00:00:00+00", upper: "2021-08-01 00:00:00+00" });
    const watcher = await db.client();
    let cancelled = false;
    const watch = (async () => {
      for (let i = 0; i < 5000 && !cancelled; i++) {
        const r = await watcher.query(`select pg_cancel_backend(pid) as ok from pg_stat_activity
                                        where application_name = 'pgtide-archive-cancel' and state = 'active' and query like 'copy (%'`);
        if (r.rows[0]?.ok) cancelled = true;
        else await new Promise((res) => setTimeout(res, 2));
      }
    })();
    const ex = new pg.Client({ connectionString: db.url, application_name: "pgtide-archive-cancel" });
    await ex.connect();
    const [r] = await archivePending(ex, { target: pathToFileURL(dir).href, archiveId: id, log: quiet });
    cancelled = true;
    await watch;
    await ex.end();
    await watcher.end();
    expect(r!.state).toBe("failed");
    expect(r!.error).toMatch(/canceling statement due to user request/);
    expect(r!.error).not.toMatch(/CSV Error/);
    const st = await c.query("select state, error from tide.archives where archive_id = $1", [id]);
    expect(st.rows[0]).toMatchObject({ state: "failed" });
    expect((await c.query("select to_regclass($1) as r", [q("p_2021_07")])).rows[0].r).not.toBeNull();
  });

  it("--watch tries a job that failed in an earlier pass again (up to archive_max_attempts), once the target works, and keeps no pass's results but the last", async () => {
    const dir = tempDir();
    const id = await queuedPartition(c, "p_2022_07_watch", { rows: 200, lower: "2022-07-01 00:00:00+00", upper: "2022-08-01 00:00:00+00" });
    // the target cannot be written at first: the schema's folder is a plain file
    const blocker = join(dir, encodeURIComponent(SCHEMA).replace(/[!'()*@]/g, (ch) => "%" + ch.charCodeAt(0).toString(16).toUpperCase()));
    writeFileSync(blocker, "not a folder");
    const ctl = new AbortController();
    const seen: string[] = [];
    const done = archivePending(c, { target: pathToFileURL(dir).href, archiveId: id, watch: true, intervalMs: 300, signal: ctl.signal, log: quiet,
      onResult: (r) => seen.push(r.state) });
    const state = async () => (await c.query<{ state: string; attempts: number }>(`select state, attempts from _tide.archives where archive_id = $1`, [id])).rows[0]!;
    for (let i = 0; i < 100 && (await state()).state !== "failed"; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await state()).toMatchObject({ state: "failed", attempts: 1 });
    await new Promise((r) => setTimeout(r, 700));  // a later pass or two meet it still failing
    rmSync(blocker);
    for (let i = 0; i < 100 && (await state()).state !== "dropped"; i++) await new Promise((r) => setTimeout(r, 100));
    ctl.abort();
    const last = await done;
    expect((await state()).state).toBe("dropped");
    // every pass's result went to onResult; only the last pass's is kept (the one that dropped it, or an idle one)
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.slice(0, -1).every((x) => x === "failed")).toBe(true);
    expect(seen.at(-1)).toBe("dropped");
    expect(last.filter((r) => r.state === "failed")).toEqual([]);
  });

  it("a flipped byte in the object is detected and the partition kept", async () => {
    const dir = tempDir();
    const id = await queuedPartition(c, "p_flip", { rows: 2000, lower: "2019-01-01 00:00:00+00", upper: "2019-02-01 00:00:00+00" });
    // Export and verify but keep the partition, then corrupt the object and ask for the drop.
    const [first] = await archivePending(c, { target: pathToFileURL(dir).href, archiveId: id, keepPartition: true, log: quiet });
    expect(first!.state).toBe("verified");
    const file = findFiles(dir, ".parquet")[0]!;
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    writeFileSync(file, bytes);
    const [second] = await archivePending(c, { target: pathToFileURL(dir).href, archiveId: id, log: quiet });
    expect(second!.state).toBe("failed");
    expect(second!.error).toMatch(/corrupt/);
    const st = await c.query("select state, error from tide.archives where archive_id = $1", [id]);
    expect(st.rows[0].state).toBe("failed");
    expect((await c.query("select to_regclass($1) as r", [q("p_flip")])).rows[0].r).not.toBeNull();
    // A re-run writes a fresh archive and completes.
    const [third] = await archivePending(c, { target: pathToFileURL(dir).href, archiveId: id, log: quiet });
    expect(third!.state).toBe("dropped");
  });

  it("a manifest that does not match the table is refused by tide.complete_archive and nothing is dropped", async () => {
    const id = await queuedPartition(c, "p_lie", { rows: 10, lower: "2018-01-01 00:00:00+00", upper: "2018-02-01 00:00:00+00" });
    await c.query("select * from tide.claim_archive('test', $1)", [id]);
    await c.query("select tide.mark_archive_exported($1, 'file:///archive/p_lie.parquet', 100, $2)", [id, "a".repeat(64)]);
    await expect(c.query("select tide.complete_archive($1, $2::jsonb)", [id, JSON.stringify({ rows: 9, content_checksum: "0123456789abcdef", file_sha256: "a".repeat(64) })]))
      .rejects.toMatchObject({ code: "TD010" });
    expect((await c.query("select to_regclass($1) as r", [q("p_lie")])).rows[0].r).not.toBeNull();
    await c.query("select tide.release_archive($1)", [id]);
  });

  it("tide.complete_archive refuses a REPEATABLE READ transaction, whose snapshot would predate its lock, and drops nothing", async () => {
    const id = await queuedPartition(c, "p_rr", { rows: 10, lower: "2018-03-01 00:00:00+00", upper: "2018-04-01 00:00:00+00" });
    await c.query("select * from tide.claim_archive('test', $1)", [id]);
    await c.query("select tide.mark_archive_exported($1, 'file:///archive/p_rr.parquet', 100, $2)", [id, "b".repeat(64)]);
    const m = await c.query<{ rows: string; checksum: string; min_control: string; max_control: string }>(
      "select * from tide.archive_checksum($1::regclass, 'at')", [q("p_rr")]);
    const good = { rows: Number(m.rows[0]!.rows), content_checksum: m.rows[0]!.checksum, file_sha256: "b".repeat(64),
                   min_control: m.rows[0]!.min_control, max_control: m.rows[0]!.max_control };
    await c.query("begin isolation level repeatable read");
    await expect(c.query("select tide.complete_archive($1, $2::jsonb)", [id, JSON.stringify(good)])).rejects.toMatchObject({ code: "25000" });
    await c.query("rollback");
    expect((await c.query("select to_regclass($1) as r", [q("p_rr")])).rows[0].r).not.toBeNull();
    // the same manifest in READ COMMITTED completes
    expect((await c.query("select tide.complete_archive($1, $2::jsonb) as s", [id, JSON.stringify(good)])).rows[0].s).toBe("dropped");
  });
});

describe("content checksum hash", () => {
  it("hashBytesExtended equals the server's hashtextextended for every length 0..80, non-ASCII text and any seed", async () => {
    const out = new Uint32Array(2);
    const alphabet = ["a", "Z", "é", "🎉", "中", "\t", "\\", " "];
    const cases: { s: string; seed: bigint }[] = [];
    for (let len = 0; len <= 80; len++) {
      let s = "";
      for (let j = 0; j < len; j++) s += alphabet[(len * 7 + j * 3) % alphabet.length];
      cases.push({ s, seed: BigInt([0, 1, 8, -3, 4294967296, -9223372036854775808n][len % 6]!) });
    }
    const r = await c.query<{ h: string }>(
      "select hashtextextended(s collate \"C\", seed)::text as h from unnest($1::text[], $2::int8[]) with ordinality u(s, seed, o) order by o",
      [cases.map((x) => x.s), cases.map((x) => x.seed.toString())]);
    const mine = cases.map(({ s, seed }) => {
      const b = Buffer.from(s, "utf8");
      const u = BigInt.asUintN(64, seed);
      hashBytesExtended(b, b.length, Number(u >> 32n), Number(u & 0xffffffffn), out);
      return BigInt.asIntN(64, (BigInt(out[0]!) << 32n) | BigInt(out[1]!)).toString();
    });
    expect(mine).toEqual(r.rows.map((x) => x.h));
  });
});
