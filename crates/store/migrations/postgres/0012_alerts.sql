-- Alerts: rules (custom ones owned by their creator; built-in ones, owner NULL, seeded
-- here: they can be disabled, not deleted), the alerts they raise (pending → firing →
-- resolved, kept as history) and silences.
CREATE TABLE alert_rules (
    id          UUID NOT NULL PRIMARY KEY,
    owner_id    UUID REFERENCES users (id) ON DELETE CASCADE,
    -- The built-in condition (`guest_down`, `node_offline`, …); NULL for custom rules.
    builtin     TEXT,
    name        TEXT NOT NULL,
    metric      TEXT NOT NULL,
    comparison  TEXT NOT NULL,
    threshold   DOUBLE PRECISION NOT NULL,
    for_seconds BIGINT NOT NULL,
    scope_kind  TEXT NOT NULL,
    scope_value TEXT,
    severity    TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX alert_rules_builtin_key ON alert_rules (builtin);
CREATE INDEX alert_rules_owner_id ON alert_rules (owner_id);

-- One open (pending or firing) alert per rule and resource: the partial unique index
-- makes that hold with several replicas evaluating in turn. Rule name and severity are
-- copies, so history outlives the rule.
CREATE TABLE alerts (
    id            UUID NOT NULL PRIMARY KEY,
    rule_id       UUID REFERENCES alert_rules (id) ON DELETE SET NULL,
    rule_name     TEXT NOT NULL,
    severity      TEXT NOT NULL,
    resource_kind TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    -- Who sees it besides admins: the custom rule's owner, or the resource's owner.
    owner_id      UUID REFERENCES users (id) ON DELETE SET NULL,
    state         TEXT NOT NULL,
    value         DOUBLE PRECISION,
    message       TEXT NOT NULL,
    silenced      BOOLEAN NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    fired_at      TIMESTAMPTZ,
    resolved_at   TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX alerts_rule_id_resource_kind_resource_id_key
    ON alerts (rule_id, resource_kind, resource_id) WHERE state IN ('pending', 'firing');
CREATE INDEX alerts_started_at ON alerts (started_at, id);
CREATE INDEX alerts_open ON alerts (state) WHERE state IN ('pending', 'firing');

-- Silences (and maintenance windows, which are silences set in advance): alerts they
-- match are kept but marked silenced, so nothing is notified.
CREATE TABLE alert_silences (
    id            UUID NOT NULL PRIMARY KEY,
    owner_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rule_id       UUID REFERENCES alert_rules (id) ON DELETE CASCADE,
    resource_kind TEXT,
    resource_id   TEXT,
    starts_at     TIMESTAMPTZ NOT NULL,
    ends_at       TIMESTAMPTZ NOT NULL,
    comment       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX alert_silences_ends_at ON alert_silences (ends_at);

INSERT INTO alert_rules (id, owner_id, builtin, name, metric, comparison, threshold, for_seconds,
                         scope_kind, scope_value, severity, enabled, created_at, updated_at) VALUES
    ('0193f0a0-0000-7000-8000-000000000001', NULL, 'guest_down', 'Instance down unexpectedly',
     'status', 'eq', 0, 60, 'all', NULL, 'critical', TRUE, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('0193f0a0-0000-7000-8000-000000000002', NULL, 'node_offline', 'Node offline',
     'status', 'eq', 0, 60, 'all', NULL, 'critical', TRUE, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('0193f0a0-0000-7000-8000-000000000003', NULL, 'disk_full', 'Disk over 90 %',
     'disk_percent', 'gt', 90, 300, 'all', NULL, 'warning', TRUE, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('0193f0a0-0000-7000-8000-000000000004', NULL, 'cluster_unreachable', 'Cluster unreachable',
     'status', 'eq', 0, 120, 'all', NULL, 'critical', TRUE, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('0193f0a0-0000-7000-8000-000000000005', NULL, 'job_failed', 'Job failed',
     'status', 'eq', 0, 0, 'all', NULL, 'warning', TRUE, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('0193f0a0-0000-7000-8000-000000000006', NULL, 'backup_failed', 'Backup failed',
     'status', 'eq', 0, 0, 'all', NULL, 'critical', TRUE, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
