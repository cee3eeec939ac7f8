//! What this replica serves, for `/metrics`: HTTP requests by route, method and status,
//! and their durations. The API's middleware records each matched request; each scrape
//! registers these (shared) families next to the ones it builds from the mirror.
//!
//! Routes are the router's templates (`/api/v1/instances/{id}`), never raw paths, so
//! the number of series stays bounded whatever clients ask for.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type Durations = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// Request counts and durations since this process started.
#[derive(Clone)]
pub struct HttpTelemetry {
    requests: Family<RequestLabels, Counter>,
    durations: Durations,
}

impl Default for HttpTelemetry {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            // 1 ms to ~4 s: a list from memory answers in well under a millisecond, a
            // login's password hash takes tens, a streamed upload is not counted here
            // until it ends.
            durations: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.001, 2.5, 10))
            }),
        }
    }
}

impl HttpTelemetry {
    /// One request to `route` (its template) answered with `status` after `seconds`.
    pub fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    pub(crate) fn register(&self, registry: &mut Registry) {
        registry.register(
            "proxicloud_http_requests",
            "HTTP requests answered, by route, method and status",
            self.requests.clone(),
        );
        registry.register(
            "proxicloud_http_request_duration_seconds",
            "Time to answer an HTTP request, by route and method",
            self.durations.clone(),
        );
    }
}
