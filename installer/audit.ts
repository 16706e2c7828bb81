// The reference deployment: apply examples/audit_log/*.sql (the user's audit_log table, its roles and
// the runbook's compatibility functions) and load realistic synthetic audit events with COPY.
// TypeScript only orchestrates; the table, its guard and its management are all in the SQL files.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import type { ClientBase } from "pg";
import pgCopyStreams from "pg-copy-streams";

const { from: copyFrom } = pgCopyStreams;

/** The folder holding the reference deployment's SQL files, found next to the installer. */
export function auditLogSqlDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "examples", "audit_log");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error("pgtide: cannot find the folder examples/audit_log/ next to the installer");
}

/** The reference deployment's SQL files in the order they are applied. */
export function auditLogSqlFiles(): { name: string; sql: string }[] {
  const dir = auditLogSqlDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name), "utf8") }));
}

export interface CreateAuditLogOptions {
  /** Schema that receives audit_log, its trigger function and the compatibility functions (default `public`). */
  schema?: string;
  /**
   * First month that gets a partition, for history about to be loaded (any date inside the month).
   * Default: the current month. Ignored when audit_log is already managed.
   */
  startAt?: Date | string;
}

export interface CreateAuditLogResult {
  schema: string;
  /** False when audit_log already existed (the files were re-applied and changed nothing). */
  created: boolean;
  /** Partitions of audit_log after the apply, the default partition included. */
  partitions: number;
}

function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

function isoDate(d: Date | string): string {
  if (typeof d === "string") return d;
  return d.toISOString().slice(0, 10);
}

/**
 * Create the audit log in `schema` (idempotent): applies every examples/audit_log/*.sql file in one
 * transaction with that schema first on the search_path. pgtide must be installed in the database.
 */
export async function createAuditLog(client: ClientBase, opts: CreateAuditLogOptions = {}): Promise<CreateAuditLogResult> {
  const schema = opts.schema ?? "public";
  const installed = await client.query<{ ok: boolean }>(
    "select to_regprocedure('tide.manage(regclass,name,text,integer,text,text,text,text,boolean)') is not null as ok",
  );
  if (!installed.rows[0]?.ok) {
    throw new Error("pgtide: tide.manage() is missing in this database: install pgtide first (pgtide install --database-url …)");
  }
  const files = auditLogSqlFiles();
  await client.query("begin");
  try {
    await client.query(`create schema if not exists ${quoteIdent(schema)}`);
    await client.query("select set_config('search_path', $1, true)", [`${quoteIdent(schema)}, pg_catalog, pg_temp`]);
    const existed = await client.query<{ ok: boolean }>(
      "select to_regclass(format('%I.audit_log', $1::text)) is not null as ok",
      [schema],
    );
    if (opts.startAt !== undefined) {
      await client.query("select set_config('audit_log.start_at', $1, true)", [isoDate(opts.startAt)]);
    }
    for (const f of files) {
      try {
        await client.query(f.sql);
      } catch (err) {
        if (err instanceof Error) err.message = `examples/audit_log/${f.name}: ${err.message}`;
        throw err;
      }
    }
    const parts = await client.query<{ n: number }>(
      "select count(*)::int as n from pg_catalog.pg_inherits where inhparent = format('%I.audit_log', $1::text)::regclass",
      [schema],
    );
    await client.query("commit");
    return { schema, created: !existed.rows[0]?.ok, partitions: parts.rows[0]?.n ?? 0 };
  } catch (err) {
    await client.query("rollback").catch(() => undefined);
    throw err;
  }
}

export interface GenerateOptions {
  /** How many events to load. */
  rows: number;
  /** Span of history, ending at `asOf` (default 26 months). */
  months?: number;
  /** The newest event's time (default now). */
  asOf?: Date;
  /** Schema holding audit_log (default `public`). */
  schema?: string;
  /** Seed for the pseudo-random generator, so that two loads with the same seed are alike (default 1). */
  seed?: number;
  /** Called after every batch with the rows sent so far. */
  onProgress?: (loaded: number, total: number) => void;
}

export interface GenerateResult {
  rows: number;
  from: Date;
  to: Date;
  seconds: number;
}

