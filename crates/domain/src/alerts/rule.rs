//! The words of a rule: what it measures ([`Metric`]), how it compares
//! ([`Comparison`]), which resources it watches ([`Scope`]), how bad it is
//! ([`Severity`]), and the built-in conditions ([`Builtin`]). Stored as text; parsed
//! here, so the store never needs to know them.
//!
//! Adding a metric: a [`Metric`] variant, its name, and its reading in
//! `conditions::guest_value`. Adding a built-in: a [`Builtin`] variant, a seeded row
//! in the migration, and its condition in `conditions` (or raise it as a signal).

use proxicloud_store::AlertRule;

use crate::error::FieldErrors;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)* _ => None }
            }

            /// `a`, `b` or `c`, for error messages.
            pub fn choices() -> String {
                let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                names.join(", ")
            }
        }
    };
}

text_enum!(
    /// What a custom rule measures on each instance it watches, from the inventory
    /// mirror's latest reading (so evaluation never waits on Proxmox).
    Metric {
        CpuPercent = "cpu_percent",
        MemoryPercent = "memory_percent",
        DiskPercent = "disk_percent",
        NetInBytesPerSecond = "net_in_bps",
        NetOutBytesPerSecond = "net_out_bps",
    }
);

text_enum!(
    Comparison {
        Greater = "gt",
        GreaterOrEqual = "ge",
        Less = "lt",
        LessOrEqual = "le",
    }
);

impl Comparison {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Greater => value > threshold,
            Comparison::GreaterOrEqual => value >= threshold,
            Comparison::Less => value < threshold,
            Comparison::LessOrEqual => value <= threshold,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => "≥",
            Comparison::Less => "<",
            Comparison::LessOrEqual => "≤",
        }
    }
}

text_enum!(
    /// Which resources a rule watches: one instance (`value` = its id), those with a
    /// tag, those on a node (`<cluster id>:<node>`), in a cluster (its id), or all —
    /// always among those the rule's owner may see.
    ScopeKind {
        Instance = "instance",
        Tag = "tag",
        Node = "node",
        Cluster = "cluster",
        All = "all",
    }
);

text_enum!(
    Severity {
        Info = "info",
        Warning = "warning",
        Critical = "critical",
    }
);

text_enum!(
    /// Conditions shipped with the product (owner-less rules, seeded enabled).
    Builtin {
        GuestDown = "guest_down",
        NodeOffline = "node_offline",
        DiskFull = "disk_full",
        ClusterUnreachable = "cluster_unreachable",
        JobFailed = "job_failed",
        BackupFailed = "backup_failed",
    }
);

impl Builtin {
    /// Raised by other features through `AlertSignals` rather than evaluated.
    pub fn is_signal(self) -> bool {
        matches!(self, Builtin::JobFailed | Builtin::BackupFailed)
    }
}

/// A rule as the evaluator uses it: every text parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub row: AlertRule,
    pub kind: RuleKind,
    pub scope: ScopeKind,
    pub severity: Severity,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RuleKind {
    Builtin(Builtin),
    /// `metric comparison threshold` on instances; `disk_full` is one too.
    Threshold {
        metric: Metric,
        comparison: Comparison,
        threshold: f64,
    },
}

impl Rule {
    /// `None` for a row that no longer parses (written by a newer version): it is
    /// left alone rather than evaluated wrongly.
    pub fn parse(row: AlertRule) -> Option<Self> {
        let builtin = match row.builtin.as_deref() {
            Some(name) => Some(Builtin::parse(name)?),
            None => None,
        };
        let kind = match builtin {
            Some(b) if b != Builtin::DiskFull => RuleKind::Builtin(b),
            _ => RuleKind::Threshold {
                metric: Metric::parse(&row.metric)?,
                comparison: Comparison::parse(&row.comparison)?,
                threshold: row.threshold,
            },
        };
        Some(Self {
            scope: ScopeKind::parse(&row.scope_kind)?,
            severity: Severity::parse(&row.severity)?,
            kind,
            row,
        })
    }

    pub fn builtin(&self) -> Option<Builtin> {
        self.row.builtin.as_deref().and_then(Builtin::parse)
    }
}

/// Checks the texts of a custom rule, adding one message per bad field.
pub fn check_fields(fields: &proxicloud_store::AlertRuleFields, errors: &mut FieldErrors) {
    let name = fields.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.insert("name".into(), "must be 1 to 100 characters".into());
    }
    if Metric::parse(&fields.metric).is_none() {
        errors.insert(
            "metric".into(),
            format!("must be one of {}", Metric::choices()),
        );
    }
    if Comparison::parse(&fields.comparison).is_none() {
        errors.insert(
            "comparison".into(),
            format!("must be one of {}", Comparison::choices()),
        );
    }
    if !fields.threshold.is_finite() {
        errors.insert("threshold".into(), "must be a finite number".into());
    }
    if !(0..=7 * 86_400).contains(&fields.for_seconds) {
        errors.insert("for_seconds".into(), "must be 0 to 604800 (7 days)".into());
    }
    if Severity::parse(&fields.severity).is_none() {
        errors.insert(
            "severity".into(),
            format!("must be one of {}", Severity::choices()),
        );
    }
    match ScopeKind::parse(&fields.scope_kind) {
        None => {
            errors.insert(
                "scope.kind".into(),
                format!("must be one of {}", ScopeKind::choices()),
            );
        }
        Some(ScopeKind::All) if fields.scope_value.is_some() => {
            errors.insert("scope.value".into(), "must be left out for 'all'".into());
        }
        Some(ScopeKind::All) => {}
        Some(_)
            if fields
                .scope_value
                .as_deref()
                .is_none_or(|v| v.trim().is_empty()) =>
        {
            errors.insert(
                "scope.value".into(),
                "names the instance id, tag, node (<cluster id>:<node>) or cluster id".into(),
            );
        }
        Some(_) => {}
    }
}
