// Shared fixtures of the archive tests: a partitioned table with every supported type and awkward
// values, detached and queued the way retention does it.
import type pg from "pg";

export const SCHEMA = 'Ärchive "s" p.q';

export const COLUMNS = `
  id bigint, at timestamptz not null, i2 smallint, i4 integer, b boolean, f4 real, f8 double precision,
  tsn timestamp, d date, n numeric, n2 numeric(40,20), t text, vc varchar(12), ch char(5), j jsonb, js json,
  u uuid, by bytea, arr integer[], tarr text[], iv interval, ip inet`;

/** Awkward rows: NULLs, extreme and infinite timestamps, microseconds, emoji, big numerics, nested jsonb, the stream's quote byte, texts beginning with U+FEFF. */
export const AWKWARD_ROWS = `
  (1, '4713-11-24 00:00:00+00 BC', -32768, -2147483648, true, '-0', '5e-324', '4713-01-01 00:00:00 BC', '4713-01-01 BC',
   '123456789012345678901234567890.123456789012345678901234567890', '-0.00000000000000000001', e'tab\\there\\nnew\\\\line \\x01soh\\x01\\x01 "q" \\x01', 'ünï 🎉', 'ab',
   '{"a": [1, {"b": null, "c": "🎉"}], "d": {"e": {"f": 1.0e40}}}', '{ "kept" :  "as written" }',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff5c0a', '{1,NULL,3}', '{"a,b","c\\"d",NULL}', '1 year 2 mons -3 days 04:05:06.789', '2001:db8::1/64'),
  (2, '294246-12-31 23:59:59.999999+00', 32767, 2147483647, false, 'NaN', 'Infinity', '294246-12-31 23:59:59.999999', '5874897-12-31',
   'NaN', '99999999999999999999.99999999999999999999', '', '', '', '[]', 'null', null, '\\x', '{}', '{}', '-178000000 years', '10.0.0.1'),
  (3, '2024-02-29 12:34:56.123456+00', 0, 0, null, '-Infinity', '0.1', '2024-02-29 12:34:56.000001', '2000-02-29',
   '-1e-100', 0, 'NULL', '\\N', ' x ', '"just a string"', '[1, 2 ,3]', '00000000-0000-0000-0000-000000000000', '\\xdeadbeef', null, '{""}', '0', '::'),
  (4, 'infinity', null, null, null, null, null, 'infinity', 'infinity', 'Infinity', null, null, null, null, null, null, null, null, null, null, null, null),
  (5, '-infinity', null, null, null, null, null, '-infinity', '-infinity', '-Infinity', null, null, null, null, null, null, null, null, null, null, null, null),
  (6, '1970-01-01 00:00:00+00', null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null),
  (7, '1970-01-02 00:00:00+00', null, null, null, null, null, null, null, null, null, e'\ufeffa text that begins with a BOM', e'\ufeff', null, null, null, null, null, null, '{"\ufeffx"}', null, null)`;

/**
 * Create schema SCHEMA, a parent `audit "log"` partitioned by `at`, one partition `name` covering
 * [lower, upper) (or MINVALUE..MAXVALUE), fill it, detach it and queue it. Returns the archive_id.
 */
export async function queuedPartition(c: pg.Client, name: string, opts: { rows?: number; awkward?: boolean; lower?: string; upper?: string } = {}): Promise<number> {
  const s = c.escapeIdentifier(SCHEMA);
  const part = `${s}.${c.escapeIdentifier(name)}`;
  await c.query(`create schema if not exists ${s}`);
  await c.query(`create table if not exists ${s}."audit ""log""" (${COLUMNS}) partition by range (at)`);
  const lower = opts.lower ? c.escapeLiteral(opts.lower) : "minvalue";
  const upper = opts.upper ? c.escapeLiteral(opts.upper) : "maxvalue";
  await c.query(`create table ${part} partition of ${s}."audit ""log""" for values from (${lower}) to (${upper})`);
  if (opts.awkward) await c.query(`insert into ${part} values ${AWKWARD_ROWS}`);
  if (opts.rows) {
    await c.query(`insert into ${part} (id, at, i4, t, j, n, by)
      select g, ${opts.lower ? c.escapeLiteral(opts.lower) + "::timestamptz" : "'2020-01-01'::timestamptz"} + g * interval '1.000001 second', g % 1000,
             'row ' || g || ' 🎉', jsonb_build_object('g', g, 'nested', jsonb_build_array(g, 'x')), g * 1.5, int4send(g::int)
      from generate_series(1, $1) g`, [opts.rows]);
  }
  await c.query(`alter table ${s}."audit ""log""" detach partition ${part}`);
  const r = await c.query<{ id: string }>(
    `select _tide.enqueue_archive($1::regclass, $2::regclass, $3, $4) as id`,
    [`${s}."audit ""log"""`, part, opts.lower ?? "MINVALUE", opts.upper ?? "MAXVALUE"]);
  return Number(r.rows[0]!.id);
}

/** Every row of a table as text, sorted: equal sets of rows ⇔ equal arrays. */
export async function rowsAsText(c: pg.Client, table: string): Promise<string[]> {
  const r = await c.query<{ a: string[] | null }>(`select array_agg(x::text order by x::text) as a from ${table} x`);
  return r.rows[0]!.a ?? [];
}

export async function checksumOf(c: pg.Client, table: string): Promise<{ rows: string; checksum: string }> {
  const r = await c.query<{ rows: string; checksum: string }>(`select rows, checksum from tide.archive_checksum($1::regclass, 'at')`, [table]);
  return r.rows[0]!;
}
