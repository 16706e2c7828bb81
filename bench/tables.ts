// The table families bench/maintenance and bench/instructions run on: the same shape for pgtide,
// pg_partman and the Rule-1 floor (the DDL pgtide runs per partition and a COMMIT, nothing else),
// daily partitions, PREMAKE days premade on both tools and on the floor.
import type pg from "pg";
import { install } from "../installer/install.js";

export const PREMAKE = 4;

/** The catalogs and state tables a setup churns: vacuumed and analyzed before anything is measured. */
export const CHURNED = [
  "pg_catalog.pg_class", "pg_catalog.pg_attribute", "pg_catalog.pg_type", "pg_catalog.pg_depend", "pg_catalog.pg_inherits",
  "pg_catalog.pg_constraint", "pg_catalog.pg_index", "pg_catalog.pg_partitioned_table", "pg_catalog.pg_attrdef", "pg_catalog.pg_statistic",
  "_tide.managed_tables", "_tide.log", "_tide.runs", "partman.part_config",
];

const SHAPE = `(id bigint generated always as identity, at timestamptz not null, device int, reading numeric, note text)`;

export async function addTables(c: pg.Client, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    await c.query(`create table bench_tide_${i} ${SHAPE} partition by range (at)`);
    await c.query(`create index on bench_tide_${i} (device, at)`);
    // pg_partman's create_parent also makes premake partitions behind now: give pgtide the same
    await c.query(`select tide.manage('bench_tide_${i}', 'at', '1 day', premake => ${PREMAKE}, start_at => (now() - interval '4 days')::date::text)`);
    await c.query(`create table bench_pm_${i} ${SHAPE} partition by range (at)`);
    await c.query(`create index on bench_pm_${i} (device, at)`);
    await c.query(`select partman.create_parent('public.bench_pm_${i}', 'at', 'native', 'daily', p_premake := ${PREMAKE}, p_jobmon := false)`);
    // pg_partman 4 premakes relative to the newest row unless told to follow the clock, as pgtide does
    await c.query(`update partman.part_config set infinite_time_partitions = true where parent_table = 'public.bench_pm_${i}'`);
    await c.query(`create table bench_floor_${i} ${SHAPE} partition by range (at)`);
    await c.query(`create index on bench_floor_${i} (device, at)`);
    await c.query(`create table bench_floor_${i}_default partition of bench_floor_${i} default`);
  }
  // the same premade window as the others: 4 days back, today, 4 days ahead
  for (let d = -4; d <= PREMAKE; d++) await c.query(`call public.bench_floor_create($1, $2, current_date + $3::int)`, [from, to, d]);
}

/**
 * The Rule-1 floor: per table exactly the DDL pgtide runs for one partition, and a COMMIT, with
 * names and bounds computed up front — no listing, no bookkeeping, no log.
 */
export const FLOOR_PROCEDURE = `
create or replace procedure public.bench_floor_create(from_table int, to_table int, day date)
language plpgsql as $$
declare
  i integer;
  parent text;
  part text;
begin
  for i in from_table .. to_table - 1 loop
    parent := 'bench_floor_' || i;
    part := parent || '_' || to_char(day, 'YYYY_MM_DD');
    execute format('create table public.%I (like public.%I including defaults including constraints including storage'
                   ' including comments including generated including statistics including compression including indexes,'
                   ' constraint bench_bounds check (at is not null and at >= %L::timestamptz and at < %L::timestamptz))',
                   part, parent, day, day + 1);
    execute format('alter table public.%I attach partition public.%I for values from (%L) to (%L)',
                   parent, part, day::timestamptz, (day + 1)::timestamptz);
    execute format('alter table public.%I drop constraint bench_bounds', part);
    commit;
  end loop;
end
$$`;


/**
 * pgtide installed, the floor's procedure, pg_partman in schema partman, and the catalogs aged with
 * SCRATCH plain tables: a young cluster's catalogs make every CREATE TABLE several times slower
 * (measured: 3.5 ms against 0.8 ms per partition) until a few thousand relations exist; a database
 * that has tables to partition is past that. For all three alike.
 */
export async function prepareDatabase(c: pg.Client, scratch: number): Promise<void> {
  await install(c);
  await c.query(FLOOR_PROCEDURE);
  await c.query(`create schema bench_scratch`);
  await c.query(`do $$ begin for i in 1..${scratch} loop
                   execute format('create table bench_scratch.t%s (id bigint, note text)', i); end loop; end $$`);
  await c.query(`create schema partman`);
  await c.query(`create extension pg_partman schema partman`);
}
