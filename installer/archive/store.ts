// Where archives are written: `file:///dir/…` or `s3://bucket/prefix/…`. Every object is written
// under a temporary `.partial` key and published by rename (file) or copy-then-delete (S3), so no
// reader ever sees a half-written object under its final name.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, promises as fsp } from "node:fs";
import { basename, dirname, join } from "node:path";
import { PassThrough, Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { S3Client } from "@aws-sdk/client-s3";

export interface S3Options {
  /** Custom endpoint (S3-compatible stores); default from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL. */
  endpoint?: string;
  region?: string;
  /** Path-style addressing (needed by most S3-compatible servers); default true when an endpoint is set. */
  forcePathStyle?: boolean;
  /** Multipart part size in bytes (default 8 MiB). */
  partSize?: number;
}

/** A sink for one object: bytes go to a temporary key until commit() publishes them. */
export interface ObjectSink {
  write(chunk: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface ObjectStore {
  readonly base: string;
  uri(key: string): string;
  openSink(key: string): Promise<ObjectSink>;
  putAtomic(key: string, body: Buffer): Promise<void>;
  /** The object's bytes as a stream, or null when it does not exist. */
  read(key: string): Promise<Readable | null>;
  /** A local file with the object's content (the file itself for file://), and a cleanup. */
  localCopy(key: string, tmpDir: string): Promise<{ path: string; sha256: string; bytes: number; cleanup(): Promise<void> }>;
}

/** One path segment from a PostgreSQL name: percent-encoded so quotes, slashes, dots stay harmless. */
export function keySegment(name: string): string {
  return encodeURIComponent(name).replace(/^\./, "%2E").replace(/\*/g, "%2A");
}

/**
 * Keys of one archive job: `<parent schema>/<parent table>/<partition>@<archive_id>.parquet` and
 * `….manifest.json`. The job's id makes them unique per job, so a later job whose partition has the
 * same name (retention reuses `<name>_detached`) never lands on an earlier archive; `@` is never
 * left literal by keySegment, so these keys never equal a key of the layout without the id.
 */
export function archiveKeys(schema: string, table: string, partition: string, archiveId: number | string): { data: string; manifest: string } {
  if (!/^[0-9]+$/.test(String(archiveId))) throw new Error(`pgtide: archive id ${String(archiveId)} is not a whole number`);
  const stem = `${keySegment(schema)}/${keySegment(table)}/${keySegment(partition)}@${String(archiveId)}`;
  return { data: `${stem}.parquet`, manifest: `${stem}.manifest.json` };
}

/** Keys written by pgtide before archive keys carried the job's id (`<partition>.parquet`): still resumed and restored. */
export function unnumberedArchiveKeys(schema: string, table: string, partition: string): { data: string; manifest: string } {
  const stem = `${keySegment(schema)}/${keySegment(table)}/${keySegment(partition)}`;
  return { data: `${stem}.parquet`, manifest: `${stem}.manifest.json` };
}

async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest("hex"), bytes };
}

class FileStore implements ObjectStore {
  constructor(readonly base: string, private dir: string) {}
  uri(key: string): string {
    return pathToFileURL(this.path(key)).href;
  }
  private path(key: string): string {
    // Keys are built from keySegment(), so no segment is empty, '.' or '..'.
    return join(this.dir, ...key.split("/"));
  }
  async openSink(key: string): Promise<ObjectSink> {
    const final = this.path(key);
    const tmp = final + ".partial";
    await fsp.mkdir(dirname(final), { recursive: true });
    const out = createWriteStream(tmp);
    const wait = (w: Writable) => new Promise<void>((res, rej) => { w.once("drain", res); w.once("error", rej); });
    let failed: Error | null = null;
    out.on("error", (e) => (failed = e));
    return {
      async write(chunk) {
        if (failed) throw failed;
        if (!out.write(chunk)) await wait(out);
      },
      async commit() {
        await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
        const fh = await fsp.open(tmp, "r");
        try { await fh.sync(); } finally { await fh.close(); }
        await fsp.rename(tmp, final);
      },
      async abort() {
        out.destroy();
        await fsp.rm(tmp, { force: true });
      },
    };
  }
  async putAtomic(key: string, body: Buffer): Promise<void> {
    const s = await this.openSink(key);
    await s.write(body);
    await s.commit();
  }
  async read(key: string): Promise<Readable | null> {
    try {
      await fsp.access(this.path(key));
    } catch {
      return null;
    }
    return createReadStream(this.path(key));
  }
  async localCopy(key: string): Promise<{ path: string; sha256: string; bytes: number; cleanup(): Promise<void> }> {
    const path = this.path(key);
    const { sha256, bytes } = await hashFile(path);
    return { path, sha256, bytes, cleanup: async () => undefined };
  }
}

class S3Store implements ObjectStore {
  constructor(readonly base: string, private bucket: string, private prefix: string, private client: S3Client, private partSize: number) {}
  uri(key: string): string {
    // Keys are literal; the URI percent-encodes each segment (so '%' in a key is '%25').
    return `s3://${this.bucket}/${this.full(key).split("/").map(encodeURIComponent).join("/")}`;
  }
  private full(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }
  async openSink(key: string): Promise<ObjectSink> {
    const { Upload } = await import("@aws-sdk/lib-storage");
    const { CopyObjectCommand, DeleteObjectCommand } = await import("@aws-sdk/client-s3");
    const tmp = this.full(key) + ".partial";
    const body = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: tmp, Body: body, ContentType: "application/octet-stream" },
      partSize: Math.max(this.partSize, 5 * 1024 * 1024),
      queueSize: 2,
      leavePartsOnError: false,
    });
    const done = upload.done();
    let failed: unknown = null;
    done.catch((e) => (failed = e));
    const client = this.client, bucket = this.bucket, final = this.full(key);
    return {
      async write(chunk) {
        if (failed) throw failed;
        if (!body.write(chunk)) await new Promise<void>((res) => body.once("drain", res));
      },
      async commit() {
        body.end();
        await done;
        await client.send(new CopyObjectCommand({ Bucket: bucket, Key: final, CopySource: `${bucket}/${encodeURI(tmp)}` }));
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: tmp }));
      },
      async abort() {
        body.destroy();
        await upload.abort().catch(() => undefined);
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: tmp })).catch(() => undefined);
      },
    };
  }
  async putAtomic(key: string, body: Buffer): Promise<void> {
    // A single PUT is atomic in S3: the object appears whole or not at all.
    const { PutObjectCommand } = await import("@aws-sdk/client-s3");
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.full(key), Body: body }));
  }
  async read(key: string): Promise<Readable | null> {
    const { GetObjectCommand, NoSuchKey } = await import("@aws-sdk/client-s3");
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      return r.Body as Readable;
    } catch (e) {
      if (e instanceof NoSuchKey || (e as { name?: string }).name === "NoSuchKey" || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw e;
    }
  }
  async localCopy(key: string, tmpDir: string): Promise<{ path: string; sha256: string; bytes: number; cleanup(): Promise<void> }> {
    const src = await this.read(key);
    if (!src) throw new Error(`pgtide: archive object ${this.uri(key)} does not exist`);
    await fsp.mkdir(tmpDir, { recursive: true });
    const path = join(tmpDir, `pgtide-readback-${process.pid}-${Date.now()}.parquet`);
    const h = createHash("sha256");
    let bytes = 0;
    const tap = new PassThrough();
    tap.on("data", (c: Buffer) => { h.update(c); bytes += c.length; });
    await pipeline(src, tap, createWriteStream(path));
    return { path, sha256: h.digest("hex"), bytes, cleanup: () => fsp.rm(path, { force: true }) };
  }
}

