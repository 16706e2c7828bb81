// The stream side of archive verification: the pgtide-archive/3 content checksum, row count and
// min/max of the control column, computed from the bytes of the exporter's COPY (CSV, every value
// quoted, see COPY_CSV) as they arrive (hashing straight from the bytes, no string decoding). When running compiled
// (dist/), the hashing runs in a worker thread on batches in shared memory, so the main thread keeps
// draining the COPY socket and the server never waits for it; the caller's pool of batches bounds
// what is in flight (backpressure).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { compareCanonical, ContentChecksum, type Kind } from "./canonical.js";
import { hashBytesExtended } from "./hash.js";

/**
 * The quote byte of the exporter's CSV: SOH (0x01), which canonical text practically never contains
 * (jsonb and json escape control characters, numbers and timestamps have none), so values such as
 * JSON, full of double quotes, travel without doubling; a value that does contain it is still
 * correct, the byte is doubled as CSV doubles any quote. Used by the COPY, DuckDB's reader and
 * the stream hasher alike.
 */
export const CSV_QUOTE = 0x01;

/**
 * The COPY options of the exporter's stream: CSV, every non-NULL value quoted (so NULL, an unquoted
 * empty field, and the empty string, a quoted one, stay apart), quote and escape CSV_QUOTE.
 */
export const COPY_CSV = "format csv, force_quote *, quote e'\\x01', escape e'\\x01'";

/**
 * The longest row the exporter takes, as canonical CSV text: 16 MB (DuckDB's reader needs a line
 * to fit its buffer — its default would stop at 2 MB — and the hasher holds a row split across
 * batches until it ends). A longer row fails the export, and the partition is kept.
 */
export const MAX_ROW_BYTES = 16 << 20;

/** Compute the pgtide-archive/3 checksum, row count and control min/max from the bytes of COPY … (COPY_CSV). */
export class CsvStreamHasher {
  readonly sum = new ContentChecksum();
  // min and max of the control column as canonical bytes, in buffers reused as they change
  private minBuf = Buffer.alloc(64);
  private maxBuf = Buffer.alloc(64);
  private minLen = -1;
  private maxLen = -1;
  private rest: Buffer[] = []; // the start of a row that continues in the next chunk
  private restInQuote = false; // whether rest ends inside a quoted value
  private restBytes = 0;
  private scratch = Buffer.allocUnsafe(1 << 16);
  private readonly out = new Uint32Array(2);
  private readonly controlCmp: ByteComparator | null;
  constructor(private readonly n: number, private readonly ci: number, private readonly controlKind: Kind) {
    this.controlCmp = byteComparator(controlKind);
  }

  get min(): string | null { return this.minLen < 0 ? null : this.minBuf.toString("utf8", 0, this.minLen); }
  get max(): string | null { return this.maxLen < 0 ? null : this.maxBuf.toString("utf8", 0, this.maxLen); }

  /**
   * Consume a chunk (the caller may refill it afterwards). A row split across chunks waits in
   * pieces until the chunk that ends it; only that row is copied to be joined, so a row spanning
   * many chunks costs time in proportion to its length.
   */
  push(chunk: Buffer): void {
    let from = 0;
    if (this.rest.length) {
      const end = rowEnd(chunk, this.restInQuote);
      if (end < 0) {
        this.restBytes += chunk.length;
        if (this.restBytes > MAX_ROW_BYTES) {
          throw new Error(`pgtide: row ${this.sum.rows + 1} of the COPY stream is longer than ${MAX_ROW_BYTES >> 20} MB as canonical CSV text, the most the exporter takes`);
        }
        this.rest.push(Buffer.from(chunk));
        this.restInQuote = quoteParity(chunk, this.restInQuote);
        return;
      }
      const head = Buffer.concat([...this.rest, chunk.subarray(0, end)]);
      if (this.rows(head, 0) !== head.length) throw new Error(`pgtide: malformed row ${this.sum.rows + 1} in the COPY CSV stream`);
      this.rest = [];
      this.restBytes = 0;
      from = end;
    }
    const stop = this.rows(chunk, from);
    if (stop < chunk.length) {
      const tail = Buffer.from(chunk.subarray(stop));
      this.rest = [tail];
      this.restBytes = tail.length;
      this.restInQuote = quoteParity(tail, false);
    }
  }

