// `pgtide metrics`: the status report's health and size figures in the Prometheus text exposition
// format (version 0.0.4), for a textfile collector or a scrape wrapper. Same data as `pgtide status`.
import type { StatusReport } from "./status.js";

export interface MetricsOptions {
  /** Also emit one size series per partition (can be many series; off by default). */
  perPartition?: boolean;
}

/** Label values escape backslash, double quote and newline, as the format requires. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

class Family {
  readonly samples: string[] = [];
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "gauge" | "counter" = "gauge",
  ) {}
  add(l: Record<string, string>, value: number | null): void {
    if (value === null || Number.isNaN(value)) return;
    this.samples.push(`${this.name}${labels(l)} ${value}`);
  }
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.samples].join("\n");
  }
}

const seconds = (iso: string | null): number | null => (iso ? Date.parse(iso) / 1000 : null);

/** Prometheus text for a status report. */
export function renderMetrics(report: StatusReport, opts: MetricsOptions = {}): string {
  const db = report.database;
  const f = {
    status: new Family("pgtide_status", "Overall health: 0 ok, 1 warning, 2 critical"),
    problems: new Family("pgtide_health_problems", "Number of tide.health rows by severity"),
    problem: new Family("pgtide_health_problem", "tide.health rows per table, check and severity (one series each; the value counts the rows)"),
    tables: new Family("pgtide_managed_tables", "Number of managed tables"),
    partitions: new Family("pgtide_table_partitions", "Attached partitions of a managed table, default excluded"),
    ahead: new Family("pgtide_table_partitions_ahead", "Partitions wholly ahead of the current key"),
    premake: new Family("pgtide_table_premake", "Configured premake (partitions kept ahead)"),
    expired: new Family("pgtide_table_expired_partitions", "Partitions past retention still attached"),
    defaultRows: new Family("pgtide_table_default_rows", "Rows in the default partition (exact up to 10000, else estimated)"),
    bytes: new Family("pgtide_table_bytes", "Total size of the table's attached partitions (catalog estimate)"),
    perInterval: new Family("pgtide_table_bytes_per_interval", "Mean size of the last three complete partitions"),
    lastRun: new Family("pgtide_table_last_run_timestamp_seconds", "When maintenance last ran for the table"),
    lastSuccess: new Family("pgtide_table_last_success_timestamp_seconds", "When maintenance last succeeded for the table"),
    failures: new Family("pgtide_table_maintenance_failures", "Failed maintenance runs since the last success"),
    partBytes: new Family("pgtide_partition_bytes", "Size of one partition (catalog estimate)"),
    partRows: new Family("pgtide_partition_rows", "Row estimate of one partition"),
  };
  f.status.add({ database: db }, report.status === "critical" ? 2 : report.status === "warning" ? 1 : 0);
  for (const sev of ["warning", "critical"] as const) {
    f.problems.add({ database: db, severity: sev }, report.health.filter((h) => h.severity === sev).length);
  }
  // one series per label set (the exposition format allows no duplicate): several rows of one check
  // on one table (e.g. two oversized partitions) are counted in one series
  const perSeries = new Map<string, { l: Record<string, string>; n: number }>();
  for (const h of report.health) {
    const l = { database: db, table: h.parent ?? "", check: h.check, severity: h.severity };
    const k = JSON.stringify(l);
    const e = perSeries.get(k) ?? { l, n: 0 };
    e.n++;
    perSeries.set(k, e);
  }
  for (const { l, n } of perSeries.values()) f.problem.add(l, n);
  f.tables.add({ database: db }, report.tables.length);
  for (const t of report.tables) {
    const l = { database: db, table: t.parent };
    if (t.state === "ok") {
      f.partitions.add(l, t.partitions);
      f.ahead.add(l, t.partitionsAhead);
      f.expired.add(l, t.expiredPartitions);
      f.defaultRows.add(l, t.defaultRows);
      f.bytes.add(l, t.totalBytes);
      f.perInterval.add(l, t.bytesPerInterval);
    }
    f.premake.add(l, t.premake);
    f.lastRun.add(l, seconds(t.lastRunAt));
    f.lastSuccess.add(l, seconds(t.lastSuccessAt));
    f.failures.add(l, t.failuresInARow);
    if (opts.perPartition) {
      for (const p of t.timeline) {
        const pl = { ...l, partition: p.partition, kind: p.kind };
        f.partBytes.add(pl, p.totalBytes);
        f.partRows.add(pl, p.rowEstimate);
      }
    }
  }
  return (
    Object.values(f)
      .filter((x) => x.samples.length > 0)
      .map((x) => x.render())
      .join("\n") + "\n"
  );
}
