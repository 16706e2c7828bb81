-- A table built to stand in for another (a new partition, the partitioned table convert creates,
-- the plain table unconvert leaves) gets that table's owner and privileges, and no others: one
-- place for it.
create or replace function _tide.copy_grants(source regclass, target regclass, with_columns boolean)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  src      record;
  src_acl  aclitem[];
  tgt_acl  aclitem[];
  stmt     text;
begin
  select c.relowner, c.relacl into src from pg_class c where c.oid = source;
  if src.relowner <> (select c.relowner from pg_class c where c.oid = target) then
    execute format('alter table %s owner to %I', target, pg_get_userbyid(src.relowner));
  end if;
  -- a table without an ACL has its owner's defaults (the target's read after the owner change)
  src_acl := coalesce(src.relacl, acldefault('r', src.relowner));
  select coalesce(c.relacl, acldefault('r', c.relowner)) into tgt_acl from pg_class c where c.oid = target;
  -- Then the source's privileges for every other role (ALTER DEFAULT PRIVILEGES can give a new
  -- table grants of its own): what the target grants beyond them is revoked, what it lacks is
  -- granted. The owner keeps all of its own privileges on the target whatever it has on the
  -- source, and gets any that default privileges took from it: pgtide's own work on the table
  -- (moving rows out of a default partition, the triggers ATTACH and convert put on it) runs as
  -- the owner and needs them. One statement per difference, revokes first.
  for stmt in
    with want as (select x.grantee, x.privilege_type, bool_or(x.is_grantable) as is_grantable
                    from (select a.grantee, a.privilege_type, a.is_grantable from aclexplode(src_acl) a where a.grantee <> src.relowner
                          union all
                          select a.grantee, a.privilege_type, false from aclexplode(acldefault('r', src.relowner)) a) x
                   group by 1, 2),
         have as (select t.grantee, t.privilege_type, bool_or(t.is_grantable) as is_grantable
                    from aclexplode(tgt_acl) t group by 1, 2),
         todo as (
           -- a privilege the target grants another role beyond the source's
           select 1 as step, h.grantee, h.privilege_type, null::name as col, 'revoke %1$s on table %2$s from %3$s cascade' as sql
             from have h
            where h.grantee <> src.relowner
              and not exists (select from want w where w.grantee = h.grantee and w.privilege_type = h.privilege_type)
           union all
           -- a grant option the source does not give (the privilege itself kept)
           select 2, h.grantee, h.privilege_type, null, 'revoke grant option for %1$s on table %2$s from %3$s cascade'
             from have h join want w on w.grantee = h.grantee and w.privilege_type = h.privilege_type
            where h.grantee <> src.relowner and h.is_grantable and not w.is_grantable
           union all
           -- what the target lacks
           select 3, w.grantee, w.privilege_type, null,
                  'grant %1$s on table %2$s to %3$s' || case when w.is_grantable then ' with grant option' else '' end
             from want w
            where not exists (select from have h where h.grantee = w.grantee and h.privilege_type = w.privilege_type
                                                   and (h.is_grantable or not w.is_grantable))
           union all
           -- WITH_COLUMNS: the source's column privileges, matched by column name
           select 4, x.grantee, x.privilege_type, a.attname,
                  'grant %1$s (%4$I) on table %2$s to %3$s' || case when x.is_grantable then ' with grant option' else '' end
             from pg_attribute a cross join lateral aclexplode(a.attacl) x
            where with_columns and a.attrelid = source and a.attacl is not null and not a.attisdropped)
    select format(d.sql, d.privilege_type, target,
                  case when d.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(d.grantee)) end, d.col)
      from todo d order by d.step
  loop
    execute stmt;
  end loop;
end
$fn$;

comment on function _tide.copy_grants(regclass, regclass, boolean) is
  'Gives TARGET the owner of SOURCE and, for every other role, exactly its table privileges (what TARGET grants beyond them, such as grants from ALTER DEFAULT PRIVILEGES, is revoked; what it lacks is granted); the owner keeps all of its own privileges on TARGET. WITH_COLUMNS, also its column privileges, matched by column name. Takes the locks ALTER OWNER, REVOKE and GRANT take on TARGET.';