/** First instant of the UTC month that is `months` before the month of `d`. */
export function monthStartBefore(d: Date, months: number): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - months, 1));
}

// mulberry32: small, fast, good enough for synthetic data, and reproducible from a seed.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidFrom(rand: () => number): string {
  const h: string[] = [];
  for (let i = 0; i < 4; i++) h.push(Math.floor(rand() * 4294967296).toString(16).padStart(8, "0"));
  const s = h.join("");
  // version 4, variant 10xx
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${"89ab"[parseInt(s[16] ?? "0", 16) & 3]}${s.slice(17, 20)}-${s.slice(20, 32)}`;
}

interface ActionKind {
  action: string;
  resource: string;
  prefix: string;
  weight: number;
  classification: string;
}

const ACTIONS: ActionKind[] = [
  { action: "session.login", resource: "session", prefix: "ses", weight: 18, classification: "INTERNAL" },
  { action: "session.logout", resource: "session", prefix: "ses", weight: 12, classification: "INTERNAL" },
  { action: "document.read", resource: "document", prefix: "doc", weight: 30, classification: "CONFIDENTIAL" },
  { action: "document.update", resource: "document", prefix: "doc", weight: 10, classification: "CONFIDENTIAL" },
  { action: "document.share", resource: "document", prefix: "doc", weight: 4, classification: "CONFIDENTIAL" },
  { action: "document.delete", resource: "document", prefix: "doc", weight: 2, classification: "CONFIDENTIAL" },
  { action: "report.export", resource: "report", prefix: "rpt", weight: 5, classification: "RESTRICTED" },
  { action: "user.create", resource: "user", prefix: "usr", weight: 2, classification: "INTERNAL" },
  { action: "user.role_grant", resource: "user", prefix: "usr", weight: 2, classification: "RESTRICTED" },
  { action: "api_key.create", resource: "api_key", prefix: "key", weight: 1, classification: "RESTRICTED" },
  { action: "api_key.revoke", resource: "api_key", prefix: "key", weight: 1, classification: "RESTRICTED" },
  { action: "settings.update", resource: "settings", prefix: "set", weight: 3, classification: "INTERNAL" },
  { action: "payment.refund", resource: "payment", prefix: "pay", weight: 2, classification: "RESTRICTED" },
  { action: "status_page.view", resource: "page", prefix: "pag", weight: 8, classification: "PUBLIC" },
];

const STATUSES: [string, number, string][] = [
  ["success", 0.93, "completed"],
  ["failure", 0.04, "validation failed"],
  ["denied", 0.02, "permission denied by policy"],
  ["error", 0.01, "upstream service unavailable"],
];

const REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-2"];
const CLIENTS = ["web/2024.11", "web/2025.03", "ios/5.2.1", "android/5.2.0", "cli/1.8.0", "terraform/0.9.4"];

function cumulative<T>(items: T[], weight: (t: T) => number): (r: number) => T {
  const total = items.reduce((s, t) => s + weight(t), 0);
  const bounds: number[] = [];
  let acc = 0;
  for (const t of items) {
    acc += weight(t) / total;
    bounds.push(acc);
  }
  return (r: number) => {
    for (let i = 0; i < bounds.length; i++) if (r < (bounds[i] as number)) return items[i] as T;
    return items[items.length - 1] as T;
  };
}

/** COPY text-format line for one synthetic event at time `t`. Values never contain tab, newline or backslash. */
function eventLineMaker(seed: number): (t: Date) => string {
  const rand = prng(seed);
  const orgs = Array.from({ length: 200 }, () => uuidFrom(rand));
  const pickAction = cumulative(ACTIONS, (a) => a.weight);
  return (t: Date) => {
    // Organisations follow a skewed (roughly Zipf) distribution; each principal belongs to one.
    const orgIndex = Math.floor(Math.pow(rand(), 2.2) * orgs.length);
    const org = orgs[orgIndex] as string;
    const service = rand() < 0.12;
    const principal = service
      ? `svc:${["billing", "indexer", "backup", "sync", "mailer"][Math.floor(rand() * 5)]}-${orgIndex}`
      : `user:${orgIndex * 100 + Math.floor(Math.pow(rand(), 1.6) * 100)}`;
    const a = pickAction(rand());
    const r = rand();
    let acc = 0;
    let status = STATUSES[0] as [string, number, string];
    for (const s of STATUSES) {
      acc += s[1];
      if (r < acc) {
        status = s;
        break;
      }
    }
    const targetId = `${a.prefix}_${Math.floor(Math.pow(rand(), 1.3) * 250000).toString(36)}`;
    const legalHold = rand() < 0.01;
    const retention = legalHold ? "legal_hold" : a.classification === "RESTRICTED" ? "extended" : "standard";
    const ttl = legalHold ? "7 years" : "\\N";
    const latency = Math.round(Math.exp(3 + rand() * 2.2 + (status[0] === "error" ? 2 : 0)));
    const ts = t.toISOString();
    const id = uuidFrom(rand);
    const correlation = uuidFrom(rand);
    const ip = `10.${orgIndex % 256}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 254) + 1}`;
    const details = `{"ip": "${ip}", "region": "${REGIONS[orgIndex % REGIONS.length]}", "client": "${
      CLIENTS[Math.floor(rand() * CLIENTS.length)]
    }", "mfa": ${rand() < 0.7}}`;
    const hash = createHash("sha256")
      .update(`${id}|${ts}|${principal}|${a.action}|${targetId}|${status[0]}`)
      .digest("hex");
    return [
      id,
      ts,
      ttl,
      principal,
      org,
      a.action,
      a.resource,
      targetId,
      status[0],
      status[2],
      hash,
      "SHA-256",
      "1.0",
      correlation,
      a.classification,
      retention,
      String(latency),
      "\\N",
      details,
    ].join("\t");
  };
}

