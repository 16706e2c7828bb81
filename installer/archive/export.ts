// `pgtide archive`: claims jobs from the archive queue, streams each detached partition out with
// COPY, writes zstd Parquet to a temporary key, publishes it, reads it back, writes the manifest,
// and only then asks the database (tide.complete_archive) to re-verify and drop the partition.
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { constants as fsConstants, createReadStream, createWriteStream, open as fsOpen, promises as fsp, readFileSync } from "node:fs";
import { Socket } from "node:net";
import type { Writable } from "node:stream";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { compareCanonical, ContentChecksum, type ArchiveColumn } from "./canonical.js";
import { canonicalRows, fileDigest, Staging } from "./duck.js";
import { BATCH_BYTES, COPY_CSV, MAX_ROW_BYTES, startHasher } from "./csv-hash.js";
import { BatchPool, CopyOutBatches, PooledWriter } from "./copy-out.js";
import { Progress } from "./progress.js";
import { archiveKeys, keySegment, openStore, unnumberedArchiveKeys, type ObjectStore, type S3Options } from "./store.js";

export interface ArchiveOptions {
  /** Target base URI (`file:///dir` or `s3://bucket/prefix`) for tables whose tide.config has no archive_target. */
  target?: string;
  /** Name recorded in tide.archives.worker (default host:pid). */
  worker?: string;
  /** Archive only this job. */
  archiveId?: number;
  /** Stop after this many jobs (default: until the queue is empty). */
  limit?: number;
  /** Verify but keep the partition (state 'verified') instead of dropping it. */
  keepPartition?: boolean;
  /** Rows per Parquet row group (default 65536); bounds the exporter's memory. */
  rowGroupSize?: number;
  /** zstd level (default 1: on the benchmark partition both faster and smaller than 3). */
  compressionLevel?: number;
  s3?: S3Options;
  /** Folder for read-back copies of remote objects (default the OS temp folder). */
  tmpDir?: string;
  /** Progress bar (true), plain lines (false) or decide by whether stderr is a terminal (default). */
  progress?: boolean;
  log?: (line: string) => void;
  /** Keep polling the queue (`--watch`) until the signal aborts; only the last pass's results are returned. */
  watch?: boolean;
  /** Called with each job's result as it is done (with `watch`, the way to see every pass's). */
  onResult?: (result: ArchiveResult) => void;
  intervalMs?: number;
  signal?: AbortSignal;
}

export interface ArchiveResult {
  archiveId: number;
  partition: string;
  state: "dropped" | "verified" | "failed";
  uri: string | null;
  manifestUri: string | null;
  rows: number;
  fileBytes: number;
  seconds: number;
  /** Seconds exporting (COPY → Parquet → published), reading back (while tide.complete_archive already runs), and then waiting for complete_archive. */
  phases: { export: number; verify: number; complete: number };
  error?: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  pgtide_version: string;
  archive_id: number;
  database: string;
  parent: string;
  partition: string;
  schema: string;
  table: string;
  parent_schema: string;
  parent_table: string;
  lower_bound: string | null;
  upper_bound: string | null;
  control: string | null;
  min_control: string | null;
  max_control: string | null;
  columns: ArchiveColumn[];
  rows: number;
  content_checksum: string;
  checksum_algorithm: string;
  /** server_version_num of the database that verified it (hashtextextended is stable within a major version). */
  pg_server_version_num: number;
  compression: "ZSTD";
  uri: string;
  file_bytes: number;
  file_sha256: string;
  created_at: string;
}

interface Job {
  archive_id: string;
  previous_state: string;
  attempts: number;
  partition: string;
  partition_name: string;
  partition_schema: string;
  partition_table: string;
  parent: string;
  parent_schema: string;
  parent_table: string;
  control: string | null;
  lower_bound: string | null;
  upper_bound: string | null;
  archive_target: string | null;
  target_uri: string | null;
  file_sha256: string | null;
  columns: ArchiveColumn[];
  select_sql: string;
}

