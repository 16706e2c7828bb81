// `pgtide status` and `pgtide metrics` on a fixed fixture: a table with hand-made partitions, fixed
// rows and a fixed run log, read as of a fixed instant, so text and JSON are stable snapshots.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { freshDatabase, type TestDatabase } from "./db.js";
import { renderStatus, renderStatusJson, status, statusExitCode, type StatusReport } from "../../installer/status.js";
import { renderMetrics } from "../../installer/metrics.js";

const AS_OF = new Date("2025-03-15T12:00:00Z");

const FIXTURE = `
create schema "Shop ""EU""";
create table "Shop ""EU""".orders (placed_at timestamptz not null, amount int) partition by range (placed_at);
create table "Shop ""EU""".orders_2024_12 partition of "Shop ""EU""".orders for values from ('2024-12-01 00:00+00') to ('2025-01-01 00:00+00');
create table "Shop ""EU""".orders_2025_01 partition of "Shop ""EU""".orders for values from ('2025-01-01 00:00+00') to ('2025-02-01 00:00+00');
create table "Shop ""EU""".orders_2025_02 partition of "Shop ""EU""".orders for values from ('2025-02-01 00:00+00') to ('2025-03-01 00:00+00');
create table "Shop ""EU""".orders_2025_03 partition of "Shop ""EU""".orders for values from ('2025-03-01 00:00+00') to ('2025-04-01 00:00+00');
create table "Shop ""EU""".orders_2025_04 partition of "Shop ""EU""".orders for values from ('2025-04-01 00:00+00') to ('2025-05-01 00:00+00');
create table "Shop ""EU""".orders_default partition of "Shop ""EU""".orders default;
insert into "Shop ""EU""".orders select timestamptz '2025-01-01 00:00+00' + make_interval(mins => i), i from generate_series(0, 999) i;
insert into "Shop ""EU""".orders select timestamptz '2025-02-01 00:00+00' + make_interval(mins => i), i from generate_series(0, 2999) i;
insert into "Shop ""EU""".orders select timestamptz '2025-03-01 00:00+00' + make_interval(mins => i), i from generate_series(0, 499) i;
insert into "Shop ""EU""".orders values ('2030-01-01 00:00+00', 1);
analyze "Shop ""EU""".orders;
insert into _tide.managed_tables (parent, parent_schema, parent_name, control, control_type, every, every_interval,
                                  premake, keep, keep_interval, created_at)
values ('"Shop ""EU""".orders', 'Shop "EU"', 'orders', 'placed_at', 'timestamptz', '1 month', '1 month', 2,
        '2 months', '2 months', '2025-01-01 00:00+00');
insert into _tide.runs (started_at, finished_at, as_of, outcome) values ('2025-03-15 11:50+00', '2025-03-15 11:50+00', '2025-03-15 11:50+00', 'ok');
insert into _tide.log (run_id, logged_at, parent_oid, parent, action, outcome, message)
values ((select max(run_id) from _tide.runs), '2025-03-15 11:50+00', '"Shop ""EU""".orders'::regclass::oid, 'orders', 'maintain', 'lock_timeout',
        'canceling statement due to lock timeout');
`;

describe("pgtide status", () => {
  let db: TestDatabase;
  let client: pg.Client;
  let report: StatusReport;

  beforeAll(async () => {
    db = await freshDatabase({ prefix: "status" });
    client = await db.client();
    await client.query(FIXTURE);
    report = await status(client, { asOf: AS_OF });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("gathers the table, its timeline and its problems", () => {
    expect(report.tables).toHaveLength(1);
    const t = report.tables[0]!;
    expect(t.parent).toBe('"Shop ""EU""".orders');
    expect(t.timeline.map((p) => p.kind)).toEqual(["expired", "past", "past", "current", "ahead", "default"]);
    expect(t.partitionsAhead).toBe(1);
    expect(t.defaultRows).toBe(1);
    expect(report.health.map((h) => `${h.severity}:${h.check}`)).toEqual(
      expect.arrayContaining(["warning:missing_partitions", "warning:default_rows", "warning:maintenance_failing"]),
    );
  });

  it("exits 1 on warnings, 2 on critical, 0 when healthy", () => {
    expect(statusExitCode(report)).toBe(1);
    expect(statusExitCode({ ...report, status: "critical" })).toBe(2);
    expect(statusExitCode({ ...report, health: [], status: "ok" })).toBe(0);
  });

  it("renders text without colour (snapshot)", () => {
    const text = renderStatus({ ...report, database: "<db>" }, { color: false, width: 100 });
    expect(text).not.toMatch(/\x1b\[/);
    expect(text).toMatchSnapshot();
  });

  it("colours problems only when asked", () => {
    const text = renderStatus(report, { color: true, width: 100 });
    expect(text).toMatch(/\x1b\[33mWARNING/);
  });

  it("renders JSON (snapshot)", () => {
    const parsed = JSON.parse(renderStatusJson(report)) as StatusReport;
    expect(parsed.asOf).toBe("2025-03-15T12:00:00.000Z");
    expect({ ...parsed, database: "<db>" }).toMatchSnapshot();
  });

  it("renders Prometheus text", () => {
    const text = renderMetrics({ ...report, database: "<db>" }, { perPartition: true });
    expect(text).toContain('pgtide_table_partitions_ahead{database="<db>",table="\\"Shop \\"\\"EU\\"\\"\\".orders"} 1');
    expect(text).toContain('pgtide_health_problems{database="<db>",severity="warning"}');
    expect(text).toMatch(/^# TYPE pgtide_status gauge$/m);
    expect(text).toMatchSnapshot();
  });

  it("renders one series per label set, counting several health rows of one check on one table", () => {
    const row = { parent: "public.o1", check: "oversized_partition", severity: "warning", detail: "x", hint: "y" };
    const text = renderMetrics({ ...report, database: "<db>", health: [row, { ...row, detail: "z" }, { ...row, detail: "w" }] } as typeof report);
    const series = text.split("\n").filter((l) => l.startsWith("pgtide_health_problem{"));
    expect(series).toEqual(['pgtide_health_problem{database="<db>",table="public.o1",check="oversized_partition",severity="warning"} 3']);
    const all = text.split("\n").filter((l) => !l.startsWith("#")).map((l) => l.replace(/ [^ ]+$/, ""));
    expect(new Set(all).size).toBe(all.length);  // no duplicate series at all
  });
});
