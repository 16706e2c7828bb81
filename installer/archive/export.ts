// `pgtide archive`: claims jobs from the archive queue, streams each detached partition out with
// COPY, writes zstd Parquet to a temporary key, publishes it, reads it back, writes the manifest,
// and only then asks the database (tide.complete_archive) to re-verify and drop the partition.
import { readFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import pgCopy from "pg-copy-streams";
import { compareCanonical, toParquet, type ArchiveColumn } from "./canonical.js";
import { openParquet, readBackFile } from "./parquet.js";
import { Progress } from "./progress.js";
import { archiveKeys, openStore, type ObjectStore, type S3Options } from "./store.js";

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
  /** zstd level (default 3). */
  compressionLevel?: number;
  s3?: S3Options;
  /** Folder for read-back copies of remote objects (default the OS temp folder). */
  tmpDir?: string;
  /** Progress bar (true), plain lines (false) or decide by whether stderr is a terminal (default). */
  progress?: boolean;
  log?: (line: string) => void;
  /** Keep polling the queue (`--watch`) until the signal aborts. */
  watch?: boolean;
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
  /** Seconds spent exporting (COPY → Parquet → published), reading back, and in tide.complete_archive. */
  phases: { export: number; verify: number; complete: number };
  error?: string;
}

export interface Manifest {
  format: "pgtide-archive/2";
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

function unescapeCopy(f: string): string {
  if (f.indexOf("\\") < 0) return f;
  return f.replace(/\\(.)/g, (_m, c: string) =>
    c === "n" ? "\n" : c === "t" ? "\t" : c === "r" ? "\r" : c === "b" ? "\b" : c === "f" ? "\f" : c === "v" ? "\v" : c);
}

/** Stream the partition through COPY and write it as Parquet into the sink. Bounded by one row group. */
async function exportTable(client: pg.Client, job: Job, store: ObjectStore, key: string, opts: ArchiveOptions, progress: Progress) {
  const cols = job.columns;
  const kinds = cols.map((c) => c.kind);
  const ci = job.control ? cols.findIndex((c) => c.name === job.control) : -1;
  const sink = await store.openSink(key);
  try {
    const pq = await openParquet(sink, cols, {
      "pgtide.archive_id": String(job.archive_id),
      "pgtide.partition": job.partition_name,
      "pgtide.columns": JSON.stringify(cols),
    }, opts.compressionLevel ?? 3);
    const groupSize = opts.rowGroupSize ?? 65536;
    let min: string | null = null, max: string | null = null;
    let batch: unknown[][] = cols.map(() => []);
    let inBatch = 0, rows = 0, bytesIn = 0, stalled = false;
    const fields: (string | null)[] = new Array(cols.length);
    const stream = client.query(pgCopy.to(`copy (${job.select_sql}) to stdout`));
    let rest = Buffer.alloc(0);
    const flushBatch = async () => {
      await pq.writeGroup(batch);
      batch = cols.map(() => []);
      inBatch = 0;
      if (!stalled) { stalled = true; await stallPoint("upload"); }
    };
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytesIn += chunk.length;
      const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      const end = buf.lastIndexOf(10);
      if (end < 0) { rest = buf; continue; }
      rest = buf.subarray(end + 1);
      const text = buf.toString("utf8", 0, end);
      let pos = 0;
      while (pos <= text.length) {
        let nl = text.indexOf("\n", pos);
        if (nl < 0) nl = text.length;
        let p = pos;
        for (let i = 0; i < cols.length; i++) {
          let tab = i === cols.length - 1 ? nl : text.indexOf("\t", p);
          if (tab < 0 || tab > nl) tab = nl;
          const raw = text.slice(p, tab);
          const v = raw === "\\N" ? null : unescapeCopy(raw);
          fields[i] = v;
          batch[i]!.push(toParquet(kinds[i]!, v));
          p = tab + 1;
        }
        if (ci >= 0) {
          const v = fields[ci];
          if (v != null) {
            if (min === null || compareCanonical(kinds[ci]!, v, min) < 0) min = v;
            if (max === null || compareCanonical(kinds[ci]!, v, max) > 0) max = v;
          }
        }
        rows++;
        if (++inBatch >= groupSize) {
          await flushBatch();
          progress.update(rows, bytesIn);
        }
        pos = nl + 1;
      }
    }
    if (rest.length) throw new Error("pgtide: COPY stream ended inside a row");
    if (inBatch > 0 || rows === 0) await flushBatch();
    const file = await pq.finish();
    progress.update(rows, bytesIn);
    await sink.commit();
    return { rows, min, max, ...file };
  } catch (e) {
    await sink.abort().catch(() => undefined);
    throw e;
  }
}

