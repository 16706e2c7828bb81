// The stream side of archive verification: the pgtide-archive/3 content checksum, row count and
// min/max of the control column, computed from the bytes of the exporter's COPY (CSV, every value
// quoted, see COPY_CSV) as they arrive (hashing straight from the bytes, no string decoding). When running compiled
// (dist/), the hashing runs in a worker thread so the main thread keeps draining the COPY socket
// and the server never waits for it; chunks in flight are bounded (backpressure).
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

/** Compute the pgtide-archive/3 checksum, row count and control min/max from the bytes of COPY … (COPY_CSV). */
export class CsvStreamHasher {
  readonly sum = new ContentChecksum();
  min: string | null = null;
  max: string | null = null;
  private rest: Buffer = Buffer.alloc(0);
  private scratch = Buffer.allocUnsafe(1 << 16);
  private readonly out = new Uint32Array(2);
  constructor(private readonly n: number, private readonly ci: number, private readonly controlKind: Kind) {}

  /** Consume a chunk; rows split across chunks wait for the next one. */
  push(chunk: Buffer): void {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const len = buf.length, n = this.n, out = this.out;
    let pos = 0;
    rows: while (pos < len) {
      let p = pos, rh = 0, rl = 0;
      for (let i = 0; i < n; i++) {
        if (p >= len) break rows;
        let next: number;
        if (buf[p] === CSV_QUOTE) {
          // Q…Q with QQ for a Q inside; a closing quote is always followed by ',' or '\n'.
          let q = p + 1, doubled = false;
          for (;;) {
            while (q < len && buf[q] !== CSV_QUOTE) q++;
            if (q + 1 >= len) break rows;
            if (buf[q + 1] === CSV_QUOTE) { doubled = true; q += 2; continue; }
            break;
          }
          let src: Buffer = buf, off = p + 1, l = q - p - 1;
          if (doubled) {
            if (this.scratch.length < l) this.scratch = Buffer.allocUnsafe(l + 1024);
            let w = 0;
            for (let r = off; r < q; r++) { this.scratch[w++] = buf[r]!; if (buf[r] === CSV_QUOTE) r++; }
            src = this.scratch; off = 0; l = w;
          }
          hashBytesExtended(src, l, 0, i + 1, out, off);
          rh ^= out[0]!;
          rl ^= out[1]!;
          if (i === this.ci) this.control(src.toString("utf8", off, off + l));
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
    this.rest = pos < len ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
  }

  private control(v: string): void {
    if (this.min === null || compareCanonical(this.controlKind, v, this.min) < 0) this.min = v;
    if (this.max === null || compareCanonical(this.controlKind, v, this.max) > 0) this.max = v;
  }

  finish(): void {
    if (this.rest.length) throw new Error("pgtide: COPY stream ended inside a row");
  }
}

export interface StreamSums { rows: number; checksum: string; min: string | null; max: string | null }

export interface Hasher {
  /** Rows hashed so far (for progress). */
  readonly rows: number;
  /** Hand over a chunk (the caller must not reuse it); resolves when more may be sent. */
  push(chunk: Buffer): Promise<void>;
  finish(): Promise<StreamSums>;
  /** Stop the worker after an error elsewhere. */
  abort(): void;
}

const IN_FLIGHT = 32 << 20;
const BATCH = 1 << 20;

function inline(n: number, ci: number, kind: Kind): Hasher {
  const h = new CsvStreamHasher(n, ci, kind);
  return {
    get rows() { return h.sum.rows; },
    async push(chunk) { h.push(chunk); },
    async finish() { h.finish(); return { rows: h.sum.rows, checksum: h.sum.digest(), min: h.min, max: h.max }; },
    abort() { /* nothing runs */ },
  };
}

/** A hasher for n columns with the control column at ci (-1: none): in a worker when compiled, else inline. */
export function startHasher(n: number, ci: number, kind: Kind): Hasher {
  const here = fileURLToPath(import.meta.url);
  const workerFile = here.replace(/csv-hash\.js$/, "csv-hash-worker.js");
  if (!here.endsWith(".js") || workerFile === here || !existsSync(workerFile) || process.env.PGTIDE_ARCHIVE_HASH_WORKER === "0") return inline(n, ci, kind);
  const w = new Worker(workerFile, { workerData: { n, ci, kind } });
  let inFlight = 0, rows = 0;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  let done: ((s: StreamSums) => void) | null = null;
  let fail: ((e: Error) => void) | null = null;
  w.on("message", (m: { ack?: number; rows?: number; result?: StreamSums; error?: string }) => {
    if (m.ack !== undefined) { inFlight -= m.ack; rows = m.rows ?? rows; if (wake && inFlight < IN_FLIGHT) { const f = wake; wake = null; f(); } }
    if (m.error !== undefined) { failure = new Error(m.error); wake?.(); fail?.(failure); }
    if (m.result) { done?.(m.result); void w.terminate(); }
  });
  w.on("error", (e) => { failure = e; wake?.(); fail?.(e); });
  let batch = new Uint8Array(BATCH), fill = 0;
  const post = () => {
    const full = batch.subarray(0, fill);
    inFlight += fill;
    w.postMessage(full, [batch.buffer]);
    batch = new Uint8Array(BATCH);
    fill = 0;
  };
  return {
    get rows() { return rows; },
    async push(chunk) {
      if (failure) throw failure;
      // Chunks are copied into batches of BATCH bytes: one message (and one transfer) per batch,
      // not per socket read.
      for (let off = 0; off < chunk.length;) {
        const n = Math.min(chunk.length - off, BATCH - fill);
        batch.set(chunk.subarray(off, off + n), fill);
        fill += n;
        off += n;
        if (fill === BATCH) post();
      }
      if (inFlight >= IN_FLIGHT) await new Promise<void>((res) => { wake = res; });
      if (failure) throw failure;
    },
    finish() {
      return new Promise<StreamSums>((res, rej) => {
        if (failure) { rej(failure); return; }
        done = res;
        fail = rej;
        if (fill > 0) post();
        w.postMessage("end");
      });
    },
    abort() { void w.terminate(); },
  };
}
