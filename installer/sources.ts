// What an install applies: the versioned migrations (state) and every file of plpgsql/
// (code), in the one fixed order the installer, `plan` and `doctor` all agree on.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root: the folder holding package.json, migrations/ and plpgsql/. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "plpgsql")) && existsSync(join(dir, "migrations"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("pgtide: cannot find the folders migrations/ and plpgsql/ next to the installer");
}

export function productVersion(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot(), "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

export interface SourceFile {
  /** Path relative to the project root, e.g. `plpgsql/api/manage.sql`. */
  path: string;
  sql: string;
}

export interface Migration extends SourceFile {
  /** node-pg-migrate's name for it: the file name without `.sql`. */
  name: string;
  /** The part above `-- Down Migration`. */
  up: string;
}

function sqlFilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => join(dir, f));
}

export function migrations(root = projectRoot()): Migration[] {
  return sqlFilesIn(join(root, "migrations")).map((file) => {
    const sql = readFileSync(file, "utf8");
    const down = sql.search(/^--\s*Down Migration/im);
    const upStart = sql.search(/^--\s*Up Migration/im);
    const up = sql.slice(upStart >= 0 ? upStart : 0, down >= 0 ? down : undefined);
    const base = file.slice(file.lastIndexOf("/") + 1);
    return { path: relative(root, file), sql, name: base.replace(/\.sql$/, ""), up };
  });
}

/** Views that name another of our views come after it; otherwise alphabetical. */
function orderViews(files: SourceFile[]): SourceFile[] {
  const nameOf = (f: SourceFile) => f.path.slice(f.path.lastIndexOf("/") + 1).replace(/\.sql$/, "");
  const names = new Set(files.map(nameOf));
  const deps = new Map<string, string[]>();
  for (const f of files) {
    const found = [...f.sql.matchAll(/\btide\.([a-z_][a-z0-9_]*)/g)]
      .map((m) => m[1] as string)
      .filter((n) => names.has(n) && n !== nameOf(f));
    deps.set(nameOf(f), [...new Set(found)]);
  }
  const byName = new Map(files.map((f) => [nameOf(f), f]));
  const out: SourceFile[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (n: string, trail: string[]) => {
    if (state.get(n) === "done") return;
    if (state.get(n) === "visiting") throw new Error(`pgtide: views depend on each other in a cycle: ${[...trail, n].join(" -> ")}`);
    state.set(n, "visiting");
    for (const d of deps.get(n) ?? []) visit(d, [...trail, n]);
    state.set(n, "done");
    out.push(byName.get(n) as SourceFile);
  };
  for (const n of [...names].sort()) visit(n, []);
  return out;
}

/** Every plpgsql/ file in apply order: internal/, api/, views/ (dependency-ordered), grants.sql. */
export function codeFiles(root = projectRoot()): SourceFile[] {
  const read = (file: string): SourceFile => ({ path: relative(root, file), sql: readFileSync(file, "utf8") });
  const base = join(root, "plpgsql");
  const internal = sqlFilesIn(join(base, "internal")).map(read);
  const api = sqlFilesIn(join(base, "api")).map(read);
  const views = orderViews(sqlFilesIn(join(base, "views")).map(read));
  const grants = existsSync(join(base, "grants.sql")) ? [read(join(base, "grants.sql"))] : [];
  return [...internal, ...api, ...views, ...grants];
}

/**
 * pgtide's views: one per file of plpgsql/views/, named as the file. Any other view in schema tide
 * is the user's, and the installer leaves it alone.
 */
export function viewNames(root = projectRoot()): string[] {
  return sqlFilesIn(join(root, "plpgsql", "views")).map((f) => basename(f, ".sql"));
}

/**
 * pgtide's functions and procedures by schema: one per file of plpgsql/api/ (tide) and
 * plpgsql/internal/ (_tide), named as the file (overloads share it). Any other function there is the user's.
 */
export function functionNames(root = projectRoot()): { tide: string[]; _tide: string[] } {
  const names = (dir: string) => sqlFilesIn(join(root, "plpgsql", dir)).map((f) => basename(f, ".sql"));
  return { tide: names("api"), _tide: names("internal") };
}

/**
 * The signature of every routine the code step creates, as its file's COMMENT ON names it
 * ("_tide.grid_point(_tide.managed_tables, bigint, integer)"): what _tide.record_catalog records as
 * pgtide's, so that a user's function in tide or _tide — an overload of one of these names included —
 * is never taken for pgtide's. Every routine file carries exactly one such comment, types only and
 * schema-qualified (this fails when a file has none or several, record_catalog when one does not resolve).
 */
export function routineSignatures(root = projectRoot()): string[] {
  return codeFiles(root).map(routineSignature).filter((s): s is string => s !== null);
}

/** The signature of the routine a code file creates (see routineSignatures); null for a view or grants.sql. */
export function routineSignature(f: SourceFile): string | null {
  if (!/^plpgsql\/(internal|api)\//.test(f.path)) return null;
  const found = [...f.sql.matchAll(/^comment on (?:function|procedure) ([a-z_]+\.[a-z_][a-z0-9_]*\([^)]*\)) is/gim)].map((m) => m[1] as string);
  if (found.length !== 1) throw new Error(`pgtide: ${f.path} must carry one COMMENT ON FUNCTION/PROCEDURE for its routine (found ${found.length})`);
  return found[0]!;
}

/** sha256 over every migration and code file, in apply order, with their paths. */
export function sourceSha256(root = projectRoot()): string {
  const h = createHash("sha256");
  for (const f of [...migrations(root), ...codeFiles(root)]) {
    h.update(f.path + "\0" + f.sql + "\0");
  }
  return h.digest("hex");
}
