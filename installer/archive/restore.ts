// `pgtide restore <manifest or uri> [--as table] [--attach]`: loads an archived partition back into
// a table, verifies the content checksum in the database before committing, and re-attaches it
// to its parent when asked and when its range is free.
import type pg from "pg";
import pgCopy from "pg-copy-streams";
import { tmpdir } from "node:os";
import type { Kind } from "./canonical.js";
import type { Manifest } from "./export.js";
import { MANIFEST_FORMAT, pinSession, verifyObject } from "./export.js";
import { readBackFile } from "./parquet.js";
import { openStore, splitUri, type S3Options } from "./store.js";

export interface RestoreOptions {
  /** Table to create (`name` or `schema.name`, SQL identifier syntax); default the original partition. */
  as?: string;
  /** ATTACH the restored table to its original parent when the range is free. */
  attach?: boolean;
  s3?: S3Options;
  tmpDir?: string;
  log?: (line: string) => void;
}

export interface RestoreResult {
  table: string;
  rows: number;
  checksum: string;
  attached: boolean;
  attachError?: string;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function pad(n: number | bigint, w: number): string {
  return String(n).padStart(w, "0");
}

/** Days since 1970-01-01 → proleptic Gregorian date text as PostgreSQL reads it (with BC). */
function civil(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return y <= 0 ? `${pad(1 - y, 4)}-${pad(m, 2)}-${pad(d, 2)}|BC` : `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}|`;
}

function timestampText(micros: bigint, tz: boolean): string {
  if (micros === INT64_MAX) return "infinity";
  if (micros === INT64_MIN || micros === -INT64_MAX) return "-infinity";
  const day = 86_400_000_000n;
  let days = micros / day;
  let rem = micros % day;
  if (rem < 0n) { rem += day; days -= 1n; }
  const [date, era] = civil(Number(days)).split("|");
  const us = Number(rem);
  const hh = Math.floor(us / 3_600_000_000), mm = Math.floor(us / 60_000_000) % 60, ss = Math.floor(us / 1_000_000) % 60, f = us % 1_000_000;
  return `${date} ${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${pad(f, 6)}${tz ? "+00" : ""}${era ? " BC" : ""}`;
}

function floatText(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  if (Object.is(v, -0)) return "-0";
  return String(v);
}

function copyEscape(s: string): string {
  return s.replace(/[\\\n\r\t]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t"));
}

/** A Parquet value (as read with pgtide's parsers) → one COPY text field. */
export function copyField(kind: Kind, v: unknown): string {
  if (v === null || v === undefined) return "\\N";
  switch (kind) {
    case "int16": case "int32": case "int64": return String(v);
    case "boolean": return v ? "t" : "f";
    case "float32": case "float64": return floatText(v as number);
    case "timestamptz": return timestampText(BigInt(v as bigint), true);
    case "timestamp": return timestampText(BigInt(v as bigint), false);
    case "date": {
      const d = v as number;
      if (d === 2147483647) return "infinity";
      if (d === -2147483648 || d === -2147483647) return "-infinity";
      const [date, era] = civil(d).split("|");
      return era ? `${date} BC` : date!;
    }
    case "bytea": return "\\\\x" + Buffer.from(v as Uint8Array).toString("hex");
    default: return copyEscape(typeof v === "string" ? v : utf8.decode(v as Uint8Array));
  }
}

// ignoreBOM: a text value may begin with U+FEFF, which a default TextDecoder would silently drop
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
const SAFE_TYPE = /^[A-Za-z0-9_ .,()\[\]"]+$/;

export function manifestUriFor(source: string): string {
  if (source.endsWith(".manifest.json")) return source;
  if (source.endsWith(".parquet")) return source.slice(0, -".parquet".length) + ".manifest.json";
  throw new Error(`pgtide: ${source} is neither a .manifest.json nor a .parquet URI`);
}

export async function readManifestUri(uri: string, s3?: S3Options): Promise<Manifest> {
  const { base, key } = splitUri(uri);
  const store = await openStore(base, s3);
  const s = await store.read(key);
  if (!s) throw new Error(`pgtide: manifest ${uri} does not exist`);
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return JSON.parse(Buffer.concat(parts).toString("utf8")) as Manifest;
}

export async function restoreArchive(client: pg.Client, source: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const m = await readManifestUri(manifestUriFor(source), opts.s3);
  if (m.format !== MANIFEST_FORMAT) throw new Error(`pgtide: ${source}: unknown manifest format ${String(m.format)} (this pgtide reads ${MANIFEST_FORMAT})`);
  for (const c of m.columns) {
    if (!SAFE_TYPE.test(c.type) || c.type.includes("--")) throw new Error(`pgtide: manifest column ${c.name} has an unusable type ${c.type}`);
  }
  const { base, key } = splitUri(m.uri);
  const store = await openStore(base, opts.s3);
  const tmpDir = opts.tmpDir ?? tmpdir();
  await pinSession(client);

  let schema = m.schema, table = m.table;
  if (opts.as) {
    const r = await client.query<{ p: string[] }>("select parse_ident($1) as p", [opts.as]);
    const p = r.rows[0]!.p;
    if (p.length === 1) { table = p[0]!; schema = (await client.query<{ s: string }>("select current_schema() as s")).rows[0]!.s; }
    else if (p.length === 2) { schema = p[0]!; table = p[1]!; }
    else throw new Error(`pgtide: --as ${opts.as} is not a table name`);
  }
  const ident = (s: string) => client.escapeIdentifier(s);
  const qualified = `${ident(schema)}.${ident(table)}`;

  // The object must be the one the manifest describes before a row of it is loaded.
  await verifyObject(store, key, m, tmpDir);
  const local = await store.localCopy(key, tmpDir);
  await client.query("begin");
  try {
    await client.query(`create table ${qualified} (${m.columns.map((c) => `${ident(c.name)} ${c.type}`).join(", ")})`);
    let rows = 0;
    const rb = await readBackFile(local.path, m.columns, m.control, async (group) => {
      const lines: string[] = [];
      for (const row of group) {
        lines.push(m.columns.map((c, i) => copyField(c.kind, row[i])).join("\t"));
      }
      const stream = client.query(pgCopy.from(`copy ${qualified} from stdin`));
      await new Promise<void>((res, rej) => {
        stream.on("finish", res);
        stream.on("error", rej);
        stream.end(lines.join("\n") + "\n");
      });
      rows += group.length;
    });
    const db = await client.query<{ rows: string; checksum: string; min_control: string | null; max_control: string | null }>(
      "select * from tide.archive_checksum($1::regclass, $2)", [qualified, m.control]);
    const d = db.rows[0]!;
    if (Number(d.rows) !== m.rows || d.checksum !== m.content_checksum || rb.checksum !== m.content_checksum) {
      throw new Error(`pgtide: restored ${qualified} does not match the archive: ${d.rows} rows, checksum ${d.checksum}; manifest ${m.rows} rows, checksum ${m.content_checksum}`);
    }
    await client.query("commit");
    log(`${qualified}: ${rows} rows restored from ${m.uri}, checksum ${d.checksum} verified`);
  } catch (e) {
    await client.query("rollback").catch(() => undefined);
    throw e;
  } finally {
    await local.cleanup();
  }

  const result: RestoreResult = { table: `${schema}.${table}`, rows: m.rows, checksum: m.content_checksum, attached: false };
  if (opts.attach) {
    if (m.lower_bound === null || m.upper_bound === null) {
      result.attachError = "the manifest records no partition bounds";
    } else {
      const parent = `${ident(m.parent_schema)}.${ident(m.parent_table)}`;
      const lit = (v: string) => client.escapeLiteral(v);
      let fence: { dflt: string; name: string } | null = null;
      let maintainKey: string | null = null;
      let retries = 5;
      try {
        // Rules 1 and 2, as maintenance attaches: the parent's CHECKs and a CHECK of the bounds on the
        // table first (validated there, on a table nobody else uses), so that ATTACH reads nothing of
        // it; a default partition with rows is fenced first, as maintenance fences it, so that ATTACH
        // reads nothing of the default either; every statement that locks the parent or the default
        // runs under the table's lock_timeout, retried with backoff (a managed table's own settings,
        // else 100 ms and 5 retries)
        const lt = await client.query<{ lt: string; retries: number }>(
          `select coalesce(_tide.lock_timeout_setting(t.lock_timeout), '100ms') as lt, coalesce(t.lock_retries, 5) as retries
             from (select) one left join _tide.managed_tables t on t.parent = $1::regclass`,
          [parent]);
        await client.query("select set_config('lock_timeout', $1, false)", [lt.rows[0]!.lt]);
        retries = lt.rows[0]!.retries;
        const locking = (sql: string) => client.query("select _tide.execute_with_retry($1, $2)", [sql, retries]);
        const nn = await client.query<{ attname: string }>(
          `select a.attname from pg_attribute a where a.attrelid = $1::regclass and a.attnum > 0 and a.attnotnull and not a.attisdropped`,
          [parent]);
        for (const r of nn.rows) await client.query(`alter table ${qualified} alter column ${ident(r.attname)} set not null`);
        const checks = await client.query<{ conname: string; def: string }>(
          `select k.conname, pg_get_constraintdef(k.oid) as def from pg_constraint k
            where k.conrelid = $1::regclass and k.contype = 'c'
              and not exists (select from pg_constraint o where o.conrelid = $2::regclass and o.conname = k.conname)`,
          [parent, qualified]);
        for (const r of checks.rows) await client.query(`alter table ${qualified} add constraint ${ident(r.conname)} ${r.def}`);
        const control = m.control;
        if (control) {
          await client.query(`alter table ${qualified} add constraint tide_partition_bounds check (${ident(control)} is not null and ` +
            `${ident(control)} >= ${lit(m.lower_bound)} and ${ident(control)} < ${lit(m.upper_bound)})`);
          const d = await client.query<{ dflt: string | null; type: string }>(
            `select case when pg_relation_size(pt.partdefid) > 0 then pt.partdefid::regclass::text end as dflt,
                    format_type(a.atttypid, a.atttypmod) as type
               from pg_partitioned_table pt join pg_attribute a on a.attrelid = pt.partrelid and a.attname = $2
              where pt.partrelid = $1::regclass and pt.partdefid <> 0`,
            [parent, control]);
          const dflt = d.rows[0]?.dflt;
          if (dflt) {
            // NOT VALID under a moment of ACCESS EXCLUSIVE, then validated under SHARE UPDATE EXCLUSIVE,
            // which lets the default's readers and writers go on while it reads the default
            const type = d.rows[0]!.type;
            // maintenance's lock of the table, held until the fence is gone again: a run in between
            // would drop the fence as one it did not add, and ATTACH would read the default after all
            const key = await client.query<{ k: string }>("select _tide.lock_key('maintain', $1::regclass)::text as k", [parent]);
            await locking(`select pg_catalog.pg_advisory_lock(${key.rows[0]!.k})`);
            maintainKey = key.rows[0]!.k;
            fence = { dflt, name: `tide_fence_restore_${m.archive_id}` };
            await locking(`alter table ${dflt} add constraint ${ident(fence.name)} check (not (${ident(control)} >= ${lit(m.lower_bound)}::${type}` +
              ` and ${ident(control)} < ${lit(m.upper_bound)}::${type})) not valid`);
            try {
              await locking(`alter table ${dflt} validate constraint ${ident(fence.name)}`);
            } catch (e) {
              if ((e as { code?: string }).code === "23514") {
                throw new Error(`the default partition ${dflt} holds rows of [${m.lower_bound}, ${m.upper_bound}), the range being restored: ` +
                  `move them out of the default first (they would belong to the restored partition)`);
              }
              throw e;
            }
          }
        }
        await locking(`alter table ${parent} attach partition ${qualified} for values from (${lit(m.lower_bound)}) to (${lit(m.upper_bound)})`);
        if (control) await client.query(`alter table ${qualified} drop constraint tide_partition_bounds`);
        result.attached = true;
        log(`${qualified}: attached to ${m.parent_schema}.${m.parent_table} for [${m.lower_bound}, ${m.upper_bound})`);
      } catch (e) {
        await client.query(`alter table ${qualified} drop constraint if exists tide_partition_bounds`).catch(() => undefined);
        result.attachError = (e as Error).message;
        log(`${qualified}: kept as a standalone table, not attached: ${result.attachError}`);
      }
      if (fence) {
        // Attached, the fence only restates what routing does; not attached, it would refuse the
        // default rows of that range: either way it goes now, or on the next maintenance run of a
        // managed table (which drops every tide_fence_* CHECK it did not add itself)
        try {
          await client.query("select _tide.execute_with_retry($1, $2)", [`alter table ${fence.dflt} drop constraint if exists ${ident(fence.name)}`, retries]);
        } catch (e) {
          log(`${fence.dflt}: CHECK ${fence.name} could not be dropped (${(e as Error).message}); ` +
            `until it is (ALTER TABLE ${fence.dflt} DROP CONSTRAINT ${ident(fence.name)}, or the next maintenance run of a managed table), ` +
            `the default partition refuses rows of [${m.lower_bound}, ${m.upper_bound})`);
        }
      }
      if (maintainKey) await client.query("select pg_catalog.pg_advisory_unlock($1::bigint)", [maintainKey]);
      await client.query("reset lock_timeout");
    }
  }
  return result;
}