export const MANIFEST_FORMAT = "pgtide-archive/3";

/** Batches of the COPY in flight (to DuckDB and the hasher) at most: with 1 MB batches, 32 MB. */
const IN_FLIGHT_BATCHES = 32;

export const CHECKSUM_ALGORITHM =
  "per row xor over columns i of hashtextextended(t_i, i) (PostgreSQL hash_bytes_extended, little-endian), " +
  "or i for NULL, t_i = canonical text; row hashes summed modulo 2^64, 16 hex digits (see tide.archive_checksum)";

export function pgtideVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, "../../package.json"), join(here, "../../../package.json")]) {
    try {
      const v = (JSON.parse(readFileSync(p, "utf8")) as { name?: string; version?: string });
      if (v.name === "pgtide" && v.version) return v.version;
    } catch { /* next */ }
  }
  return "unknown";
}

/** Session settings under which canonical text is produced (the same ones tide.archive_checksum pins). */
export async function pinSession(client: pg.Client): Promise<void> {
  await client.query(`set datestyle = 'ISO, YMD'; set timezone = 'UTC'; set intervalstyle = 'postgres';
                      set extra_float_digits = 3; set bytea_output = 'hex'; set client_encoding = 'UTF8'`);
}

/** Test hook: stall (for the fault tests to kill us) at a named point when PGTIDE_ARCHIVE_STALL names it. */
async function stallPoint(name: string): Promise<void> {
  if (process.env.PGTIDE_ARCHIVE_STALL !== name) return;
  process.stderr.write(`pgtide-stall ${name}\n`);
  await new Promise(() => undefined);
}