const COPY_COLUMNS =
  'id, "timestamp", ttl, principal_id, organization_id, action, target_resource_type, target_resource_id, status, ' +
  "outcome_description, hash, hash_algorithm, event_version, correlation_id, data_classification, retention_policy, " +
  "processing_latency, archived_at, details";

/**
 * Load `rows` synthetic audit events spread over the `months` months before `asOf`, oldest first, with
 * a steady growth in volume (the newest month holds about twice the events of the oldest), streamed
 * through COPY FROM STDIN. Partitions must exist for the whole span (createAuditLog's `startAt`),
 * or the rows land in the default partition.
 */
export async function generateAuditEvents(client: ClientBase, opts: GenerateOptions): Promise<GenerateResult> {
  const rows = Math.floor(opts.rows);
  if (!Number.isFinite(rows) || rows < 0) throw new Error(`pgtide: rows must be a non-negative integer, not ${opts.rows}`);
  const months = opts.months ?? 26;
  if (!Number.isInteger(months) || months < 1 || months > 240) throw new Error(`pgtide: months must be 1..240, not ${months}`);
  const to = opts.asOf ?? new Date();
  const from = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - months, to.getUTCDate(), to.getUTCHours(), to.getUTCMinutes(), to.getUTCSeconds()));
  const span = to.getTime() - from.getTime();
  const schema = opts.schema ?? "public";
  const line = eventLineMaker(opts.seed ?? 1);
  const started = Date.now();
  const batch = 2000;

  // Density grows linearly from 1 to 2 over the span: the inverse CDF of that ramp places event i.
  const placeAt = (q: number): number => from.getTime() + span * (Math.sqrt(1 + 3 * q) - 1);

  function* lines(): Generator<string> {
    let sent = 0;
    while (sent < rows) {
      const n = Math.min(batch, rows - sent);
      const out: string[] = new Array<string>(n);
      for (let k = 0; k < n; k++) {
        const i = sent + k;
        const ms = Math.min(to.getTime(), Math.floor(placeAt((i + 0.5) / rows)));
        out[k] = line(new Date(ms));
      }
      sent += n;
      yield out.join("\n") + "\n";
      opts.onProgress?.(sent, rows);
    }
  }

  if (rows > 0) {
    const copy = client.query(copyFrom(`copy ${quoteIdent(schema)}.audit_log (${COPY_COLUMNS}) from stdin`));
    await pipeline(Readable.from(lines(), { objectMode: false }), copy);
  }
  opts.onProgress?.(rows, rows);
  return { rows, from, to, seconds: (Date.now() - started) / 1000 };
}
