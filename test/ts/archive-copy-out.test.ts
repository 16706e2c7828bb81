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
import { BatchPool, CopyOutBatches, PooledWriter } from "../../installer/archive/copy-out.js";
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
  const notice = message("N", Buffer.from("SNOTICE\0Mhello\0\0"));
  const status = message("S", Buffer.from("application_name\0x\0"));
  const notification = message("A", Buffer.from([0, 0, 0, 7, 99, 0, 0]));
  const wire = Buffer.concat([
    message("H", Buffer.from([0, 0, 0])), message("d", rows[0]!), message("d", rows[1]!), notice,
    message("d", rows[2]!), status, notification, message("d", rows[3]!), message("c", Buffer.alloc(0)), tail]);
  const error = message("E", Buffer.from("SERROR\0C22012\0Mdivision by zero\0\0"));

  /** Feed `bytes` to a CopyOutBatches in pieces of `split`, each read on its own; what pg got back, and the batches. */
  async function scripted(bytes: Buffer, split: number) {
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
    expect(copy.submit({ stream: socket, query: () => undefined } as unknown as pg.Connection)).toBeUndefined();
    for (let i = 0; i < bytes.length; i += split) {
      socket.push(bytes.subarray(i, i + split));
      await new Promise((res) => setImmediate(res)); // read as separate chunks
    }
    await new Promise((res) => setTimeout(res, 10));
    return { copy, givenBack: Buffer.concat(givenBack), out: Buffer.concat(out) };
  }

  it("takes the COPY's messages off the socket split at every byte; pg gets the notices and status messages, and exactly what follows CopyDone", async () => {
    for (const split of [1, 2, 3, 4, 5, 6, 7, 11, 13, 64, wire.length]) {
      const r = await scripted(wire, split);
      r.copy.handleReadyForQuery();
      expect(await r.copy.done).toBe(Buffer.concat(rows).length);
      expect(r.out.equals(Buffer.concat(rows))).toBe(true);
      expect(r.givenBack.equals(Buffer.concat([notice, status, notification, tail]))).toBe(true);
    }
  });

  it("gives pg everything from an ErrorResponse on, at any split", async () => {
    const upTo = wire.indexOf(message("d", rows[3]!));
    const bytes = Buffer.concat([wire.subarray(0, upTo), error, message("Z", Buffer.from("I"))]);
    for (const split of [1, 4, 5, 9, bytes.length]) {
      const r = await scripted(bytes, split);
      expect(r.givenBack.equals(Buffer.concat([notice, status, notification, error, message("Z", Buffer.from("I"))]))).toBe(true);
      r.copy.handleError(new Error("division by zero"));
      r.copy.handleReadyForQuery();
      await expect(r.copy.done).rejects.toThrow("division by zero");
    }
  });

  it("a listener of pg's that throws on a notice fails the COPY, and pg still gets the end of it", async () => {
    const { Readable } = await import("node:stream");
    const socket = new Readable({ read() { /* pushed below */ } });
    const givenBack: Buffer[] = [];
    let calls = 0;
    socket.on("data", (b: Buffer) => { if (++calls === 1) throw new Error("a notice handler broke"); givenBack.push(b); });
    const pool = new BatchPool(() => new Uint8Array(5), 2);
    const copy = new CopyOutBatches("copy x to stdout", pool, (batch) => setImmediate(() => pool.give(batch)));
    copy.submit({ stream: socket, query: () => undefined } as unknown as pg.Connection);
    for (let i = 0; i < wire.length; i += 6) {
      socket.push(wire.subarray(i, i + 6));
      await new Promise((res) => setImmediate(res));
    }
    await new Promise((res) => setTimeout(res, 10));
    await expect(copy.done).rejects.toThrow("a notice handler broke");
    expect(Buffer.concat(givenBack).equals(Buffer.concat([status, notification, tail]))).toBe(true);
  });

  it("refuses a connection whose socket it cannot take over, without throwing", () => {
    const copy = new CopyOutBatches("copy x to stdout", new BatchPool(() => new Uint8Array(5), 1), () => undefined);
    const socket = { listeners: () => [() => undefined, () => undefined] };
    expect(copy.submit({ stream: socket } as unknown as pg.Connection)).toBeInstanceOf(Error);
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

  it("after a refused batch, cancel stops the COPY on the server", async () => {
    const pool = new BatchPool(() => new Uint8Array(4096), 2);
    let seen = 0;
    const copy = new CopyOutBatches("copy (select g, repeat('x', 100) from generate_series(1, 50000000) g) to stdout", pool, (batch) => {
      if (++seen === 3) { pool.fail(new Error("disk full")); copy.cancel(c); } else setImmediate(() => pool.give(batch));
    });
    c.query(copy);
    await expect(copy.done).rejects.toThrow("disk full");
    expect((await c.query("select 6 as six")).rows[0].six).toBe(6);
    expect(copy.serverError).toMatchObject({ code: "57014" });
  });

  it("after a refused batch of a COPY the server has already finished sending, the awaited cancel does not hit the next statement", async () => {
    for (let trial = 0; trial < 10; trial++) {
      const pool = new BatchPool(() => new Uint8Array(64), 1);
      let cancelled: Promise<void> | null = null;
      const copy = new CopyOutBatches("copy (select g from generate_series(1, 3000) g) to stdout", pool, () => {
        // the one batch never comes back: the rest stays in the socket while the server is done
      });
      pool.onFail((e) => { copy.fail(e); cancelled ??= copy.cancel(c); });
      c.query(copy);
      await new Promise((res) => setTimeout(res, 30)); // the server has sent everything by now
      pool.fail(new Error("disk full"));
      await cancelled;
      await expect(copy.done).rejects.toThrow("disk full");
      expect((await c.query("select 7 as seven from pg_sleep(0.1)")).rows[0].seven).toBe(7); // long enough for a late cancel to land
    }
  });

  it("the server's error arriving while no batch is free fails the COPY, and the connection stays usable", async () => {
    const pool = new BatchPool(() => new Uint8Array(256), 1);
    const copy = new CopyOutBatches(`copy (select g, case when g = 30000 then 1 / 0 else g end from generate_series(1, 60000) g) to stdout`, pool, (batch) => {
      setTimeout(() => pool.give(batch), 400); // the one batch comes back late: the error is waiting in the socket
    });
    c.query(copy);
    await expect(copy.done).rejects.toMatchObject({ code: "22012" });
    expect((await c.query("select 5 as five")).rows[0].five).toBe(5);
  });

  it("a backend terminated in the middle of the COPY fails it", async () => {
    const victim = await db.client();
    const pid = (await victim.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
    victim.on("error", () => undefined);
    const pool = new BatchPool(() => new Uint8Array(4096), 2);
    let batches = 0;
    const copy = new CopyOutBatches("copy (select g, repeat('x', 100) from generate_series(1, 2000000) g) to stdout", pool, (batch) => {
      if (++batches === 3) void c.query("select pg_terminate_backend($1)", [pid]);
      setTimeout(() => pool.give(batch), 5);
    });
    victim.query(copy);
    await expect(copy.done).rejects.toThrow(/terminat/i);
  });

  it("notices raised during the COPY reach the client", async () => {
    await c.query(`create or replace function pg_temp.noisy(g int) returns int language plpgsql as $$ begin if g % 1000 = 0 then raise notice 'row %', g; end if; return g; end $$`);
    const seen: string[] = [];
    const onNotice = (n: { message?: string }) => seen.push(n.message ?? "");
    c.on("notice", onNotice);
    try {
      const r = await viaBatches("copy (select pg_temp.noisy(g) from generate_series(1, 5000) g) to stdout", 64, 2, async () => undefined);
      expect(r.bytes).toBeGreaterThan(0);
    } finally {
      c.off("notice", onNotice);
    }
    expect(seen).toEqual(["row 1000", "row 2000", "row 3000", "row 4000", "row 5000"]);
  });

  it("a statement that is not a COPY is refused and the connection stays usable", async () => {
    const pool = new BatchPool(() => new Uint8Array(64), 2);
    const copy = new CopyOutBatches("select 1", pool, () => undefined);
    c.query(copy);
    await expect(copy.done).rejects.toThrow(/unexpected message T/);
    expect((await c.query("select 4 as four")).rows[0].four).toBe(4);
  });
});

describe("CsvStreamHasher", () => {
  it("refuses a row longer than MAX_ROW_BYTES instead of holding it", () => {
    const h = new CsvStreamHasher(1, -1, "text");
    const piece = Buffer.alloc(1 << 20, 0x61);
    piece[0] = 0x01; // the opening quote of a value that does not end
    h.push(piece);
    piece[0] = 0x61;
    expect(() => { for (let i = 0; i < 20; i++) h.push(piece); }).toThrow(/longer than 16 MB as canonical CSV text/);
  });
});

describe("PooledWriter", () => {
  it("the stream reads each write's bytes as written even when it completes them late, while the caller refills its memory at once", async () => {
    // a stream that takes its bytes only when it completes a write, some writes long after others
    const got: Buffer[] = [];
    let inFlight = 0, most = 0;
    const slow = {
      write(chunk: Buffer, cb: (e?: Error | null) => void) {
        inFlight++;
        most = Math.max(most, inFlight);
        setTimeout(() => { got.push(Buffer.from(chunk)); inFlight--; cb(); }, chunk[0]! % 3 === 0 ? 15 : 1);
        return false;
      },
    } as unknown as NodeJS.WritableStream;
    const writer = new PooledWriter(slow, 64);
    const source = Buffer.from(Array.from({ length: 40 * 64 }, (_, i) => (i * 7 + (i >> 6)) % 251));
    const mine = new Uint8Array(64); // the caller's one buffer, refilled right after each write
    const written: Promise<void>[] = [];
    for (let off = 0; off < source.length; off += 64) {
      mine.set(source.subarray(off, off + 64));
      written.push(new Promise((res, rej) => writer.write(mine, (e) => (e ? rej(e) : res()))));
      mine.fill(0xee);
    }
    await Promise.all(written);
    expect(most).toBeGreaterThan(1);
    // in completion order, not write order: compare as sets of 64-byte blocks
    const blocks = (b: Buffer) => Array.from({ length: b.length / 64 }, (_, i) => b.subarray(i * 64, i * 64 + 64).toString("hex")).sort();
    expect(blocks(Buffer.concat(got))).toEqual(blocks(source));
    expect(() => writer.write(new Uint8Array(65), () => undefined)).toThrow(/exceeds/);
  });
});

describe("the stream hasher in its worker thread (compiled)", () => {
  const compiled = join(import.meta.dirname, "..", "..", "dist", "installer", "archive", "csv-hash.js");
  it("hashes shared batches exactly as tide.archive_checksum does, and as the inline hasher", async () => {
    expect(existsSync(compiled), "dist/ is built by make test (npm run build)").toBe(true);
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
