//! What the features contribute while the application is built.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::sync::Arc;

use super::readiness::ReadinessCheck;
use crate::jobs::JobHandlers;
use crate::workers::BackgroundWorker;

type AnyService = Arc<dyn Any + Send + Sync>;

/// Services by type, job handlers by kind, readiness checks in order.
#[derive(Default)]
pub struct Registry {
    services: HashMap<TypeId, AnyService>,
    pub(super) jobs: JobHandlers,
    pub(super) readiness: Vec<Arc<dyn ReadinessCheck>>,
    pub(super) workers: Vec<Arc<dyn BackgroundWorker>>,
}

impl Registry {
    /// Makes `service` reachable by its type (from API handlers and later features).
    /// Providing a type twice is a wiring bug.
    pub fn provide<T: Send + Sync + 'static>(&mut self, service: Arc<T>) -> Arc<T> {
        let previous = self.services.insert(TypeId::of::<T>(), service.clone());
        assert!(previous.is_none(), "{} provided twice", type_name::<T>());
        service
    }

    /// A service an earlier feature provided. Panics when none did: features are
    /// registered in a fixed order at start-up, so any test that builds the
    /// application finds such a mistake.
    pub fn get<T: Send + Sync + 'static>(&self) -> Arc<T> {
        lookup(&self.services, "registered before it is read")
    }

    /// Where a feature registers the handlers of its job kinds (`instance.create`, …).
    pub fn jobs(&mut self) -> &mut JobHandlers {
        &mut self.jobs
    }

    /// A background worker (a poller, a scheduler, an event source…), started and
    /// supervised with the others; see `crate::workers` for choosing its scope.
    pub fn worker(&mut self, worker: Arc<dyn BackgroundWorker>) -> &mut Self {
        self.workers.push(worker);
        self
    }

    /// A dependency `/readyz` checks, after those registered before it.
    pub fn readiness(&mut self, check: Arc<dyn ReadinessCheck>) -> &mut Self {
        self.readiness.push(check);
        self
    }

    pub(super) fn into_services(self) -> HashMap<TypeId, AnyService> {
        self.services
    }
}

pub(super) fn lookup<T: Send + Sync + 'static>(
    services: &HashMap<TypeId, AnyService>,
    hint: &str,
) -> Arc<T> {
    let found = services
        .get(&TypeId::of::<T>())
        .unwrap_or_else(|| panic!("{} is not provided ({hint})", type_name::<T>()))
        .clone();
    found
        .downcast::<T>()
        .unwrap_or_else(|_| unreachable!("services are stored under their own type id"))
}