async function rmQuiet(path: string): Promise<void> {
  await fsp.rm(path, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * A writer into `path`: a FIFO that DuckDB is reading (opened once DuckDB has opened its end; a
 * non-blocking pipe, so a DuckDB that stops reading surfaces as EPIPE instead of a hung thread).
 */
async function openFifoWriter(path: string, reader: Promise<void>): Promise<Writable> {
  let readerFailed: unknown = null;
  reader.catch((e) => { readerFailed = e ?? new Error("DuckDB stopped reading"); });
  for (;;) {
    try {
      const fd = await new Promise<number>((res, rej) => fsOpen(path, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK, (e, f) => (e ? rej(e) : res(f))));
      return new Socket({ fd, readable: false, writable: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENXIO") throw e;
    }
    if (readerFailed) throw readerFailed;
    await new Promise((res) => setTimeout(res, 2));
  }
}

/** Whether writing the FIFO failed because its reader, DuckDB, went away. */
function brokenPipe(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === "EPIPE" || code === "ECONNRESET" || code === "ERR_STREAM_DESTROYED";
}

/** An over-long row (refused by the hasher or by DuckDB's reader), said in terms of the partition; any other error as it is. */
function loadError(e: unknown, job: Job): unknown {
  const msg = e instanceof Error ? e.message : String(e);
  if (!/maximum line size|longer than \d+ MB as canonical CSV text/i.test(msg)) return e;
  return new Error(`pgtide: a row of ${job.partition_name} is longer than ${MAX_ROW_BYTES >> 20} MB as canonical CSV text, ` +
    `the most the exporter takes; the partition was kept (${msg.split("\n")[0]})`);
}

/**
 * Stream the partition out with COPY, read off the socket into 1 MB batches (CopyOutBatches). Each
 * batch goes (1) to DuckDB through a FIFO (a local file where FIFOs are unavailable), which parses
 * it once into a temporary table, hashing each row as it goes, and (2) to the hasher, which computes
 * the pgtide-archive/3 checksum, rows and control min/max (checksum A). Then DuckDB sums its row
 * hashes (digest S, the stream side of the read-back proof) and writes the zstd Parquet file, which
 * is published under the final key through `.partial`.
 * Memory is bounded (DuckDB's memory_limit, the 32 batches of the pool); local disk holds the
 * Parquet file of one partition (and DuckDB's spill beyond memory_limit) until the job ends.
 */
async function exportTable(client: pg.Client, job: Job, store: ObjectStore, key: string, opts: ArchiveOptions, progress: Progress, work: string,
  beforePublish: () => Promise<void>) {
  const cols = job.columns;
  const ci = job.control ? cols.findIndex((c) => c.name === job.control) : -1;
  const csvPath = join(work, "stream.csv");
  const pqPath = join(work, "data.parquet");
  const T = (l: string) => {
    if (!process.env.PGTIDE_ARCHIVE_TIMING) return;
    const u = process.cpuUsage();
    process.stderr.write(`timing ${l} ${performance.now().toFixed(0)} ms, exporter cpu ${((u.user + u.system) / 1000).toFixed(0)} ms\n`);
  };
  const staging = await Staging.open(cols, work);
  let streamSide, sums;
  try {
    let fifo = process.env.PGTIDE_ARCHIVE_FIFO !== "0";
    if (fifo) fifo = await new Promise<boolean>((res) => execFile("mkfifo", ["-m", "600", csvPath], (e) => res(!e)));
    let loading: Promise<void> | null = fifo ? staging.load(csvPath) : null;
    loading?.catch(() => undefined);
    const out = fifo ? await openFifoWriter(csvPath, loading!) : createWriteStream(csvPath);
    const hasher = startHasher(cols.length, ci, ci >= 0 ? cols[ci]!.kind : "text");
    // Each batch of the COPY is copied into a buffer of the FIFO's writer (DuckDB never reads memory
    // that is filled again) and handed to the hasher. The batch goes back to the pool once the hasher
    // has acknowledged it and its copy is written, so the pool's size bounds what is in flight on both sides.
    const pool = new BatchPool(() => hasher.newBatch(), IN_FLIGHT_BATCHES);
    const writer = new PooledWriter(out, BATCH_BYTES);
    out.on("error", (e: Error) => pool.fail(e));
    T("copy-start");
    let bytesIn = 0, lastReport = 0;
    const copy = new CopyOutBatches(`copy (${job.select_sql}) to stdout with (${COPY_CSV})`, pool, (batch, length) => {
      let pending = 2;
      const release = () => { if (--pending === 0) pool.give(batch); };
      writer.write(batch.subarray(0, length), (e) => (e ? pool.fail(e) : release()));
      hasher.hash(batch, length).then(release, (e: Error) => pool.fail(e));
      bytesIn += length;
      if (bytesIn - lastReport >= 8 << 20) { lastReport = bytesIn; progress.update(hasher.rows, bytesIn); }
    });
    let copied = false;
    let cancelled: Promise<void> | null = null;
    pool.onFail((e) => {
      copy.fail(e);
      // nothing more of this COPY is wanted: ask the server to stop sending it
      if (!copied) cancelled ??= copy.cancel(client);
    });
    try {
      client.query(copy);
      await copy.done;
      copied = true;
      await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
      sums = await hasher.finish();
      if (pool.failure) throw pool.failure;
    } catch (e) {
      hasher.abort();
      out.destroy();
      // the cancel delivered before this connection's next statement (which it must not hit)
      await cancelled;
      await copy.done.catch(() => undefined);
      // DuckDB stopping shows here as a broken pipe: then its own reason is the one to report (once
      // the FIFO is destroyed DuckDB fails on any other cause too, with a reason that is not the cause)
      const duck = loading && brokenPipe(pool.failure) ? await loading.then(() => null, (x: unknown) => x) : null;
      await loading?.catch(() => undefined);
      throw loadError(duck ?? e, job);
    }
    T("copy-done");
    progress.update(sums.rows, bytesIn);
    loading ??= staging.load(csvPath);
    await loading.catch((e: unknown) => { throw loadError(e, job); });
    await rmQuiet(csvPath);
    T("loaded");
    streamSide = await staging.digest();
    if (streamSide.rows !== sums.rows) {
      throw new Error(`pgtide: DuckDB read ${streamSide.rows} rows from the COPY stream of ${job.partition_name}, the exporter counted ${sums.rows}`);
    }
    await staging.writeParquet(pqPath, {
      rowGroupSize: opts.rowGroupSize ?? 122880,
      compressionLevel: opts.compressionLevel ?? 1,
      kv: { "pgtide.archive_id": String(job.archive_id), "pgtide.partition": job.partition_name },
    });
  } finally {
    staging.close();
  }
  T("parquet-done");

  // While the bytes are uploaded (and hashed), DuckDB decodes the same file and re-derives the
  // canonical text of every value: digest F must equal the stream's digest S, and rows and control
  // min/max those counted on the stream. A file that does not decode to the stream is never published;
  // the published object is tied to these bytes by its sha256 (checkPublished reads it back).
  const decoded = fileDigest(pqPath, cols, job.control, work);
  decoded.catch(() => undefined);
  const sink = await store.openSink(key);
  let file;
  try {
    const sha = createHash("sha256");
    let bytes = 0, first = true;
    for await (const chunk of createReadStream(pqPath, { highWaterMark: 8 << 20 })) {
      const b = chunk as Buffer;
      sha.update(b);
      bytes += b.length;
      await sink.write(b);
      if (first) { first = false; await stallPoint("upload"); }
    }
    const f = await decoded;
    if (f.rows !== sums.rows || f.digest !== streamSide.digest || f.minControl !== sums.min || f.maxControl !== sums.max) {
      throw new Error(`pgtide: the Parquet file of ${job.partition_name} decodes to ${f.rows} rows, digest ${f.digest}, control ${f.minControl}..${f.maxControl}; ` +
        `the stream had ${sums.rows} rows, digest ${streamSide.digest}, control ${sums.min}..${sums.max}`);
    }
    await beforePublish();
    await sink.commit();
    file = { sha256: sha.digest("hex"), bytes };
  } catch (e) {
    await sink.abort().catch(() => undefined);
    await decoded.catch(() => undefined);
    throw e;
  }
  await rmQuiet(pqPath);
  T("published");
  return { rows: sums.rows, min: sums.min, max: sums.max, checksum: sums.checksum, ...file };
}

/**
 * Just after publishing: read the object back from the target and prove it holds exactly the bytes
 * that were decoded and verified before the upload — same sha256, same size.
 */
async function checkPublished(store: ObjectStore, key: string, x: { sha256: string; bytes: number }, tmpDir: string): Promise<void> {
  const local = await store.localCopy(key, tmpDir);
  try {
    if (local.sha256 !== x.sha256 || local.bytes !== x.bytes) {
      throw new Error(`pgtide: ${store.uri(key)} is corrupt: sha256 ${local.sha256} (${local.bytes} bytes), uploaded ${x.sha256} (${x.bytes} bytes)`);
    }
  } finally {
    await local.cleanup();
  }
}

/** Read an archived object back and compare it with the manifest (full pgtide-archive/3 checksum); throws on any difference. */
export async function verifyObject(store: ObjectStore, key: string,
  m: Pick<Manifest, "columns" | "control" | "rows" | "file_sha256" | "file_bytes" | "min_control" | "max_control" | "content_checksum">,
  tmpDir: string) {
  const local = await store.localCopy(key, tmpDir);
  try {
    if (local.sha256 !== m.file_sha256 || local.bytes !== m.file_bytes) {
      throw new Error(`pgtide: ${store.uri(key)} is corrupt: sha256 ${local.sha256} (${local.bytes} bytes), manifest says ${m.file_sha256} (${m.file_bytes} bytes)`);
    }
    const sum = new ContentChecksum();
    const ci = m.control ? m.columns.findIndex((c) => c.name === m.control) : -1;
    const ck = ci >= 0 ? m.columns[ci]!.kind : "text";
    let min: string | null = null, max: string | null = null;
    await canonicalRows(local.path, m.columns, tmpDir, (rows) => {
      for (const row of rows) {
        sum.addRow(row);
        const v = ci >= 0 ? row[ci] : null;
        if (v != null) {
          if (min === null || compareCanonical(ck, v, min) < 0) min = v;
          if (max === null || compareCanonical(ck, v, max) > 0) max = v;
        }
      }
    });
    const rb = { rows: sum.rows, checksum: sum.digest(), minControl: min, maxControl: max };
    if (rb.rows !== m.rows || rb.checksum !== m.content_checksum || rb.minControl !== m.min_control || rb.maxControl !== m.max_control) {
      throw new Error(`pgtide: ${store.uri(key)} read back as ${rb.rows} rows, checksum ${rb.checksum}, control ${rb.minControl}..${rb.maxControl}; ` +
        `expected ${m.rows} rows, checksum ${m.content_checksum}, control ${m.min_control}..${m.max_control}`);
    }
    return rb;
  } finally {
    await local.cleanup();
  }
}

async function readManifest(store: ObjectStore, key: string): Promise<Manifest | null> {
  const s = await store.read(key);
  if (!s) return null;
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return JSON.parse(Buffer.concat(parts).toString("utf8")) as Manifest;
}

/** Whether a manifest was written for this job (its id, database, parent and range), not for another one. */
function isJobManifest(m: Manifest, job: Job, database: string): boolean {
  return String(m.archive_id) === String(job.archive_id) && m.database === database && m.parent === job.parent &&
    m.lower_bound === job.lower_bound && m.upper_bound === job.upper_bound;
}

/**
 * Refuse to publish over an archive of another job: the manifest at the key, if there is one, must
 * be this job's (an earlier attempt of it). A data object without a manifest is an unfinished
 * attempt (the manifest is written before any job is marked exported, so no dropped partition
 * depends on it) and may be replaced. Throws before anything is written; the partition is kept.
 */
async function refuseOtherArchive(store: ObjectStore, keys: { data: string; manifest: string }, job: Job, database: string): Promise<void> {
  let m: Manifest | null;
  try {
    m = await readManifest(store, keys.manifest);
  } catch (e) {
    throw new Error(`pgtide: ${store.uri(keys.manifest)} exists but cannot be read as a manifest (${e instanceof Error ? e.message : String(e)}); ` +
      `archive job ${job.archive_id} of ${job.partition_name} does not overwrite it, and the partition was kept`);
  }
  if (m && !isJobManifest(m, job, database)) {
    throw new Error(`pgtide: ${store.uri(keys.manifest)} already holds the archive of job ${String(m.archive_id)} ` +
      `(database ${String(m.database)}, partition ${String(m.partition)}, range [${String(m.lower_bound)}, ${String(m.upper_bound)})); ` +
      `archive job ${job.archive_id} of ${job.partition_name} in database ${database} does not overwrite it, and the partition was kept. ` +
      `Move that archive elsewhere (or point this table's archive_target at another place), then run pgtide archive again`);
  }
}

async function archiveJob(client: pg.Client, job: Job, opts: ArchiveOptions, log: (l: string) => void): Promise<ArchiveResult> {
  const started = Date.now();
  const base = job.archive_target ?? opts.target;
  const id = Number(job.archive_id);
  const result: ArchiveResult = { archiveId: id, partition: job.partition_name, state: "failed", uri: null, manifestUri: null, rows: 0, fileBytes: 0, seconds: 0,
    phases: { export: 0, verify: 0, complete: 0 } };
  const lap = (() => { let t = performance.now(); return () => { const n = performance.now(); const d = (n - t) / 1000; t = n; return d; }; })();
  try {
    if (!base) throw new Error(`pgtide: no archive target for ${job.parent}: set tide.config.archive_target or pass --target`);
    const store = await openStore(base, opts.s3);
    const tmpDir = opts.tmpDir ?? tmpdir();
    let keys = archiveKeys(job.parent_schema, job.parent_table, job.partition_table, id);
    let manifest: Manifest | null = null;
    let readBack: (() => Promise<void>) | null = null;

    const db = await client.query<{ current_database: string; v: number }>(
      "select current_database(), current_setting('server_version_num')::int as v");
    const database = db.rows[0]!.current_database;
    // One staging folder per database and job: every run of the job starts by clearing what a
    // killed run may have left there.
    const work = join(tmpDir, `pgtide-archive-${keySegment(database)}-${id}`);
    await rmQuiet(work);
    // Resume: the object and manifest were published before a crash; verify them instead of redoing.
    // A job exported by a version whose keys had no job id resumes from its recorded object.
    if (job.previous_state === "exported" || job.previous_state === "verified") {
      const unnumbered = unnumberedArchiveKeys(job.parent_schema, job.parent_table, job.partition_table);
      const resumeKeys = job.target_uri === store.uri(keys.data) ? keys
        : job.target_uri === store.uri(unnumbered.data) ? unnumbered : null;
      manifest = resumeKeys ? await readManifest(store, resumeKeys.manifest) : null;
      if (resumeKeys && manifest && manifest.format !== MANIFEST_FORMAT) {
        // Written by another version (another canonical text): export again rather than fail.
        log(`${job.partition_name}: ${store.uri(resumeKeys.manifest)} is ${String(manifest.format)}, exporting again as ${MANIFEST_FORMAT}`);
        manifest = null;
      }
      if (resumeKeys && manifest && !isJobManifest(manifest, job, database)) {
        // Another job's archive took that key since (possible with keys without a job id): this
        // job's own archive is written again under its own key.
        log(`${job.partition_name}: ${store.uri(resumeKeys.manifest)} belongs to archive job ${String(manifest.archive_id)}, exporting again`);
        manifest = null;
      }
      if (resumeKeys && manifest) {
        keys = resumeKeys;
        log(`${job.partition_name}: resuming, verifying ${store.uri(keys.data)}`);
        await verifyObject(store, keys.data, manifest, tmpDir);
      }
    }
    result.uri = store.uri(keys.data);
    result.manifestUri = store.uri(keys.manifest);
    if (!manifest) {
      await refuseOtherArchive(store, keys, job, database);
      const tty = opts.progress ?? Boolean(process.stderr.isTTY);
      const progress = new Progress(job.partition_name, null, tty, log);
      await fsp.mkdir(work, { recursive: true });
      let x;
      try {
        x = await exportTable(client, job, store, keys.data, opts, progress, work, () => refuseOtherArchive(store, keys, job, database));
      } catch (e) {
        await rmQuiet(work);
        throw e;
      }
      result.phases.export = lap();
      manifest = {
        format: MANIFEST_FORMAT,
        pgtide_version: pgtideVersion(),
        archive_id: id,
        database,
        parent: job.parent,
        partition: job.partition_name,
        schema: job.partition_schema,
        table: job.partition_table,
        parent_schema: job.parent_schema,
        parent_table: job.parent_table,
        lower_bound: job.lower_bound,
        upper_bound: job.upper_bound,
        control: job.control,
        min_control: x.min,
        max_control: x.max,
        columns: job.columns,
        rows: x.rows,
        content_checksum: x.checksum,
        checksum_algorithm: CHECKSUM_ALGORITHM,
        pg_server_version_num: db.rows[0]!.v,
        compression: "ZSTD",
        uri: result.uri,
        file_bytes: x.bytes,
        file_sha256: x.sha256,
        created_at: new Date().toISOString(),
      };
      await store.putAtomic(keys.manifest, Buffer.from(JSON.stringify(manifest, null, 2) + "\n"));
      await client.query("select tide.mark_archive_exported($1, $2, $3, $4)", [id, result.uri, x.bytes, x.sha256]);
      await stallPoint("exported");
      const exported = x;
      // Read the published object back and prove it is the file that was decoded and verified
      // (sha256, size). The stream's checksum is in the manifest, and tide.complete_archive compares
      // it with the table itself.
      readBack = async () => {
        try {
          await checkPublished(store, keys.data, exported, work);
        } finally {
          await rmQuiet(work);
        }
        progress.done(`${(exported.bytes / 1e6).toFixed(1)} MB Parquet at ${result.uri}, verified`);
      };
    }
    const completeSql = "select tide.complete_archive($1, $2::jsonb, $3) as state";
    const completeArgs = [id, JSON.stringify(manifest), !opts.keepPartition];
    if (readBack) {
      // The read-back and the database's re-check (tide.complete_archive, in a transaction) run at
      // the same time; the transaction — and with it any drop — commits only when both passed.
      // READ COMMITTED whatever the database's default: complete_archive refuses any other level
      await client.query("begin isolation level read committed");
      const completing = client.query<{ state: "dropped" | "verified" }>(completeSql, completeArgs);
      completing.catch(() => undefined);
      let committed = false;
      try {
        await readBack();
        result.phases.verify = lap();
        result.state = (await completing).rows[0]!.state;
        await client.query("commit");
        committed = true;
      } finally {
        if (!committed) {
          await completing.catch(() => undefined);
          await client.query("rollback").catch(() => undefined);
        }
      }
    } else {
      result.state = (await client.query<{ state: "dropped" | "verified" }>(completeSql, completeArgs)).rows[0]!.state;
    }
    result.phases.complete = lap();
    result.rows = manifest.rows;
    result.fileBytes = manifest.file_bytes;
    log(`${job.partition_name}: ${manifest.rows} rows archived to ${result.uri} — ${result.state}`);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    result.error = msg;
    log(`${job.partition_name}: archive failed, partition kept: ${msg}`);
    await client.query("select tide.fail_archive($1, $2)", [id, msg]).catch(() => undefined);
  } finally {
    await client.query("select tide.release_archive($1)", [id]).catch(() => undefined);
    result.seconds = (Date.now() - started) / 1000;
  }
  return result;
}

/**
 * Archive every claimable job in the queue (or one, or up to `limit`); with `watch`, keep polling
 * until `signal` aborts. Returns one result per job attempted (with `watch`, per job of the last pass:
 * a process that watches for months keeps no more; `onResult` sees each). Never drops a partition itself:
 * only tide.complete_archive does, after re-verifying the manifest against the table.
 */
export async function archivePending(client: pg.Client, opts: ArchiveOptions = {}): Promise<ArchiveResult[]> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const worker = opts.worker ?? `${hostname()}:${process.pid}`;
  await pinSession(client);
  let results: ArchiveResult[] = [];
  let attempted = 0;
  for (;;) {
    let didWork = false;
    results = [];
    // the jobs of this pass are not claimed twice in it; a later pass (--watch) tries a failed one
    // again, up to archive_max_attempts, as claim_archive decides
    const tried: number[] = [];
    while (!opts.signal?.aborted && (opts.limit === undefined || attempted < opts.limit)) {
      const r = await client.query<Job>("select * from tide.claim_archive($1, $2, $3)",
        [worker, opts.archiveId ?? null, tried]);
      const job = r.rows[0];
      if (!job) break;
      const done = await archiveJob(client, job, opts, log);
      // a pass whose jobs all failed waits intervalMs like an idle one: no retry at once
      if (done.state !== "failed") didWork = true;
      tried.push(done.archiveId);
      results.push(done);
      attempted++;
      opts.onResult?.(done);
      if (opts.archiveId !== undefined) break;
    }
    if (!opts.watch || opts.signal?.aborted || (opts.limit !== undefined && attempted >= opts.limit)) break;
    if (!didWork) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, opts.intervalMs ?? 60_000);
        opts.signal?.addEventListener("abort", () => { clearTimeout(t); res(); }, { once: true });
      });
    }
  }
  return results;
}
