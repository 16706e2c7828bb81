// COPY … TO STDOUT read straight off the connection into fixed batches. PostgreSQL sends one
// CopyData message per row; reading them as one object per row costs more than the hashing of the
// row itself, so this parser copies each message's payload into the current batch and hands the
// batch over when it is full — no allocation per row or per socket read. It follows the protocol as
// a pg Submittable: it takes the connection's socket over for the COPY's messages and gives it back
// to pg's own parser at CopyDone or at an ErrorResponse (pg then reports the error or completes).
import { createConnection } from "node:net";
import type pg from "pg";
import type { Connection } from "pg";
import type { Readable } from "node:stream";

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
const COPY_OUT_RESPONSE = 0x48; // 'H'
/** Messages the server may send in the middle of a COPY's data (pg handles them), and CopyOutResponse before it. */
const SKIPPED = new Set([COPY_OUT_RESPONSE, 0x53 /* S ParameterStatus */, 0x4e /* N NoticeResponse */, 0x41 /* A NotificationResponse */]);

export interface BatchSource {
  /** A free batch to fill; a promise when none is free yet (that is the backpressure). */
  take(): Uint8Array | Promise<Uint8Array>;
}

/**
 * `client.query(new CopyOutBatches(sql, source, onBatch))` runs a COPY … TO STDOUT, filling batches
 * from `source` and calling `onBatch(batch, length)` for each (the last may be partly filled).
 * `done` resolves with the byte count once the server has finished, or rejects with the first error
 * (the server's, a refused batch, `fail`); after an error the rest of the data is read and dropped,
 * so the connection stays usable (`cancel` asks the server to stop sending it).
 */
export class CopyOutBatches {
  readonly done: Promise<number>;
  private resolve!: (n: number) => void;
  private reject!: (e: Error) => void;
  private socket: Readable | null = null;
  private pgHandler: ((b: Buffer) => void) | null = null;
  private readonly onReadable = () => this.forward();
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;
  private code = 0;
  private remaining = -1; // payload bytes left in the current message; -1: between messages
  private batch: Uint8Array | null = null;
  private fill = 0;
  private bytes = 0;
  private reading = false;
  private waiting = false;
  private copyDone = false;
  private failed: Error | null = null;
  /** The error the COPY ended with on pg's side (the server's, or a lost connection), if any. */
  serverError: Error | null = null;
  private passOn: Buffer[] = []; // a message pg must see (a notice …), gathered until complete

  constructor(readonly text: string, private readonly source: BatchSource,
    private readonly onBatch: (batch: Uint8Array, length: number) => void) {
    this.done = new Promise<number>((res, rej) => { this.resolve = res; this.reject = rej; });
    this.done.catch(() => undefined);
  }

  /**
   * Ask the server to stop the COPY: a CancelRequest (the protocol's, on a connection of its own, as
   * libpq and pg send it: unencrypted, best effort) after a local failure, so that the rest of a large
   * partition is not read only to be dropped. Resolves once the server has closed that connection —
   * it has signalled the backend by then — so the caller's next statement cannot be the one cancelled:
   * a signal that reaches an idle backend is ignored by it.
   */
  cancel(client: pg.Client): Promise<void> {
    if (!this.socket) return Promise.resolve();
    const c = client as unknown as { host: string; port: number; processID: number | null; secretKey: number | null };
    if (c.processID == null || c.secretKey == null) return Promise.resolve();
    const request = Buffer.alloc(16);
    request.writeInt32BE(16, 0);
    request.writeInt32BE(80877102, 4); // the CancelRequest code
    request.writeInt32BE(c.processID, 8);
    request.writeInt32BE(c.secretKey, 12);
    return new Promise<void>((resolve) => {
      const socket = c.host.startsWith("/")
        ? createConnection(`${c.host}/.s.PGSQL.${c.port}`)
        : createConnection(c.port, c.host);
      const done = () => { clearTimeout(timer); socket.destroy(); resolve(); };
      const timer = setTimeout(done, 5000);
      socket.on("connect", () => socket.write(request));
      socket.on("close", done);
      socket.on("error", done); // best effort: the COPY is then read to its end
    });
  }

