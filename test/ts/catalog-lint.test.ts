// The catalog lint: rules from DESIGN.md and STYLE.md checked against a fresh install, so a
// new function without a comment, an unpinned search_path or a PUBLIC grant fails the suite.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { freshDatabase, type TestDatabase } from "./db.js";
import { INSTALL_LOCK_SQL } from "../../installer/connection.js";

/** Procedures that COMMIT and therefore cannot carry a SET clause; each is a thin loop. */
export const COMMITTING_PROCEDURES = new Set([
  "tide.run_maintenance(regclass,timestamp with time zone)",
  "tide.drain_default(regclass,integer)",
  "tide.split_legacy(regclass,integer)",
  "tide.unconvert(regclass,integer)",
  "tide.convert(regclass,name,text,integer,text,text,text,boolean,boolean)",
]);

let db: TestDatabase;
let c: pg.Client;
beforeAll(async () => {
  db = await freshDatabase({ prefix: "lint" });
  c = await db.client();
});
afterAll(async () => db?.drop());

const rows = async (sql: string) => (await c.query<{ name: string }>(sql)).rows.map((r) => r.name);

describe("catalog lint", () => {
  it("gives every function, procedure and view in schema tide a COMMENT", async () => {
    const missing = await rows(`
      select p.oid::regprocedure::text as name from pg_proc p
       where p.pronamespace = 'tide'::regnamespace and obj_description(p.oid, 'pg_proc') is null
      union all
      select c.oid::regclass::text from pg_class c
       where c.relnamespace = 'tide'::regnamespace and c.relkind in ('v', 'm')
         and obj_description(c.oid, 'pg_class') is null
      order by 1`);
    expect(missing).toEqual([]);
  });

  it("keeps tables out of schema tide (functions, procedures and views only)", async () => {
    const tables = await rows(`select c.oid::regclass::text as name from pg_class c
      where c.relnamespace = 'tide'::regnamespace and c.relkind in ('r', 'p', 'S')`);
    expect(tables).toEqual([]);
  });

  it("pins search_path on every function, except the listed procedures that COMMIT", async () => {
    const unpinned = await rows(`
      select p.oid::regprocedure::text as name from pg_proc p
       where p.pronamespace in ('tide'::regnamespace, '_tide'::regnamespace)
         and not exists (select from unnest(coalesce(p.proconfig, '{}')) s where s like 'search\\_path=%')
       order by 1`);
    const offenders = unpinned.filter((n) => !COMMITTING_PROCEDURES.has(n));
    expect(offenders).toEqual([]);
  });

  it("lets PUBLIC execute nothing in tide or _tide that writes data or runs DDL", async () => {
    const exposed = await rows(`
      select p.oid::regprocedure::text as name from pg_proc p
       where p.pronamespace in ('tide'::regnamespace, '_tide'::regnamespace)
         and (p.prokind = 'p' or p.provolatile = 'v')
         and exists (select from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                      where a.grantee = 0 and a.privilege_type = 'EXECUTE')
      union all
      select c.oid::regclass::text || ' ' || a.privilege_type from pg_class c,
             aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
       where c.relnamespace in ('tide'::regnamespace, '_tide'::regnamespace)
         and a.grantee = 0 and a.privilege_type in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
      order by 1`);
    expect(exposed).toEqual([]);
  });

  it("gives PUBLIC no USAGE on schema _tide", async () => {
    const r = await c.query<{ usage: boolean }>(`
      select exists (select from pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
                      where n.nspname = '_tide' and a.grantee = 0 and a.privilege_type = 'USAGE') as usage`);
    expect(r.rows[0]?.usage).toBe(false);
  });

  it("derives the installer's advisory-lock key exactly as _tide.lock_key('install') does", async () => {
    const r = await c.query<{ same: boolean }>(`select ${INSTALL_LOCK_SQL} = _tide.lock_key('install') as same`);
    expect(r.rows[0]?.same).toBe(true);
  });
});
