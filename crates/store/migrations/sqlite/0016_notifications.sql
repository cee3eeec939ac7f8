-- Alert notifications: channels (where alerts are sent, owned by their creator; the
-- secrets sealed with the master key), subscriptions (which alerts a user sends to
-- which of their channels) and the delivery outbox (one row per alert change and
-- channel, retried with back-off until delivered or given up).
CREATE TABLE notification_channels (
    id                TEXT NOT NULL PRIMARY KEY,
    owner_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    -- The non-secret settings (a JSON object, e.g. ntfy's server and topic).
    settings          TEXT NOT NULL,
    -- The secrets (tokens, webhook URLs, SMTP password): a JSON object sealed with the
    -- master key under `notification-channel:<id>:secrets`.
    secrets_sealed    BLOB NOT NULL,
    enabled           INTEGER NOT NULL,
    last_delivered_at TEXT,
    last_error        TEXT,
    last_error_at     TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;
CREATE INDEX notification_channels_owner_id ON notification_channels (owner_id);

CREATE TABLE notification_subscriptions (
    id              TEXT NOT NULL PRIMARY KEY,
    owner_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel_id      TEXT NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    -- The least severity sent (`info`, `warning`, `critical`).
    min_severity    TEXT NOT NULL,
    -- Only this rule's alerts, when set.
    rule_id         TEXT REFERENCES alert_rules (id) ON DELETE CASCADE,
    -- Only alerts about this resource, when set.
    resource_kind   TEXT,
    resource_id     TEXT,
    notify_resolved INTEGER NOT NULL,
    created_at      TEXT NOT NULL
) STRICT;
CREATE INDEX notification_subscriptions_owner_id ON notification_subscriptions (owner_id);
CREATE INDEX notification_subscriptions_channel_id ON notification_subscriptions (channel_id);

-- The outbox: `payload` is the notification as it was when the alert changed.
CREATE TABLE notification_deliveries (
    id              TEXT NOT NULL PRIMARY KEY,
    channel_id      TEXT NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    alert_id        TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    -- `firing` or `resolved`: one delivery per alert change and channel.
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    -- `pending`, `delivered` or `failed` (given up).
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    -- When a pending delivery may be tried next; a claim moves it past the attempt's
    -- lease, so one claimed by a worker that died is tried again after it.
    next_attempt_at TEXT NOT NULL,
    give_up_at      TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX notification_deliveries_channel_id_alert_id_event_key
    ON notification_deliveries (channel_id, alert_id, event);
CREATE INDEX notification_deliveries_due
    ON notification_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notification_deliveries_updated_at ON notification_deliveries (updated_at);

-- The outbox looks for alerts changed lately (`AlertRepo::changed_alerts`).
CREATE INDEX alerts_updated_at ON alerts (updated_at, id);
