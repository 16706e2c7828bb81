// `pgtide doctor`: compares the live catalog with what this version installs and reports
// what has drifted — missing or altered functions, stray objects, pending migrations, managed
// tables that were dropped or are no longer partitioned.
import type pg from "pg";
import { MIGRATIONS_SCHEMA, MIGRATIONS_TABLE } from "./install.js";
import { migrations, productVersion, sourceSha256 } from "./sources.js";

export interface Finding {
  level: "warning" | "critical";
  check: string;
  message: string;
  hint: string;
}

export interface DoctorReport {
  installed: boolean;
  installedVersion: string | null;
  packageVersion: string;
  findings: Finding[];
}

export async function doctor(client: pg.ClientBase): Promise<DoctorReport> {
  const packageVersion = productVersion();
  const findings: Finding[] = [];
  const present = await client.query<{ ok: boolean }>(`select to_regclass('_tide.installation') is not null as ok`);
  if (!present.rows[0]?.ok) {
    return {
      installed: false,
      installedVersion: null,
      packageVersion,
      findings: [
        { level: "critical", check: "installed", message: "pgtide is not installed in this database", hint: "run  pgtide install" },
      ],
    };
  }
  const inst = await client.query<{ version: string; source_sha256: string }>(
    `select version, source_sha256 from _tide.installation`,
  );
  const installedVersion = inst.rows[0]?.version ?? null;
  if (installedVersion !== packageVersion || inst.rows[0]?.source_sha256 !== sourceSha256()) {
    findings.push({
      level: "warning",
      check: "version",
      message: `installed ${installedVersion ?? "?"} (source ${inst.rows[0]?.source_sha256.slice(0, 12) ?? "?"}) differs from this pgtide ${packageVersion} (source ${sourceSha256().slice(0, 12)})`,
      hint: "run  pgtide install  to upgrade",
    });
  }
  const ran = await client.query<{ name: string }>(`select name from ${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`);
  const done = new Set(ran.rows.map((r) => r.name));
  for (const m of migrations()) {
    if (!done.has(m.name)) {
      findings.push({ level: "warning", check: "migrations", message: `migration ${m.name} is not applied`, hint: "run  pgtide install" });
    }
  }
  const known = new Set(migrations().map((m) => m.name));
  for (const name of done) {
    if (!known.has(name)) {
      findings.push({
        level: "warning",
        check: "migrations",
        message: `migration ${name} is applied in the database but unknown to this pgtide ${packageVersion} (a newer version installed it?)`,
        hint: "use the pgtide version that installed it",
      });
    }
  }
  const drift = await client.query<{ problem: string; kind: string; identity: string }>(
    `select problem, kind, identity from _tide.catalog_drift()`,
  );
  for (const d of drift.rows) {
    findings.push({
      level: d.problem === "stray" ? "warning" : "critical",
      check: `catalog ${d.problem}`,
      message: `${d.kind} ${d.identity} is ${d.problem === "stray" ? "not part of this installation" : d.problem}`,
      hint: d.problem === "stray" ? `drop it, or keep your own objects out of schemas tide and _tide` : "run  pgtide install --force  to restore it",
    });
  }
  const managed = await client.query<{ parent: string; state: string }>(
    `select m.parent_schema || '.' || m.parent_name as parent,
            case when c.oid is null then 'dropped' when c.relkind <> 'p' then 'not partitioned' else 'ok' end as state
       from _tide.managed_tables m left join pg_catalog.pg_class c on c.oid = m.parent::oid`,
  );
  for (const m of managed.rows) {
    if (m.state !== "ok") {
      findings.push({
        level: "critical",
        check: "managed table",
        message: `managed table ${m.parent} was ${m.state === "dropped" ? "dropped" : "replaced by a table that is not partitioned"}`,
        hint: `forget it with  DELETE FROM _tide.managed_tables WHERE parent_name = '${m.parent.split(".").pop()}'  or  SELECT tide.unmanage(...)`,
      });
    }
  }
  return { installed: true, installedVersion, packageVersion, findings };
}