export async function openStore(base: string, s3: S3Options = {}): Promise<ObjectStore> {
  const u = new URL(base);
  if (u.protocol === "file:") {
    return new FileStore(base, fileURLToPath(u));
  }
  if (u.protocol === "s3:") {
    const { S3Client } = await import("@aws-sdk/client-s3");
    const endpoint = s3.endpoint ?? process.env.PGTIDE_S3_ENDPOINT ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    const client = new S3Client({
      region: s3.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      ...(endpoint ? { endpoint } : {}),
      forcePathStyle: s3.forcePathStyle ?? (process.env.PGTIDE_S3_FORCE_PATH_STYLE ? process.env.PGTIDE_S3_FORCE_PATH_STYLE !== "0" : Boolean(endpoint)),
    });
    return new S3Store(base, u.hostname, u.pathname.replace(/^\/+|\/+$/g, "").split("/").map(decodeURIComponent).join("/"), client, s3.partSize ?? 8 * 1024 * 1024);
  }
  throw Object.assign(new Error(`pgtide: unsupported archive target ${base}`), {
    hint: "Use file:///absolute/dir or s3://bucket/prefix",
  });
}

/** Split a full object URI into its store base and key (for restore from a manifest URI). */
export function splitUri(uri: string): { base: string; key: string } {
  const u = new URL(uri);
  if (u.protocol === "s3:") {
    return { base: `s3://${u.hostname}`, key: u.pathname.replace(/^\/+/, "").split("/").map(decodeURIComponent).join("/") };
  }
  if (u.protocol === "file:") {
    const p = fileURLToPath(u);
    return { base: pathToFileURL(dirname(p)).href, key: basename(p) };
  }
  throw new Error(`pgtide: unsupported archive URI ${uri}`);
}

export { Readable };
