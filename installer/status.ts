// `pgtide status`: what tide.tables, tide.partitions and tide.health say, gathered into one report,
// rendered for a terminal (timeline per table, problems in colour) or as JSON, with an exit code
// for monitoring checks. SQL decides what is a problem; this file only reads and prints.
import type pg from "pg";
import { requireInstalled } from "./connection.js";

export type Severity = "warning" | "critical";

export interface PartitionMark {
  partition: string;
  lowerBound: string | null;
  upperBound: string | null;
  isDefault: boolean;
  detached: boolean;
  rowEstimate: number;
  totalBytes: number;
  /** Where it sits relative to the current key: expired (due for retention), past, current, ahead (premade), default, detached. */
  kind: "expired" | "past" | "current" | "ahead" | "default" | "detached";
}

export interface TableStatus {
  parent: string;
  state: "ok" | "missing" | "not_partitioned";
  control: string;
  controlType: string;
  every: string;
  premake: number;
  keep: string | null;
  onExpire: string;
  timeZone: string;
  enabled: boolean;
  partitions: number;
  detachedPartitions: number;
  oldestBound: string | null;
  newestBound: string | null;
  currentPartition: string | null;
  coveredUntil: string | null;
  partitionsAhead: number;
  defaultRows: number | null;
  defaultRowsExact: boolean;
  totalBytes: number;
  bytesPerInterval: number | null;
  rowsPerInterval: number | null;
  expiredPartitions: number;
  lastRunAt: string | null;
  lastOutcome: string | null;
  lastMessage: string | null;
  lastSuccessAt: string | null;
  failuresInARow: number;
  nextAction: string | null;
  nextActionDue: string | null;
  timeline: PartitionMark[];
}

export interface HealthProblem {
  parent: string | null;
  check: string;
  severity: Severity;
  detail: string;
  hint: string;
}

export interface StatusReport {
  database: string;
  /** The instant the figures are computed for (ISO 8601, UTC). */
  asOf: string;
  status: "ok" | Severity;
  tables: TableStatus[];
  health: HealthProblem[];
}

export interface StatusOptions {
  /** Compute as of this instant instead of now (tests, replays). */
  asOf?: Date;
  /** Only this managed table (as written in tide.tables.parent). */
  table?: string;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : String(v));

/**
 * Reads the report from a database where pgtide is installed, through what a tide_monitor member may
 * read: tide.partitions, and tide.tables / tide.health (or, for a pinned `asOf`, the functions behind them).
 */