  /** Stop filling batches (an error elsewhere): the rest of the COPY is read and dropped. */
  fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    this.batch = null;
    this.reject(e);
  }

  submit(connection: Connection): Error | undefined {
    const socket = (connection as unknown as { stream: Readable }).stream;
    const listeners = socket.listeners("data") as ((b: Buffer) => void)[];
    // returned, not thrown: pg then reports it through handleError and frees the connection
    if (listeners.length !== 1) return new Error("pgtide: the connection's socket has an unexpected number of data listeners");
    this.socket = socket;
    this.pgHandler = listeners[0]!;
    socket.removeListener("data", this.pgHandler);
    socket.pause();
    socket.on("readable", this.onReadable);
    (connection as unknown as { query(text: string): void }).query(this.text);
    // not now: pg calls submit from within its own parser (at ReadyForQuery), and forward may hand
    // pg a message, which must not re-enter that parser
    process.nextTick(() => this.forward());
    return undefined;
  }

  private forward(): void {
    if (this.reading || !this.socket) return;
    this.reading = true;
    try {
      let chunk: Buffer | null;
      while (this.socket && !this.waiting && (chunk = this.socket.read() as Buffer | null) !== null) this.parse(chunk, 0);
    } catch (e) {
      this.fail(e as Error);
    } finally {
      this.reading = false;
    }
  }

  /** Consume a socket chunk from p on; at CopyDone or an ErrorResponse the rest goes back to pg. */
  private parse(chunk: Buffer, p: number): void {
    const len = chunk.length;
    while (p < len) {
      if (this.remaining < 0) {
        if (this.headerFill === 0 && chunk[p] === ERROR_RESPONSE) { this.detach(chunk.subarray(p)); return; }
        const n = Math.min(5 - this.headerFill, len - p);
        chunk.copy(this.header, this.headerFill, p, p + n);
        this.headerFill += n;
        p += n;
        if (this.headerFill < 5) return;
        this.headerFill = 0;
        this.code = this.header[0]!;
        this.remaining = this.header.readUInt32BE(1) - 4;
        if (this.code !== COPY_DATA && this.code !== COPY_DONE && !SKIPPED.has(this.code)) {
          // Not a COPY TO's message (a query that is no COPY): pg's parser takes it from here.
          this.fail(new Error(`pgtide: unexpected message ${String.fromCharCode(this.code)} in a COPY … TO STDOUT`));
          this.remaining = -1;
          this.detach(Buffer.concat([this.header, chunk.subarray(p)]));
          return;
        }
      }
      const end = p + Math.min(this.remaining, len - p);
      if (this.code !== COPY_DATA && this.code !== COPY_DONE) {
        // NoticeResponse, ParameterStatus, NotificationResponse (CopyOutResponse is ours): pg's
        // parser gets the whole message, as it would have without us
        if (this.code !== COPY_OUT_RESPONSE) {
          if (this.passOn.length === 0) this.passOn.push(Buffer.from(this.header));
          this.passOn.push(Buffer.from(chunk.subarray(p, end)));
        }
        this.remaining -= end - p;
        p = end;
        if (this.remaining === 0 && this.passOn.length) {
          const m = Buffer.concat(this.passOn);
          this.passOn = [];
          this.toPg(m);
        }
      } else if (this.code === COPY_DATA && !this.failed) {
        while (p < end) {
          if (!this.batch) {
            const b = this.source.take();
            if (b instanceof Promise) {
              // No batch free: stop reading until there is one (the data waits in the socket).
              this.waiting = true;
              b.then((batch) => { if (!this.failed) { this.batch = batch; this.fill = 0; } },
                (e: Error) => this.fail(e))
                .finally(() => {
                  this.waiting = false;
                  try {
                    this.parse(chunk, p);
                    this.forward();
                  } catch (e) {
                    this.fail(e as Error);
                  }
                });
              return;
            }
            this.batch = b;
            this.fill = 0;
          }
          const m = Math.min(end - p, this.batch.length - this.fill);
          this.batch.set(chunk.subarray(p, p + m), this.fill);
          this.fill += m;
          this.remaining -= m;
          p += m;
          if (this.fill === this.batch.length) this.emit();
        }
      } else {
        this.remaining -= end - p;
        p = end;
      }
      if (this.remaining === 0) {
        this.remaining = -1;
        if (this.code === COPY_DONE) {
          if (this.batch && this.fill > 0 && !this.failed) this.emit();
          this.copyDone = true;
          this.detach(chunk.subarray(p));
          return;
        }
      }
    }
  }

  private emit(): void {
    const b = this.batch!, n = this.fill;
    this.batch = null;
    this.fill = 0;
    this.bytes += n;
    try {
      this.onBatch(b, n);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /**
   * A message for pg's own parser. Should a listener of pg's throw on it (a notice handler), the COPY
   * fails but the framing goes on, so that pg still sees the end of the COPY and the connection stays usable.
   */
  private toPg(m: Buffer): void {
    try {
      this.pgHandler!(m);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private detach(rest: Buffer): void {
    const socket = this.socket!;
    this.socket = null;
    socket.removeListener("readable", this.onReadable);
    socket.on("data", this.pgHandler!);
    if (rest.length) this.pgHandler!(rest);
    process.nextTick(() => socket.resume());
  }

  // pg's side of the Submittable: pg parses what follows CopyDone (or the error) and calls these.
  handleError(e: Error): void {
    this.serverError ??= e;
    this.fail(e);
  }
  handleReadyForQuery(): void {
    if (!this.copyDone) this.fail(new Error("pgtide: the COPY ended without CopyDone"));
    if (!this.failed) this.resolve(this.bytes);
  }
  handleCommandComplete(): void { /* the rows are counted by the hasher */ }
  handleEmptyQuery(): void { /* handleReadyForQuery reports it: no CopyDone */ }
  handleRowDescription(): void { this.fail(new Error("pgtide: a COPY … TO STDOUT returned rows")); }
  handleDataRow(): void { /* reported by handleRowDescription */ }
  handlePortalSuspended(): void { /* not used by simple queries */ }
  handleCopyInResponse(connection: Connection): void {
    (connection as unknown as { sendCopyFail(m: string): void }).sendCopyFail("pgtide: COPY FROM is not expected here");
  }
  handleCopyData(): void { /* not sent for COPY TO */ }
}

/**
 * A fixed set of batches: `take` hands out a free one (making up to `max`, then waiting for one to
 * be given back); `fail` makes every waiting and later `take` reject, and tells the onFail listeners.
 */
export class BatchPool implements BatchSource {
  private readonly free: Uint8Array[] = [];
  private made = 0;
  private readonly waiters: { res: (b: Uint8Array) => void; rej: (e: Error) => void }[] = [];
  private readonly listeners: ((e: Error) => void)[] = [];
  failure: Error | null = null;

  constructor(private readonly make: () => Uint8Array, private readonly max: number) {}

  take(): Uint8Array | Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    const b = this.free.pop();
    if (b) return b;
    if (this.made < this.max) { this.made++; return this.make(); }
    return new Promise((res, rej) => this.waiters.push({ res, rej }));
  }

  give(b: Uint8Array): void {
    const w = this.waiters.shift();
    if (w) w.res(b);
    else this.free.push(b);
  }

  fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const w of this.waiters.splice(0)) w.rej(e);
    for (const l of this.listeners) l(e);
  }

  onFail(l: (e: Error) => void): void { this.listeners.push(l); }
}

/**
 * Writes into a stream (the FIFO DuckDB reads) from buffers of its own: `write` copies the bytes
 * into a free buffer, and that buffer is free again only in the write's callback, when the stream
 * is done with it — so the caller may refill its memory at once, and no allocation is made per
 * write. At most as many buffers exist as writes are in flight (the caller bounds those).
 */
export class PooledWriter {
  private readonly free: Buffer[] = [];

  constructor(private readonly out: NodeJS.WritableStream, private readonly size: number) {}

  /** Copy bytes (at most `size`) and write them; `done` is called once the stream has them (or failed). */
  write(bytes: Uint8Array, done: (e?: Error | null) => void): void {
    if (bytes.length > this.size) throw new Error(`pgtide: a write of ${bytes.length} bytes exceeds the writer's buffers of ${this.size}`);
    const buf = this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
    buf.set(bytes);
    this.out.write(buf.subarray(0, bytes.length), (e?: Error | null) => {
      this.free.push(buf); // only here: until now the stream may still be reading it
      done(e);
    });
  }
}
