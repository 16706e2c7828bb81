-- tide.schedule and tide.unschedule know pg_cron by its extension, not by a schema named cron: a
-- schema cron of the user's (here with tables and a function named like pg_cron's) changes none of their answers.
-- The test cluster loads pg_cron with cron.database_name = 'postgres', so pg_cron lives elsewhere.

create function tests.users_cron_schema() returns void language plpgsql as $$
begin
  create schema cron;
  create table cron.job (id int, note text);
  create table cron.job_run_details (id int, note text);
  insert into cron.job_run_details values (1, 'the user''s row');
  create function cron.schedule(a text, b text, c text) returns bigint language sql as 'select 42::bigint';
end $$;

create function tests.test_unschedule_ignores_a_schema_cron_not_pg_crons() returns setof text language plpgsql as $$
begin
  perform tests.users_cron_schema();
  return next throws_ok('select tide.unschedule()', '55000',
    format('cannot unschedule maintenance of database %s from here: pg_cron lives in database postgres', current_database()),
    'tide.unschedule with a schema cron that is not pg_cron''s says where pg_cron lives, as without it');
end $$;

create function tests.test_a_plain_schema_cron_is_not_pg_crons() returns setof text language plpgsql as $$
begin
  create schema cron;
  -- where pg_cron is not loaded at all this decided tide.unschedule's answer: 'role may not use
  -- schema cron' (42501) for a schema that has nothing to do with pg_cron, instead of false
  return next is((select l.schema_usable from _tide.cron_location() l), false,
    'a plain schema cron, usable by this role, is not taken for pg_cron''s schema');
end $$;

create function tests.test_schedule_ignores_a_schema_cron_not_pg_crons() returns setof text language plpgsql as $$
begin
  perform tests.users_cron_schema();
  return next throws_ok($q$select tide.schedule('*/5 * * * *')$q$, '55000',
    format('cannot schedule maintenance of database %s from here: pg_cron lives in database postgres', current_database()),
    'tide.schedule with a schema cron that is not pg_cron''s says where pg_cron lives');
end $$;

create function tests.test_health_and_pruning_leave_a_users_cron_tables_alone() returns setof text language plpgsql as $$
begin
  perform tests.users_cron_schema();
  return next lives_ok('select count(*) from tide.health', 'tide.health reads no cron.job that is not pg_cron''s');
  return next is(_tide.prune_cron_history(now() + interval '1 year'), 0::bigint, 'pruning pg_cron''s history touches no table of the user''s');
  return next is((select count(*) from cron.job_run_details), 1::bigint, 'the user''s row is still there');
end $$;