export async function status(client: pg.Client, opts: StatusOptions = {}): Promise<StatusReport> {
  await requireInstalled(client);
  const asOf = opts.asOf ?? (await client.query<{ now: Date }>("select now() as now")).rows[0]!.now;
  const db = await client.query<{ db: string }>("select current_database() as db");
  const pinned = opts.asOf !== undefined;
  const tables = await client.query(
    `select parent::text as parent_text, format('%I.%I', parent_schema, parent_name) as qname, t.*
       from ${pinned ? "_tide.obs_tables($1)" : "tide.tables"} t`,
    pinned ? [asOf] : [],
  );
  // key order: the lower bound of the range (NULL first: MINVALUE), as tide.partitions gives it
  const parts = await client.query(
    `select p.parent::text as parent_text, p.partition::text as partition_text, p.*,
            extract(epoch from lower(p.time_range)) as lo_time, extract(epoch from upper(p.time_range)) as hi_time
       from tide.partitions p
      order by p.parent, p.is_default, p.detached,
               lower(p.time_range) nulls first, lower(p.int_range) nulls first, p.partition_name`,
  );
  const health = await client.query<HealthProblem>(
    `select parent, "check", severity, detail, hint from ${pinned ? "_tide.obs_health($1)" : "tide.health"}
      order by case severity when 'critical' then 0 else 1 end, parent nulls first, "check", detail`,
    pinned ? [asOf] : [],
  );

  const asOfSeconds = asOf.getTime() / 1000;
  const byParent = new Map<string, PartitionMark[]>();
  for (const t of tables.rows) {
    if (t.table_state !== "ok") continue;
    const rows = parts.rows.filter((r) => r.parent_text === t.parent_text);
    // attached ranges in key order; those due for retention (tide.tables.expired_partitions) come first
    const ranges = rows.filter((r) => !r.is_default && !r.detached);
    const currentAt = t.current_partition === null ? -1 : ranges.findIndex((r) => r.partition_text === t.current_partition);
    const expired = num(t.expired_partitions);
    const list: PartitionMark[] = [];
    for (const r of rows) {
      let kind: PartitionMark["kind"];
      const at = ranges.indexOf(r);
      if (r.is_default) kind = "default";
      else if (r.detached) kind = "detached";
      else if (at < expired) kind = "expired";
      else if (currentAt >= 0) kind = at < currentAt ? "past" : at > currentAt ? "ahead" : "current";
      // no partition holds the current key (it falls in a gap): time ranges are placed by the instant
      // itself; an integer key's "now" is the largest key, always inside a partition, so this is rare
      else if (r.time_range === null) kind = "past";
      else if (r.hi_time !== null && Number(r.hi_time) <= asOfSeconds) kind = "past";
      else if (r.lo_time !== null && Number(r.lo_time) > asOfSeconds) kind = "ahead";
      else kind = "current";
      list.push({
        partition: r.partition_text,
        lowerBound: r.lower_bound,
        upperBound: r.upper_bound,
        isDefault: r.is_default,
        detached: r.detached,
        rowEstimate: num(r.row_estimate),
        totalBytes: num(r.total_bytes),
        kind,
      });
    }
    byParent.set(t.parent_text, list);
  }

  const report: StatusReport = {
    database: db.rows[0]!.db,
    asOf: asOf.toISOString(),
    status: "ok",
    tables: tables.rows
      .filter((t) => !opts.table || t.parent_text === opts.table || t.qname === opts.table)
      .map((t) => ({
        parent: t.qname,
        state: t.table_state,
        control: t.control,
        controlType: t.control_type,
        every: t.every,
        premake: num(t.premake),
        keep: t.keep,
        onExpire: t.on_expire,
        timeZone: t.time_zone,
        enabled: t.enabled,
        partitions: num(t.partitions),
        detachedPartitions: num(t.detached_partitions),
        oldestBound: t.oldest_bound,
        newestBound: t.newest_bound,
        currentPartition: t.current_partition,
        coveredUntil: t.covered_until,
        partitionsAhead: num(t.partitions_ahead),
        defaultRows: numOrNull(t.default_rows),
        defaultRowsExact: t.default_rows_exact,
        totalBytes: num(t.total_bytes),
        bytesPerInterval: numOrNull(t.bytes_per_interval),
        rowsPerInterval: numOrNull(t.rows_per_interval),
        expiredPartitions: num(t.expired_partitions),
        lastRunAt: iso(t.last_run_at),
        lastOutcome: t.last_outcome,
        lastMessage: t.last_message,
        lastSuccessAt: iso(t.last_success_at),
        failuresInARow: num(t.failures_in_a_row),
        nextAction: t.next_action,
        nextActionDue: iso(t.next_action_due),
        timeline: byParent.get(t.parent_text) ?? [],
      })),
    health: health.rows.filter((h) => !opts.table || h.parent === null || h.parent === opts.table),
  };
  report.status = report.health.some((h) => h.severity === "critical")
    ? "critical"
    : report.health.length > 0
      ? "warning"
      : "ok";
  return report;
}

/** 0 healthy, 1 warnings, 2 critical: drops straight into a monitoring check. */
export function statusExitCode(report: StatusReport): 0 | 1 | 2 {
  return report.status === "critical" ? 2 : report.status === "warning" ? 1 : 0;
}

/** Whether to colour output: a TTY and no NO_COLOR (https://no-color.org). */
export function wantColor(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !("NO_COLOR" in env && env.NO_COLOR !== "");
}

export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** "2026-11-22T04:00:00.000Z" → "2026-11-22 04:00Z"; bounds keep their own text. */
function formatTime(s: string | null): string {
  if (!s) return "never";
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(s);
  return m ? `${m[1]} ${m[2]}Z` : s;
}

/** A bound as short as it stays unambiguous: drop a midnight time and a +00 offset. */
function shortBound(b: string | null): string {
  if (b === null) return "∞";
  return b.replace(/ 00:00:00(\+00)?$/, "").replace(/:00\+00$/, "Z");
}

const MARK: Record<PartitionMark["kind"], string> = {
  expired: "x",
  past: "■",
  current: "◆",
  ahead: "□",
  default: "D",
  detached: "d",
};

const ANSI = { red: "\x1b[31m", yellow: "\x1b[33m", green: "\x1b[32m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m" };

export interface RenderOptions {
  color?: boolean;
  /** Terminal width for bars and the timeline (default 100). */
  width?: number;
  /** Partitions listed with a size bar per table (the newest ones; default 12). */
  listed?: number;
}