  /** Hash the complete rows of buf from pos on; returns where the first incomplete row starts. */
  private rows(buf: Buffer, pos: number): number {
    const len = buf.length, n = this.n, out = this.out;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    rows: while (pos < len) {
      let p = pos, rh = 0, rl = 0;
      for (let i = 0; i < n; i++) {
        if (p >= len) break rows;
        let next: number;
        if (buf[p] === CSV_QUOTE) {
          // Q…Q with QQ for a Q inside; a closing quote is always followed by ',' or '\n'.
          let q = p + 1, doubled = false;
          for (;;) {
            q = buf.indexOf(CSV_QUOTE, q);
            if (q < 0 || q + 1 >= len) break rows;
            if (buf[q + 1] === CSV_QUOTE) { doubled = true; q += 2; continue; }
            break;
          }
          let src: Buffer = buf, off = p + 1, l = q - p - 1, v: DataView | undefined = view;
          if (doubled) {
            if (this.scratch.length < l) this.scratch = Buffer.allocUnsafe(l + 1024);
            let w = 0;
            for (let r = off; r < q; r++) { this.scratch[w++] = buf[r]!; if (buf[r] === CSV_QUOTE) r++; }
            src = this.scratch; off = 0; l = w; v = undefined;
          }
          hashBytesExtended(src, l, 0, i + 1, out, off, v);
          rh ^= out[0]!;
          rl ^= out[1]!;
          // (min/max is idempotent: a value seen again when an incomplete row is re-read changes nothing)
          if (i === this.ci) this.control(src, off, l);
          next = q + 1;
        } else {
          rl ^= i + 1; // NULL
          next = p;
        }
        if (next >= len) break rows;
        if (buf[next] !== (i === n - 1 ? 10 : 44)) throw new Error(`pgtide: unexpected byte ${buf[next]} in the COPY CSV stream at row ${this.sum.rows + 1}, column ${i + 1}`);
        p = next + 1;
      }
      this.sum.addRowHash(rh, rl);
      pos = p;
    }
    return pos;
  }

  private control(src: Buffer, off: number, l: number): void {
    const cmp = this.controlCmp;
    if (this.minLen < 0 || (cmp ? cmp(src, off, l, this.minBuf, this.minLen) : this.compareText(src, off, l, this.minBuf, this.minLen)) < 0) {
      if (this.minBuf.length < l) this.minBuf = Buffer.alloc(2 * l);
      src.copy(this.minBuf, 0, off, off + l);
      this.minLen = l;
    }
    if (this.maxLen < 0 || (cmp ? cmp(src, off, l, this.maxBuf, this.maxLen) : this.compareText(src, off, l, this.maxBuf, this.maxLen)) > 0) {
      if (this.maxBuf.length < l) this.maxBuf = Buffer.alloc(2 * l);
      src.copy(this.maxBuf, 0, off, off + l);
      this.maxLen = l;
    }
  }

  private compareText(a: Buffer, aOff: number, aLen: number, b: Buffer, bLen: number): number {
    return compareCanonical(this.controlKind, a.toString("utf8", aOff, aOff + aLen), b.toString("utf8", 0, bLen));
  }

  finish(): void {
    if (this.rest.length) throw new Error("pgtide: COPY stream ended inside a row");
  }
}

/**
 * Where the row that continues into buf ends: the index after its first newline outside a quoted
 * value, given whether buf starts inside one; -1 if the row goes on past buf. (Every value is
 * quoted and a quote inside one is doubled, so the parity of the quotes seen tells inside from outside.)
 */
function rowEnd(buf: Buffer, inQuote: boolean): number {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === CSV_QUOTE) inQuote = !inQuote;
    else if (b === 10 && !inQuote) return i + 1;
  }
  return -1;
}

/** Whether the stream is inside a quoted value after buf, given whether it was before. */
function quoteParity(buf: Buffer, inQuote: boolean): boolean {
  for (let i = buf.indexOf(CSV_QUOTE); i >= 0; i = buf.indexOf(CSV_QUOTE, i + 1)) inQuote = !inQuote;
  return inQuote;
}

/** a[aOff, aOff + aLen) against b, bytewise (a plain loop: these values are a few bytes long). */
function compareBytes(a: Buffer, aOff: number, aLen: number, b: Buffer, bLen: number): number {
  const m = Math.min(aLen, bLen);
  for (let i = 0; i < m; i++) {
    const d = a[aOff + i]! - b[i]!;
    if (d !== 0) return d;
  }
  return aLen - bLen;
}

type ByteComparator = (a: Buffer, aOff: number, aLen: number, b: Buffer, bLen: number) => number;

/**
 * compareCanonical on the bytes of canonical text (ASCII for these kinds), without decoding: the
 * control column of every partition pgtide manages is one of them. null: compare as strings.
 */
