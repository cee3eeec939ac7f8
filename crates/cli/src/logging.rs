//! The log subscriber, and the Settings page's log level applied while running.
//!
//! `PROXICLOUD_LOG` (an `EnvFilter` directive such as `proxicloud_domain=debug`), when
//! set, wins and stays: whoever set it is debugging this process. So does a directive
//! in the configuration file's `log_level`. Otherwise the level is the configuration
//! file's, then the saved setting's, changed in place through a `reload` layer the
//! moment an admin saves a new one — no restart.

use proxicloud_domain::settings::{LOG_LEVELS, Settings};
use tokio::sync::watch;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

const ENV_FILTER: &str = "PROXICLOUD_LOG";

/// Changes the level of the installed subscriber; `None` while `PROXICLOUD_LOG` rules.
pub struct LogLevel {
    handle: Option<reload::Handle<EnvFilter, Registry>>,
}

impl LogLevel {
    /// Installs the subscriber (stderr) at `default_level`.
    pub fn init(default_level: &str) -> Self {
        let from_env = EnvFilter::try_from_env(ENV_FILTER).ok();
        let pinned = from_env.is_some() || !LOG_LEVELS.contains(&default_level);
        let filter = from_env.unwrap_or_else(|| level_filter(default_level));
        let (filter, handle) = reload::Layer::new(filter);
        tracing_subscriber::registry()
            .with(filter)
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .init();
        Self {
            handle: (!pinned).then_some(handle),
        }
    }

    /// Applies the settings' log level now and whenever it changes, until the
    /// settings go away (shutdown).
    pub fn follow(self, mut settings: watch::Receiver<Settings>) {
        let Some(handle) = self.handle else {
            return;
        };
        tokio::spawn(async move {
            let mut applied = String::new();
            loop {
                let level = settings.borrow_and_update().system.log_level.clone();
                if level != applied {
                    match handle.reload(level_filter(&level)) {
                        Ok(()) => tracing::info!(level = %level, "log level set"),
                        Err(error) => tracing::warn!(%error, "could not change the log level"),
                    }
                    applied = level;
                }
                if settings.changed().await.is_err() {
                    return;
                }
            }
        });
    }
}

/// `info` and the like; a level the settings validation let through always parses,
/// anything else falls back to `info` rather than silencing the log.
fn level_filter(level: &str) -> EnvFilter {
    EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"))
}