/** The human-readable report: per table a summary, a timeline and size bars, then the problems. */
export function renderStatus(report: StatusReport, opts: RenderOptions = {}): string {
  const color = opts.color ?? false;
  const width = Math.max(60, opts.width ?? 100);
  const listed = opts.listed ?? 12;
  const paint = (code: string, s: string) => (color ? `${code}${s}${ANSI.reset}` : s);
  const sevColor = (s: StatusReport["status"]) => (s === "critical" ? ANSI.red : s === "warning" ? ANSI.yellow : ANSI.green);
  const lines: string[] = [];

  lines.push(
    `${paint(ANSI.bold, "pgtide status")} · database ${report.database} · as of ${formatTime(report.asOf)} · ` +
      paint(sevColor(report.status), report.status.toUpperCase()),
  );
  if (report.tables.length === 0) lines.push("", "No managed tables. Start with: select * from tide.manage('schema.table', 'column', '1 month');");

  for (const t of report.tables) {
    lines.push("");
    const settings = [`every ${t.every}`, `premake ${t.premake}`, t.keep ? `keep ${t.keep} (${t.onExpire})` : "keep forever", t.timeZone];
    if (!t.enabled) settings.push("DISABLED");
    lines.push(`${paint(ANSI.bold, t.parent)}  ${settings.join(" · ")}`);
    if (t.state !== "ok") {
      lines.push(`  ${paint(ANSI.red, t.state === "missing" ? "the table no longer exists" : "the table is no longer partitioned")}`);
      continue;
    }
    const growth = t.bytesPerInterval !== null ? ` · ~${formatBytes(t.bytesPerInterval)} per interval` : "";
    lines.push(
      `  ${t.partitions} partitions${t.detachedPartitions ? ` (+${t.detachedPartitions} detached)` : ""} · ${formatBytes(t.totalBytes)}${growth}` +
        ` · covered until ${shortBound(t.coveredUntil)} (${t.partitionsAhead} ahead)`,
    );
    const dflt =
      t.defaultRows === null ? "no default partition" : `default ${t.defaultRowsExact ? "" : "~"}${formatCount(t.defaultRows)} rows`;
    const last = t.lastRunAt ? `last run ${formatTime(t.lastRunAt)} ${t.lastOutcome}` : "never maintained";
    const next = t.nextAction ? ` · next: ${t.nextAction}${t.nextActionDue ? ` (${formatTime(t.nextActionDue)})` : ""}` : "";
    lines.push(`  ${dflt} · ${last}${next}`);

    // timeline: one mark per partition, oldest left; elided on the old side when it does not fit
    const ordered = t.timeline.filter((p) => !p.isDefault && !p.detached);
    const room = width - 20;
    const shown = ordered.length > room ? ordered.slice(ordered.length - room) : ordered;
    const elided = ordered.length - shown.length;
    const marks = shown
      .map((p) => {
        const m = MARK[p.kind];
        if (!color) return m;
        return p.kind === "expired" ? paint(ANSI.yellow, m) : p.kind === "ahead" ? paint(ANSI.green, m) : m;
      })
      .join("");
    const def = t.timeline.find((p) => p.isDefault);
    const defMark = def ? ` │ ${def.rowEstimate > 0 || (t.defaultRows ?? 0) > 0 ? paint(ANSI.yellow, "D") : "D"}` : "";
    lines.push(`  timeline ${elided ? `…${elided} ` : ""}${marks}${defMark}`);
    lines.push(`  ${paint(ANSI.dim, "x expired  ■ past  ◆ current  □ premade  D default")}`);

    // size bars for the newest partitions (and the default)
    const recent = ordered.slice(Math.max(0, ordered.length - listed));
    const rows = def ? [...recent, def] : recent;
    const max = Math.max(1, ...rows.map((p) => p.totalBytes));
    const nameWidth = Math.min(40, Math.max(...rows.map((p) => p.partition.length), 8));
    const barWidth = Math.max(10, width - nameWidth - 36);
    if (ordered.length > recent.length) lines.push(`  … ${ordered.length - recent.length} older partition(s)`);
    for (const p of rows) {
      const len = p.totalBytes > 0 ? Math.max(1, Math.round((p.totalBytes / max) * barWidth)) : 0;
      const bar = "█".repeat(len).padEnd(barWidth, " ");
      const name = p.partition.length > nameWidth ? p.partition.slice(0, nameWidth - 1) + "…" : p.partition.padEnd(nameWidth);
      const tag = p.kind === "current" ? " ◆" : p.kind === "expired" ? " x" : p.kind === "ahead" ? " □" : p.kind === "default" ? " D" : "  ";
      lines.push(`  ${name}${tag} ${bar} ${formatBytes(p.totalBytes).padStart(8)} ${formatCount(p.rowEstimate).padStart(12)} rows`);
    }
  }

  lines.push("");
  if (report.health.length === 0) {
    lines.push(paint(ANSI.green, "health: no problems"));
  } else {
    lines.push(`health: ${report.health.length} problem(s)`);
    for (const h of report.health) {
      const tag = paint(sevColor(h.severity), h.severity.toUpperCase().padEnd(8));
      lines.push(`  ${tag} ${h.check}: ${h.detail}`);
      lines.push(`           fix: ${h.hint}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** The machine form of the same report. */
export function renderStatusJson(report: StatusReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}
