// The exporter's COPY reader (CopyOutBatches into a BatchPool) and its stream hasher in a worker
// thread, on a real connection: the bytes match what pg-copy-streams reads, whatever the batch size
// and however slowly batches come back; a server error or a refused batch fails the COPY and leaves
// the connection usable; the compiled worker hashes exactly as the inline hasher does.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type pg from "pg";
import pgCopy from "pg-copy-streams";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchPool, CopyOutBatches } from "../../installer/archive/copy-out.js";
import { COPY_CSV, CsvStreamHasher } from "../../installer/archive/csv-hash.js";
import { pinSession } from "../../installer/archive/export.js";
import { freshDatabase, type TestDatabase } from "./db.js";
import { AWKWARD_ROWS, COLUMNS, checksumOf } from "./archive-fixture.js";

let db: TestDatabase;
let c: pg.Client;
let select: string;
let columns: number;

beforeAll(async () => {
  db = await freshDatabase({ prefix: "copyout" });
  c = await db.client();
  await pinSession(c);
  await c.query(`create table src (${COLUMNS})`);
  await c.query(`insert into src values ${AWKWARD_ROWS}`);
  await c.query(`insert into src (id, at, i4, t, j, n, by)
    select g, '2020-01-01'::timestamptz + g * interval '1.000001 second', g % 1000, 'row ' || g || ' 🎉',
           jsonb_build_object('g', g, 'nested', jsonb_build_array(g, 'x')), g * 1.5, int4send(g::int)
    from generate_series(1, 3000) g`);
  const r = await c.query<{ s: string; n: number }>(
    "select string_agg(canonical, ', ' order by ordinal) as s, count(*)::int as n from _tide.archive_columns('src'::regclass)");
  select = `select ${r.rows[0]!.s} from src`;
  columns = r.rows[0]!.n;
});

afterAll(async () => {
  await db?.drop();
});

async function reference(sql: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const ch of c.query(pgCopy.to(sql)) as AsyncIterable<Buffer>) parts.push(ch);
  return Buffer.concat(parts);
}

/** COPY through CopyOutBatches with batches of `size` bytes, at most `max` out, each given back after `delay`. */
async function viaBatches(sql: string, size: number, max: number, delay: () => Promise<void>) {
  const pool = new BatchPool(() => new Uint8Array(size), max);
  const parts: Buffer[] = [];
  let batches = 0;
  const copy = new CopyOutBatches(sql, pool, (batch, length) => {
    batches++;
    parts.push(Buffer.from(batch.subarray(0, length)));
    void delay().then(() => pool.give(batch));
  });
  c.query(copy);
  const bytes = await copy.done;
  return { bytes, batches, data: Buffer.concat(parts) };
}

function message(code: string, payload: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h.write(code, 0, "latin1");
  h.writeUInt32BE(payload.length + 4, 1);
  return Buffer.concat([h, payload]);
}

describe("CopyOutBatches on a scripted socket", () => {
  // CopyOutResponse, rows as CopyData (a notice between them), CopyDone, then what pg parses itself.
  const rows = ["a,b\n", "", "\u00e9\u{1f389}\n", "x".repeat(300) + "\n"].map((r) => Buffer.from(r));
  const tail = Buffer.concat([message("C", Buffer.from("COPY 4\0")), message("Z", Buffer.from("I"))]);
  const wire = Buffer.concat([
    message("H", Buffer.from([0, 0, 0])), message("d", rows[0]!), message("d", rows[1]!),
    message("N", Buffer.from("SNOTICE\0\0")), message("d", rows[2]!), message("d", rows[3]!), message("c", Buffer.alloc(0)), tail]);
  it("takes the COPY's messages off the socket split at every byte, and gives back exactly what follows CopyDone", async () => {
    for (const split of [1, 2, 3, 4, 5, 6, 7, 11, 13, 64, wire.length]) {
      const { Readable } = await import("node:stream");
      const socket = new Readable({ read() { /* pushed below */ } });
      const givenBack: Buffer[] = [];
      socket.on("data", (b: Buffer) => givenBack.push(b));
      const pool = new BatchPool(() => new Uint8Array(5), 2);
      const out: Buffer[] = [];
      const copy = new CopyOutBatches("copy x to stdout", pool, (batch, length) => {
        out.push(Buffer.from(batch.subarray(0, length)));
        setImmediate(() => pool.give(batch));
      });
      copy.submit({ stream: socket, query: () => undefined } as unknown as pg.Connection);
      for (let i = 0; i < wire.length; i += split) {
        socket.push(wire.subarray(i, i + split));
        await new Promise((res) => setImmediate(res)); // read as separate chunks
      }
      await new Promise((res) => setTimeout(res, 10));
      copy.handleReadyForQuery();
      expect(await copy.done).toBe(Buffer.concat(rows).length);
      expect(Buffer.concat(out).equals(Buffer.concat(rows))).toBe(true);
      expect(Buffer.concat(givenBack).equals(tail)).toBe(true);
    }
  });
});

