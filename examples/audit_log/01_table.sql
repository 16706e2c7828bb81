-- The reference deployment's table: the append-only audit log, range-partitioned by month on its
-- timestamp, with every index declared once on the parent so that each partition gets the same set.
-- Applied after pgtide is installed, into the schema first on the search_path (public by default).

create table if not exists audit_log (
  id                    uuid        not null default gen_random_uuid(),
  "timestamp"           timestamptz not null,
  ttl                   interval,
  principal_id          text,
  organization_id       uuid,
  action                text        not null,
  target_resource_type  text,
  target_resource_id    text,
  status                text        not null,
  outcome_description   text,
  hash                  text,
  hash_algorithm        text        not null default 'SHA-256',
  event_version         text        not null default '1.0',
  correlation_id        uuid,
  data_classification   text        not null default 'INTERNAL',
  retention_policy      text        not null default 'standard',
  processing_latency    integer,
  archived_at           timestamptz,
  details               jsonb,
  constraint audit_log_pkey primary key (id, "timestamp"),
  constraint audit_log_status_known
    check (status in ('success', 'failure', 'denied', 'error')),
  constraint audit_log_data_classification_known
    check (data_classification in ('PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'RESTRICTED')),
  constraint audit_log_processing_latency_positive
    check (processing_latency is null or processing_latency >= 0)
) partition by range ("timestamp");

comment on table audit_log is
  'Append-only audit events, one partition per calendar month (UTC), managed by pgtide: see tide.config, tide.partitions';
comment on column audit_log.id is 'Event id; with "timestamp" the primary key (a partitioned table''s key must include the partition key)';
comment on column audit_log."timestamp" is 'When the audited action happened; the partition key';
comment on column audit_log.ttl is 'How long this event must be kept, when it differs from its retention_policy';
comment on column audit_log.principal_id is 'Who acted: a user, service account or API key id';
comment on column audit_log.organization_id is 'The tenant the action belongs to';
comment on column audit_log.action is 'What was done, as <resource>.<verb>, e.g. document.read';
comment on column audit_log.status is 'success, failure, denied or error';
comment on column audit_log.hash is 'Digest of the event as the writer computed it, for tamper evidence';
comment on column audit_log.processing_latency is 'Milliseconds the audited request took';
comment on column audit_log.archived_at is 'Set when the event was copied to the archive';
comment on column audit_log.details is 'Free-form event payload';

-- The primary key (id, "timestamp") serves lookups by id, so no separate index on id alone.
create index if not exists audit_log_timestamp_idx            on audit_log ("timestamp");
create index if not exists audit_log_principal_id_idx         on audit_log (principal_id);
create index if not exists audit_log_organization_id_idx      on audit_log (organization_id);
create index if not exists audit_log_action_idx               on audit_log (action);
create index if not exists audit_log_status_idx               on audit_log (status);
create index if not exists audit_log_data_classification_idx  on audit_log (data_classification);
create index if not exists audit_log_retention_policy_idx     on audit_log (retention_policy);
create index if not exists audit_log_correlation_id_idx       on audit_log (correlation_id);
create index if not exists audit_log_org_timestamp_idx        on audit_log (organization_id, "timestamp");
create index if not exists audit_log_principal_action_idx     on audit_log (principal_id, action);
create index if not exists audit_log_classification_policy_idx on audit_log (data_classification, retention_policy);
create index if not exists audit_log_target_idx               on audit_log (target_resource_type, target_resource_id);
create index if not exists audit_log_hash_idx                 on audit_log using hash (hash);
create index if not exists audit_log_details_idx              on audit_log using gin (details jsonb_path_ops);