/** Read an archived object back and compare it with the manifest; throws on any difference. */
export async function verifyObject(store: ObjectStore, key: string,
  m: Pick<Manifest, "columns" | "control" | "rows" | "file_sha256" | "file_bytes" | "min_control" | "max_control"> & { content_checksum: string | null },
  tmpDir: string) {
  const local = await store.localCopy(key, tmpDir);
  try {
    if (local.sha256 !== m.file_sha256 || local.bytes !== m.file_bytes) {
      throw new Error(`pgtide: ${store.uri(key)} is corrupt: sha256 ${local.sha256} (${local.bytes} bytes), manifest says ${m.file_sha256} (${m.file_bytes} bytes)`);
    }
    const rb = await readBackFile(local.path, m.columns, m.control);
    if (rb.rows !== m.rows || (m.content_checksum !== null && rb.checksum !== m.content_checksum) || rb.minControl !== m.min_control || rb.maxControl !== m.max_control) {
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
    const keys = archiveKeys(job.parent_schema, job.parent_table, job.partition_table);
    const tmpDir = opts.tmpDir ?? tmpdir();
    result.uri = store.uri(keys.data);
    result.manifestUri = store.uri(keys.manifest);
    let manifest: Manifest | null = null;

    // Resume: the object and manifest were published before a crash; verify them instead of redoing.
    if ((job.previous_state === "exported" || job.previous_state === "verified") && job.target_uri === result.uri) {
      manifest = await readManifest(store, keys.manifest);
      if (manifest) {
        log(`${job.partition_name}: resuming, verifying ${result.uri}`);
        await verifyObject(store, keys.data, manifest, tmpDir);
      }
    }
    if (!manifest) {
      const tty = opts.progress ?? Boolean(process.stderr.isTTY);
      const progress = new Progress(job.partition_name, null, tty, log);
      const x = await exportTable(client, job, store, keys.data, opts, progress);
      result.phases.export = lap();
      // Read the published object back: its sha256, row count and min/max must be what was
      // written; the content checksum recomputed from it goes into the manifest, and
      // tide.complete_archive compares that with the table itself before dropping anything.
      const rb = await verifyObject(store, keys.data, {
        columns: job.columns, control: job.control, rows: x.rows, file_sha256: x.sha256, file_bytes: x.bytes,
        min_control: x.min, max_control: x.max, content_checksum: null }, tmpDir);
      result.phases.verify = lap();
      const db = await client.query<{ current_database: string; v: number }>(
        "select current_database(), current_setting('server_version_num')::int as v");
      manifest = {
        format: "pgtide-archive/2",
        pgtide_version: pgtideVersion(),
        archive_id: id,
        database: db.rows[0]!.current_database,
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
        content_checksum: rb.checksum,
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
      progress.done(`${(x.bytes / 1e6).toFixed(1)} MB Parquet at ${result.uri}, verified`);
      await stallPoint("exported");
    }
    const done = await client.query<{ state: "dropped" | "verified" }>(
      "select tide.complete_archive($1, $2::jsonb, $3) as state", [id, JSON.stringify(manifest), !opts.keepPartition]);
    result.phases.complete = lap();
    result.state = done.rows[0]!.state;
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
 * until `signal` aborts. Returns one result per job attempted. Never drops a partition itself:
 * only tide.complete_archive does, after re-verifying the manifest against the table.
 */
export async function archivePending(client: pg.Client, opts: ArchiveOptions = {}): Promise<ArchiveResult[]> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const worker = opts.worker ?? `${hostname()}:${process.pid}`;
  await pinSession(client);
  const results: ArchiveResult[] = [];
  for (;;) {
    let didWork = false;
    while (!opts.signal?.aborted && (opts.limit === undefined || results.length < opts.limit)) {
      const r = await client.query<Job>("select * from tide.claim_archive($1, $2, $3)",
        [worker, opts.archiveId ?? null, results.map((x) => x.archiveId)]);
      const job = r.rows[0];
      if (!job) break;
      didWork = true;
      results.push(await archiveJob(client, job, opts, log));
      if (opts.archiveId !== undefined) break;
    }
    if (!opts.watch || opts.signal?.aborted || (opts.limit !== undefined && results.length >= opts.limit)) break;
    if (!didWork) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, opts.intervalMs ?? 60_000);
        opts.signal?.addEventListener("abort", () => { clearTimeout(t); res(); }, { once: true });
      });
    }
  }
  return results;
}