function byteComparator(kind: Kind): ByteComparator | null {
  if (kind === "timestamptz" || kind === "timestamp") {
    // 16 hex digits of two's complement: negative (first digit 8..f) below non-negative, else bytewise.
    return (a, aOff, aLen, b, bLen) => {
      const na = a[aOff]! >= 56, nb = b[0]! >= 56;
      if (na !== nb) return na ? -1 : 1;
      return compareBytes(a, aOff, aLen, b, bLen);
    };
  }
  if (kind === "int16" || kind === "int32" || kind === "int64" || kind === "date") {
    // Decimal (optional '-', no leading zeros): sign, then length, then bytes; date's ±infinity at the ends.
    return (a, aOff, aLen, b, bLen) => {
      const ia = infinity(a, aOff, aLen), ib = infinity(b, 0, bLen);
      if (ia !== 0 || ib !== 0) return ia === ib ? 0 : ia < ib ? -1 : 1;
      const na = a[aOff] === 45, nb = b[0] === 45;
      if (na !== nb) return na ? -1 : 1;
      const sign = na ? -1 : 1;
      if (aLen !== bLen) return aLen < bLen ? -sign : sign;
      return sign * compareBytes(a, aOff, aLen, b, bLen);
    };
  }
  return null;
}

const INF = Buffer.from("infinity"), MINUS_INF = Buffer.from("-infinity");

/** 1 for `infinity`, -1 for `-infinity`, else 0. */
function infinity(a: Buffer, off: number, len: number): number {
  if (len === 8 && a[off] === 105 && compareBytes(a, off, len, INF, 8) === 0) return 1;
  if (len === 9 && a[off] === 45 && compareBytes(a, off, len, MINUS_INF, 9) === 0) return -1;
  return 0;
}

export interface StreamSums { rows: number; checksum: string; min: string | null; max: string | null }

export interface Hasher {
  /** Rows hashed so far (for progress). */
  readonly rows: number;
  /** A batch to fill and pass to hash (shared with the worker, if there is one). */
  newBatch(): Uint8Array;
  /** Hash batch[0, length); resolves once those bytes are consumed and the batch may be filled again. */
  hash(batch: Uint8Array, length: number): Promise<void>;
  finish(): Promise<StreamSums>;
  /** Stop the worker after an error elsewhere. */
  abort(): void;
}

/** Size of a batch; batches in flight are bounded by the caller's pool of them. */
export const BATCH_BYTES = 1 << 20;

function inline(n: number, ci: number, kind: Kind): Hasher {
  const h = new CsvStreamHasher(n, ci, kind);
  return {
    get rows() { return h.sum.rows; },
    newBatch: () => new Uint8Array(BATCH_BYTES),
    async hash(batch, length) { h.push(Buffer.from(batch.buffer, batch.byteOffset, length)); },
    async finish() { h.finish(); return { rows: h.sum.rows, checksum: h.sum.digest(), min: h.min, max: h.max }; },
    abort() { /* nothing runs */ },
  };
}

/**
 * A hasher for n columns with the control column at ci (-1: none): in a worker thread when
 * compiled, else inline. The worker reads batches in shared memory (nothing is copied to it) and
 * acknowledges each in order.
 */
export function startHasher(n: number, ci: number, kind: Kind): Hasher {
  const here = fileURLToPath(import.meta.url);
  const workerFile = here.replace(/csv-hash\.js$/, "csv-hash-worker.js");
  if (!here.endsWith(".js") || workerFile === here || !existsSync(workerFile) || process.env.PGTIDE_ARCHIVE_HASH_WORKER === "0") return inline(n, ci, kind);
  const w = new Worker(workerFile, { workerData: { n, ci, kind } });
  let rows = 0;
  let failure: Error | null = null;
  const acks: { res: () => void; rej: (e: Error) => void }[] = [];
  let done: ((s: StreamSums) => void) | null = null;
  let fail: ((e: Error) => void) | null = null;
  const failAll = (e: Error) => {
    failure ??= e;
    for (const a of acks.splice(0)) a.rej(failure);
    fail?.(failure);
  };
  w.on("message", (m: { ack?: true; rows?: number; result?: StreamSums; error?: string }) => {
    if (m.ack) { rows = m.rows ?? rows; acks.shift()?.res(); }
    if (m.error !== undefined) failAll(new Error(m.error));
    if (m.result) { finished = true; done?.(m.result); void w.terminate(); }
  });
  w.on("error", (e) => failAll(e));
  let finished = false;
  w.on("exit", (code) => { if (!finished) failAll(new Error(`pgtide: the stream hasher's worker exited (code ${code})`)); });
  return {
    get rows() { return rows; },
    newBatch: () => new Uint8Array(new SharedArrayBuffer(BATCH_BYTES)),
    hash(batch, length) {
      if (failure) return Promise.reject(failure);
      return new Promise<void>((res, rej) => {
        acks.push({ res, rej });
        w.postMessage({ batch, length });
      });
    },
    finish() {
      return new Promise<StreamSums>((res, rej) => {
        if (failure) { rej(failure); return; }
        done = res;
        fail = rej;
        w.postMessage("end");
      });
    },
    abort() { finished = true; void w.terminate(); },
  };
}
