// The reference deployment from TypeScript: createAuditLog is idempotent, the COPY loader routes
// every event into its month, and the demo runs end to end at a small size, twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { freshDatabase, type TestDatabase } from "./db.js";
import { createAuditLog, generateAuditEvents, monthStartBefore } from "../../installer/audit.js";
import { runDemo } from "../../installer/demo.js";

const AS_OF = new Date("2026-06-15T12:00:00Z");

describe("audit log: createAuditLog and generateAuditEvents", () => {
  let db: TestDatabase;
  let c: pg.Client;
  beforeAll(async () => {
    db = await freshDatabase({ prefix: "audit" });
    c = await db.client();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("creates audit_log once and changes nothing when applied again", async () => {
    const first = await createAuditLog(c, { startAt: monthStartBefore(AS_OF, 3) });
    expect(first.created).toBe(true);
    const second = await createAuditLog(c, { startAt: "2020-01-01" });
    expect(second.created).toBe(false);
    expect(second.partitions).toBe(first.partitions);
    const managed = await c.query<{ n: number }>("select count(*)::int as n from tide.config where parent = 'audit_log'::regclass");
    expect(managed.rows[0]?.n).toBe(1);
    const oldest = await c.query<{ name: string }>(
      "select partition_name::text as name from tide.partitions where parent = 'audit_log'::regclass and not is_default order by lower_bound limit 1",
    );
    expect(oldest.rows[0]?.name).toBe("audit_log_2026_03");
  });

  it("loads events over the months before asOf, each in its month's partition, none in the default", async () => {
    const seen: number[] = [];
    const res = await generateAuditEvents(c, { rows: 5_000, months: 3, asOf: AS_OF, onProgress: (n) => seen.push(n) });
    expect(res.rows).toBe(5_000);
    expect(seen[seen.length - 1]).toBe(5_000);
    const r = await c.query<{ part: string; n: number; lo: Date; hi: Date; misplaced: number }>(
      `select tableoid::regclass::text as part, count(*)::int as n, min("timestamp") as lo, max("timestamp") as hi,
              count(*) filter (where to_char("timestamp" at time zone 'UTC', '"audit_log_"YYYY_MM') <> tableoid::regclass::text)::int as misplaced
         from audit_log group by 1 order by 1`,
    );
    expect(r.rows.map((x) => x.part)).toEqual(["audit_log_2026_03", "audit_log_2026_04", "audit_log_2026_05", "audit_log_2026_06"]);
    expect(r.rows.reduce((s, x) => s + x.misplaced, 0)).toBe(0);
    expect(r.rows.reduce((s, x) => s + x.n, 0)).toBe(5_000);
    expect(Math.min(...r.rows.map((x) => x.lo.getTime()))).toBeGreaterThanOrEqual(Date.parse("2026-03-15T12:00:00Z"));
    expect(Math.max(...r.rows.map((x) => x.hi.getTime()))).toBeLessThanOrEqual(AS_OF.getTime());
    // Volume grows: April (a whole month) holds fewer events than May.
    const byPart = new Map(r.rows.map((x) => [x.part, x.n]));
    expect(byPart.get("audit_log_2026_04")!).toBeLessThan(byPart.get("audit_log_2026_05")!);
    const shape = await c.query<{ statuses: number; actions: number; orgs: number; bad_hash: number }>(
      `select count(distinct status)::int as statuses, count(distinct action)::int as actions,
              count(distinct organization_id)::int as orgs,
              count(*) filter (where hash !~ '^[0-9a-f]{64}$')::int as bad_hash
         from audit_log`,
    );
    expect(shape.rows[0]).toMatchObject({ statuses: 4, bad_hash: 0 });
    expect(shape.rows[0]!.actions).toBeGreaterThan(10);
    expect(shape.rows[0]!.orgs).toBeGreaterThan(50);
  });

  it("refuses a negative row count before touching the database", async () => {
    await expect(generateAuditEvents(c, { rows: -1 })).rejects.toThrow(/non-negative/);
  });
});

describe("audit log: the demo", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase({ prefix: "demo" });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("runs end to end at a small size, and again without harm", async () => {
    const lines: string[] = [];
    const first = await runDemo({ url: db.url, rows: 20_000, log: (l) => lines.push(l) });
    const text = lines.join("\n");
    expect(first.loaded).toBe(true);
    // 26 months of history with 24 kept: the two oldest months are retired by the maintenance run.
    expect(first.retired.length).toBe(2);
    expect(first.rows).toBeGreaterThan(17_000);
    expect(first.rows).toBeLessThan(20_000);
    expect(first.scanned90Days.length).toBeGreaterThanOrEqual(3);
    expect(first.scanned90Days.length).toBeLessThanOrEqual(4);
    expect(first.scannedAll.length).toBe(first.partitions);
    expect(text).toContain("CALL tide.run_maintenance()");
    expect(text).toContain(`psql "${db.url}"`);
    expect(text).toMatch(/100%\s+20,000 rows/);

    const again: string[] = [];
    const second = await runDemo({ url: db.url, rows: 20_000, log: (l) => again.push(l) });
    expect(second.loaded).toBe(false);
    expect(second.rows).toBe(first.rows);
    expect(second.partitions).toBe(first.partitions);
    expect(second.retired).toEqual([]);
    expect(again.join("\n")).toContain("already holds events");
  });
});
