// The one definition, on the TypeScript side, of how a PostgreSQL value travels to Parquet and of
// its canonical text — the same text _tide.archive_columns produces in SQL, so a checksum over the
// Parquet read-back equals tide.archive_checksum over the table.
import { hashBytesExtended } from "./hash.js";

export type Kind =
  | "int16" | "int32" | "int64" | "boolean" | "float32" | "float64"
  | "timestamptz" | "timestamp" | "date" | "bytea" | "json" | "numeric" | "text";

export interface ArchiveColumn {
  name: string;
  /** PostgreSQL type as format_type prints it, e.g. `timestamp with time zone`, `integer[]`. */
  type: string;
  kind: Kind;
}

/**
 * Canonical text of timestamptz / timestamp: PostgreSQL's stored int64 — microseconds since
 * 2000-01-01 00:00:00 (UTC, or nominal), `infinity` and `-infinity` as the int64 extremes — as 16
 * lowercase hex digits of its two's complement (`encode(timestamptz_send(v), 'hex')`). Parquet
 * holds microseconds since 1970, so the two differ by PG_EPOCH_OFFSET_US.
 */
export const PG_EPOCH_OFFSET_US = 946684800000000;
const PG_EPOCH_OFFSET = BigInt(PG_EPOCH_OFFSET_US);
export const PG_INFINITY = "7fffffffffffffff";
export const PG_MINUS_INFINITY = "8000000000000000";

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

// ignoreBOM: a text value may begin with U+FEFF, which a default TextDecoder would silently drop
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const f4 = Buffer.alloc(4);
const f8 = Buffer.alloc(8);

/** The canonical text of a value read back from Parquet (hyparquet with pgtide's parsers). */
export function fromParquet(kind: Kind, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case "int16":
    case "int32":
    case "int64": return String(v);
    case "boolean": return v ? "t" : "f";
    case "float32": f4.writeFloatBE(v as number, 0); return f4.toString("hex");
    case "float64": f8.writeDoubleBE(v as number, 0); return f8.toString("hex");
    case "timestamptz":
    case "timestamp": {
      const b = BigInt(v as bigint);
      return b === INT64_MAX ? PG_INFINITY : b === INT64_MIN || b === -INT64_MAX ? PG_MINUS_INFINITY
        : BigInt.asUintN(64, b - PG_EPOCH_OFFSET).toString(16).padStart(16, "0");
    }
    case "date": return v === INT32_MAX ? "infinity" : v === INT32_MIN || v === -INT32_MAX ? "-infinity" : String(v);
    case "bytea": return Buffer.from(v as Uint8Array).toString("hex");
    default: return typeof v === "string" ? v : decoder.decode(v as Uint8Array);
  }
}

/** Parsers for hyparquet so values come back untouched: micros as bigint, days as numbers, text as text. */
export const rawParsers = {
  timestampFromMicroseconds: (m: bigint) => m,
  timestampFromMilliseconds: (m: bigint) => m * 1000n,
  timestampFromNanoseconds: (n: bigint) => n / 1000n,
  dateFromDays: (d: number) => d,
  stringFromBytes: (b: Uint8Array) => (b === undefined ? b : decoder.decode(b)),
  jsonFromBytes: (b: Uint8Array) => (b === undefined ? b : decoder.decode(b)),
};

/**
 * The order-independent content checksum (pgtide-archive/3): per row, the xor over columns i = 1..n of
 * hash_bytes_extended(UTF-8 canonical text, seed i) — PostgreSQL's hashtextextended — or of the
 * constant i for NULL; the row hashes are summed modulo 2^64 and printed as 16 hex digits
 * (tide.archive_checksum computes the same in SQL, in one sequential scan).
 */
export class ContentChecksum {
  rows = 0;
  private hi = 0;
  private lo = 0;
  private sinceNormal = 0;
  private scratch = Buffer.allocUnsafe(1 << 16);
  private readonly out = new Uint32Array(2);

  addRow(values: (string | null)[]): void {
    let rh = 0, rl = 0;
    const out = this.out;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) { rl ^= i + 1; continue; }
      if (v.length * 3 > this.scratch.length) this.scratch = Buffer.allocUnsafe(v.length * 3 + 1024);
      const n = this.scratch.write(v, 0, "utf8");
      hashBytesExtended(this.scratch, n, 0, i + 1, out);
      rh ^= out[0]!;
      rl ^= out[1]!;
    }
    this.addRowHash(rh, rl);
  }

  /** Add one row whose hash (upper, lower 32 bits) the caller computed. */
  addRowHash(rh: number, rl: number): void {
    this.hi += rh >>> 0;
    this.lo += rl >>> 0;
    this.rows++;
    if (++this.sinceNormal >= 1_000_000) this.normalize();
  }

  private normalize(): void {
    const carry = Math.floor(this.lo / 4294967296);
    this.lo -= carry * 4294967296;
    this.hi = (this.hi + carry) % 4294967296;
    this.sinceNormal = 0;
  }

  digest(): string {
    this.normalize();
    return this.hi.toString(16).padStart(8, "0") + this.lo.toString(16).padStart(8, "0");
  }
}

/** Compare two decimal integers as text (optional leading '-', no leading zeros) without parsing. */
function compareDecimal(a: string, b: string): number {
  const na = a.charCodeAt(0) === 45, nb = b.charCodeAt(0) === 45;
  if (na !== nb) return na ? -1 : 1;
  const sign = na ? -1 : 1;
  if (a.length !== b.length) return a.length < b.length ? -sign : sign;
  return a < b ? -sign : a > b ? sign : 0;
}

/** Compare canonical control values (timestamps as int64 hex; days or integers as decimal text; ±infinity) for min/max. */
export function compareCanonical(kind: Kind, a: string, b: string): number {
  if (kind === "timestamptz" || kind === "timestamp") {
    // Fixed-width two's complement: negative (first digit 8..f) below non-negative, else as text.
    const na = a.charCodeAt(0) >= 56, nb = b.charCodeAt(0) >= 56;
    if (na !== nb) return na ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (kind === "int16" || kind === "int32" || kind === "int64" || kind === "date") {
    if (a === b) return 0;
    if (a === "infinity" || b === "-infinity") return 1;
    if (a === "-infinity" || b === "infinity") return -1;
    return compareDecimal(a, b);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
