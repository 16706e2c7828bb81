-- The largest key of one partition, for the views, read without waiting and without keeping the lock:
-- a monitor must never queue behind DDL on a user table, nor hold a lock that DDL then queues behind.

create or replace function _tide.obs_max_key(partition regclass, control name, out max_key bigint, out locked boolean)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $fn$
begin
  locked := false;
  begin
    -- NOWAIT: refused at once when the lock is held, or requested by a waiting session, in a conflicting mode
    -- NOWAIT on the partition; its indexes, which planning the read locks too (REINDEX holds them,
    -- not the table), are waited for 50 ms at most (the block's rollback resets lock_timeout)
    perform set_config('lock_timeout', '50ms', true);
    execute format('lock table only %s in access share mode nowait', partition);
    execute format('select max(%I)::bigint from only %s', control, partition) into max_key;
    -- roll the block back so that the lock taken above is released now, not at the end of the caller's
    -- transaction (a monitor idle in a transaction would otherwise hold it); max_key keeps its value
    raise exception using errcode = 'TD900', message = format('read of %s done; releasing its lock', partition);
  exception
    when sqlstate 'TD900' then
      return;
    when lock_not_available then
      locked := true; max_key := null;
    when undefined_table then
      max_key := null;  -- dropped since it was listed
  end;
end
$fn$;

comment on function _tide.obs_max_key(regclass, name) is
  'The largest value of CONTROL in PARTITION (NULL when empty or dropped), or locked = true without waiting when another session holds or awaits a conflicting lock on it. Takes ACCESS SHARE NOWAIT on the partition (its indexes waited for 50 ms at most) and releases it before returning. For the views; read-only.';
