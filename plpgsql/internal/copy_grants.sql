-- A table built to stand in for another (a new partition, the partitioned table convert creates,
-- the plain table unconvert leaves) gets that table's owner and privileges, and no others: one
-- place for it.
create or replace function _tide.copy_grants(source regclass, target regclass, with_columns boolean)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  src  record;
  g    record;
begin
  select c.relowner, c.relacl into src from pg_class c where c.oid = source;
  if src.relowner <> (select c.relowner from pg_class c where c.oid = target) then
    execute format('alter table %s owner to %I', target, pg_get_userbyid(src.relowner));
  end if;
  -- then the source's privileges for every other role (a table without an ACL has its owner's
  -- defaults; ALTER DEFAULT PRIVILEGES can give a new table grants of its own): what the target
  -- grants beyond them is revoked, what it lacks is granted. The owner keeps all of its own
  -- privileges on the target whatever it has on the source, and gets any that default privileges
  -- took from it: pgtide's own work on the table (moving rows out of a default partition, the
  -- triggers ATTACH and convert put on it) runs as the owner and needs them
  for g in select t.grantee, t.privilege_type
             from aclexplode((select coalesce(c.relacl, acldefault('r', c.relowner)) from pg_class c where c.oid = target)) t
            where t.grantee <> src.relowner
           except
           select a.grantee, a.privilege_type from aclexplode(coalesce(src.relacl, acldefault('r', src.relowner))) a loop
    execute format('revoke %s on table %s from %s cascade', g.privilege_type, target,
                   case when g.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(g.grantee)) end);
  end loop;
  -- a grant option the source does not give is taken back, the privilege itself kept
  for g in select t.grantee, t.privilege_type
             from aclexplode((select coalesce(c.relacl, acldefault('r', c.relowner)) from pg_class c where c.oid = target)) t
            where t.is_grantable and t.grantee <> src.relowner
           except
           select a.grantee, a.privilege_type from aclexplode(coalesce(src.relacl, acldefault('r', src.relowner))) a where a.is_grantable loop
    execute format('revoke grant option for %s on table %s from %s cascade', g.privilege_type, target,
                   case when g.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(g.grantee)) end);
  end loop;
  for g in (select a.grantee, a.privilege_type, a.is_grantable
              from aclexplode(coalesce(src.relacl, acldefault('r', src.relowner))) a
             where a.grantee <> src.relowner
            union
            select a.grantee, a.privilege_type, false
              from aclexplode(acldefault('r', src.relowner)) a)
           except
           select t.grantee, t.privilege_type, t.is_grantable
             from aclexplode((select coalesce(c.relacl, acldefault('r', c.relowner)) from pg_class c where c.oid = target)) t loop
    execute format('grant %s on table %s to %s%s', g.privilege_type, target,
                   case when g.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(g.grantee)) end,
                   case when g.is_grantable then ' with grant option' else '' end);
  end loop;
  if with_columns then
    for g in select a.attname, x.grantee, x.privilege_type, x.is_grantable
               from pg_attribute a cross join lateral aclexplode(a.attacl) x
              where a.attrelid = source and a.attacl is not null and not a.attisdropped loop
      execute format('grant %s (%I) on table %s to %s%s', g.privilege_type, g.attname, target,
                     case when g.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(g.grantee)) end,
                     case when g.is_grantable then ' with grant option' else '' end);
    end loop;
  end if;
end
$fn$;

comment on function _tide.copy_grants(regclass, regclass, boolean) is
  'Gives TARGET the owner of SOURCE and, for every other role, exactly its table privileges (what TARGET grants beyond them, such as grants from ALTER DEFAULT PRIVILEGES, is revoked; what it lacks is granted); the owner keeps all of its own privileges on TARGET. WITH_COLUMNS, also its column privileges, matched by column name. Takes the locks ALTER OWNER, REVOKE and GRANT take on TARGET.';