describe("CopyOutBatches", () => {
  it("reads the same bytes as pg-copy-streams, in batches of any size, waiting for batches to come back", async () => {
    const sql = `copy (${select}) to stdout with (${COPY_CSV})`;
    const want = await reference(sql);
    expect(want.length).toBeGreaterThan(300_000);
    const later = () => new Promise<void>((res) => setImmediate(res));
    // the awkward rows byte by byte (3 batches: the pool is empty most of the time), and in 7s
    const small = `copy (${select} where id <= 6 or id between 100 and 120) to stdout with (${COPY_CSV})`;
    const w = await reference(small);
    for (const [size, max] of [[1, 3], [7, 2]] as const) {
      const r = await viaBatches(small, size, max, later);
      expect(r.data.equals(w)).toBe(true);
      expect(r.batches).toBe(Math.ceil(w.length / size));
    }
    // everything, one 4 kB batch at a time, and in 1 MB batches
    for (const [size, max] of [[4096, 1], [1 << 20, 32]] as const) {
      const r = await viaBatches(sql, size, max, later);
      expect(r.bytes).toBe(want.length);
      expect(r.data.equals(want)).toBe(true);
      expect(r.batches).toBe(Math.ceil(want.length / size));
    }
    expect((await c.query("select 1 as one")).rows[0].one).toBe(1);
  });

  it("an empty COPY hands over no batch", async () => {
    const r = await viaBatches(`copy (${select} where false) to stdout with (${COPY_CSV})`, 64, 2, async () => undefined);
    expect(r).toMatchObject({ bytes: 0, batches: 0 });
  });

  it("fails with the server's error in the middle of the COPY, and the connection stays usable", async () => {
    const sql = `copy (select g, case when g = 40000 then 1 / 0 else g end from generate_series(1, 80000) g) to stdout`;
    const e = await viaBatches(sql, 1024, 4, async () => undefined).catch((x: Error & { code?: string }) => x);
    expect(e).toBeInstanceOf(Error);
    expect((e as { code?: string }).code).toBe("22012");
    expect((await c.query("select 2 as two")).rows[0].two).toBe(2);
  });

  it("fails when a batch is refused, reads the rest of the COPY away, and the connection stays usable", async () => {
    const pool = new BatchPool(() => new Uint8Array(512), 2);
    let seen = 0;
    const copy = new CopyOutBatches(`copy (${select}) to stdout with (${COPY_CSV})`, pool, (batch) => {
      if (++seen === 5) pool.fail(new Error("DuckDB stopped reading"));
      else setImmediate(() => pool.give(batch));
    });
    pool.onFail((e) => copy.fail(e));
    c.query(copy);
    await expect(copy.done).rejects.toThrow("DuckDB stopped reading");
    expect(seen).toBe(5);
    // the connection is back in pg's hands once the COPY has ended
    expect((await c.query("select 3 as three")).rows[0].three).toBe(3);
  });

  it("a statement that is not a COPY is refused and the connection stays usable", async () => {
    const pool = new BatchPool(() => new Uint8Array(64), 2);
    const copy = new CopyOutBatches("select 1", pool, () => undefined);
    c.query(copy);
    await expect(copy.done).rejects.toThrow(/unexpected message T/);
    expect((await c.query("select 4 as four")).rows[0].four).toBe(4);
  });
});

describe("the stream hasher in its worker thread (compiled)", () => {
  const compiled = join(import.meta.dirname, "..", "..", "dist", "installer", "archive", "csv-hash.js");
  it.runIf(existsSync(compiled))("hashes shared batches exactly as tide.archive_checksum does, and as the inline hasher", async () => {
    const mod = (await import(pathToFileURL(compiled).href)) as typeof import("../../installer/archive/csv-hash.js");
    const sql = `copy (${select}) to stdout with (${COPY_CSV})`;
    const data = await reference(sql);
    const hasher = mod.startHasher(columns, 1, "timestamptz");
    const batch = hasher.newBatch();
    expect(batch.buffer).toBeInstanceOf(SharedArrayBuffer);
    // one batch, refilled with 997 bytes as soon as the worker has hashed it: rows and values split at the edges
    for (let off = 0; off < data.length; off += 997) {
      const n = Math.min(997, data.length - off);
      batch.set(data.subarray(off, off + n));
      await hasher.hash(batch, n);
    }
    const sums = await hasher.finish();
    const inline = new CsvStreamHasher(columns, 1, "timestamptz");
    inline.push(data);
    inline.finish();
    const db = await checksumOf(c, "src");
    expect({ rows: String(sums.rows), checksum: sums.checksum }).toEqual(db);
    expect(sums).toEqual({ rows: inline.sum.rows, checksum: inline.sum.digest(), min: inline.min, max: inline.max });
    const mm = await c.query<{ min_control: string; max_control: string }>("select min_control, max_control from tide.archive_checksum('src', 'at')");
    expect([sums.min, sums.max]).toEqual([mm.rows[0]!.min_control, mm.rows[0]!.max_control]);
  });
});
