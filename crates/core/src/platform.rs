//! The platform: stores, clock and policy, and the services built on them. The web layer
//! and the CLI hold one `Platform` and call its services.

use std::sync::Arc;

use time::Duration;

use crate::accounts::{AccountService, Argon2Params, TokenService};
use crate::agencies::AgencyService;
use crate::audit::{Actor, AuditEvent, AuditService, Outcome};
use crate::authz::{Authorization, Principal};
use crate::clock::Clock;
use crate::ports::Stores;
use crate::time::Timestamp;

/// Security settings the operator may tune.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SecurityPolicy {
    pub argon2: Argon2Params,
    /// Consecutive failed sign-ins before an account locks.
    pub max_failed_logins: u32,
    pub lockout: Duration,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub token_max_lifetime: Duration,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        SecurityPolicy {
            argon2: Argon2Params::default(),
            max_failed_logins: 5,
            lockout: Duration::minutes(15),
            session_idle: Duration::hours(2),
            session_absolute: Duration::hours(12),
            token_max_lifetime: Duration::days(366),
        }
    }
}

#[derive(Clone)]
pub struct Platform {
    pub stores: Stores,
    pub clock: Arc<dyn Clock>,
    pub policy: SecurityPolicy,
    pub freshness: crate::freshness::FreshnessPolicy,
    pub notify: crate::notify::NotifyPolicy,
    pub alert_settings: Arc<crate::alerts::AlertSettings>,
    /// Threat-intel settings and the in-memory indicator index, shared by every clone.
    pub intel: Arc<crate::intel::IntelState>,
}

/// Who is asking, and from where: passed to every service call.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub source_ip: Option<String>,
}

impl Caller {
    pub fn new(principal: Principal, source_ip: Option<String>) -> Self {
        Caller {
            principal,
            source_ip,
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.principal.user_id,
            name: self.principal.user_name.clone(),
        }
    }

    /// An audit event for an action this caller was authorised to take.
    pub fn event(
        &self,
        at: Timestamp,
        auth: &Authorization,
        action: &str,
        object_type: &str,
        object_id: &str,
        summary: serde_json::Value,
    ) -> AuditEvent {
        AuditEvent {
            at,
            actor: self.actor(),
            acting_agency: auth.acting_agency.as_ref().map(|c| c.to_string()),
            action: action.to_string(),
            object_type: object_type.to_string(),
            object_id: object_id.to_string(),
            source_ip: self.source_ip.clone(),
            outcome: Outcome::Success,
            summary,
        }
    }

    /// An audit event for a caller acting on their own account.
    pub fn self_event(
        &self,
        at: Timestamp,
        action: &str,
        object_type: &str,
        object_id: &str,
        summary: serde_json::Value,
    ) -> AuditEvent {
        let auth = Authorization {
            acting_agency: self.principal.home_agency.clone(),
        };
        self.event(at, &auth, action, object_type, object_id, summary)
    }
}

impl Platform {
    pub fn new(stores: Stores, clock: Arc<dyn Clock>, policy: SecurityPolicy) -> Self {
        Platform {
            stores,
            clock,
            policy,
            freshness: crate::freshness::FreshnessPolicy::default(),
            notify: crate::notify::NotifyPolicy::default(),
            alert_settings: Arc::new(crate::alerts::AlertSettings::default()),
            intel: Arc::new(crate::intel::IntelState::default()),
        }
    }

    pub fn with_notify(mut self, notify: crate::notify::NotifyPolicy) -> Self {
        self.notify = notify;
        self
    }

    pub fn with_freshness(mut self, freshness: crate::freshness::FreshnessPolicy) -> Self {
        self.freshness = freshness;
        self
    }

    pub fn with_alerts(mut self, settings: crate::alerts::AlertSettings) -> Self {
        self.alert_settings = Arc::new(settings);
        self
    }

    pub fn with_intel(mut self, settings: crate::intel::IntelSettings) -> Self {
        self.intel = Arc::new(crate::intel::IntelState::new(settings));
        self
    }

    pub fn intel(&self) -> crate::intel::IntelService<'_> {
        crate::intel::IntelService::new(self)
    }

    pub fn exchange(&self) -> crate::exchange::ExchangeService<'_> {
        crate::exchange::ExchangeService::new(self)
    }

    pub fn alerts(&self) -> crate::alerts::AlertService<'_> {
        crate::alerts::AlertService::new(self)
    }

    pub fn cases(&self) -> crate::cases::CaseService<'_> {
        crate::cases::CaseService::new(self)
    }

    pub fn catalog(&self) -> crate::catalog::CatalogService<'_> {
        crate::catalog::CatalogService::new(self)
    }

    pub fn harvests(&self) -> crate::catalog::schedule::HarvestService<'_> {
        crate::catalog::schedule::HarvestService::new(self)
    }

    pub fn sharing(&self) -> crate::sharing::SharingService<'_> {
        crate::sharing::SharingService::new(self)
    }

    pub fn inventory(&self) -> crate::inventory::InventoryService<'_> {
        crate::inventory::InventoryService::new(self)
    }

    pub fn notifications(&self) -> crate::notify::NotificationService<'_> {
        crate::notify::NotificationService::new(self)
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn agencies(&self) -> AgencyService<'_> {
        AgencyService::new(self)
    }

    pub fn accounts(&self) -> AccountService<'_> {
        AccountService::new(self)
    }

    pub fn tokens(&self) -> TokenService<'_> {
        TokenService::new(self)
    }

    pub fn audit(&self) -> AuditService<'_> {
        AuditService::new(self)
    }

    pub fn imports(&self) -> crate::import::ImportService<'_> {
        crate::import::ImportService::new(self)
    }
}
