//! The narrow traits storage implements. Every method that changes state takes the audit
//! events describing the change and must write them in the same transaction, so there is
//! never a change without its audit entry or an entry without its change.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::accounts::{
    ApiToken, NewSession, NewToken, NewUser, RoleGrant, Session, User, UserFilter, UserProfile,
};
use crate::agencies::{Agency, AgencyCode, AgencyImportPlan, AgencyInput, AgencyRecord};
use crate::alerts::ingest::AlertWrite;
use crate::alerts::query::{AlertFilter, AlertGroupRow, AlertRow, RollupRow};
use crate::alerts::{Alert, Fingerprint};
use crate::audit::{AuditEntry, AuditEvent, AuditFilter, ChainHead};
use crate::authz::{Grant, Role};
use crate::cases::query::{
    ActionFilter, CaseFile, IncidentFilter, IncidentRow, IncidentScope, IncidentWrite,
    StoredDeadlines,
};
use crate::cases::{Action, CustodyItem, ForensicEngagement, Incident, RecordId};
use crate::catalog::links::LinkState;
use crate::catalog::{
    CatalogImportPlan, Dataset, DatasetRecord, DatasetVersion, FreshnessSnapshot, SearchQuery,
    SearchResult,
};
use crate::error::DomainResult;
use crate::exchange::id::{ClientId, ServiceId};
use crate::exchange::model::{
    AccessGrant, ExchangeCredential, ExchangeMember, GrantFilter, MessageEvidence, MessageFilter,
    MessageRecord, NewAccessGrant, NewService, NewTimestampBatch, PendingStamp, RegisteredService,
    StoredEvidence, TrafficHour, TransferRecord,
};
use crate::import::{ImportReport, ImportRun};
use crate::intel::{
    AlertMatch, AlertObservables, CitySighting, IndexedIndicator, IndicatorFilter, IndicatorRow,
    SightingFilter, SightingRow, SightingTally, StixId,
};
use crate::inventory::{
    DataPlatform, Demand, DemandFilter, DemandInput, DemandMatch, DemandStatus, PlatformCost,
    PlatformInput, PlatformUse, SourceMapping,
};
use crate::notify::{
    Delivery, DeliveryUpdate, NoticeBatch, Notification, NotificationFilter, Queued, RoleHolder,
};
use crate::page::{Page, PageRequest};
use crate::sharing::{
    AccessLogEntry, AccessRequest, NewAccessRequest, RequestStatus, SharingGrant, SharingKey,
    UsageRow,
};
use crate::time::Timestamp;

#[async_trait]
pub trait AgencyStore: Send + Sync + 'static {
    async fn agencies(&self) -> DomainResult<Vec<Agency>>;
    async fn agency(&self, code: &AgencyCode) -> DomainResult<Option<Agency>>;
    async fn create_agency(
        &self,
        input: &AgencyInput,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<Agency>;
    /// Replace an agency's stored state with `record`.
    async fn update_agency(
        &self,
        record: &AgencyRecord,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<Agency>;
    /// Apply a planned import and store its report, all in one transaction; returns the run id.
    async fn apply_agency_import(
        &self,
        plan: &AgencyImportPlan,
        started_at: Timestamp,
        at: Timestamp,
        actor_name: &str,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<i64>;
}

#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    async fn create_user(
        &self,
        user: &NewUser,
        grants: &[Grant],
        granted_by: &str,
        audit: AuditEvent,
    ) -> DomainResult<User>;
    async fn user_by_name(&self, name: &str) -> DomainResult<Option<User>>;
    async fn user_by_id(&self, id: i64) -> DomainResult<Option<User>>;
    async fn password_hash(&self, user_id: i64) -> DomainResult<Option<String>>;
    async fn list_users(&self, filter: &UserFilter, page: PageRequest) -> DomainResult<Page<User>>;
    async fn count_users(&self) -> DomainResult<u64>;
    async fn update_profile(
        &self,
        user_id: i64,
        profile: &UserProfile,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<User>;
    /// Set a new password hash and end the user's sessions except `keep_session` (a hash).
    async fn set_password(
        &self,
        user_id: i64,
        hash: &str,
        at: Timestamp,
        keep_session: Option<&str>,
        audit: AuditEvent,
    ) -> DomainResult<()>;
    async fn record_login_failure(
        &self,
        user_id: i64,
        failed_logins: u32,
        locked_until: Option<Timestamp>,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<()>;
    /// Reset the failure count, note the sign-in and open the session, atomically.
    async fn record_login_success(
        &self,
        user_id: i64,
        session: &NewSession,
        audit: AuditEvent,
    ) -> DomainResult<()>;
    async fn grants_of(&self, user_id: i64) -> DomainResult<Vec<RoleGrant>>;
    async fn add_grant(
        &self,
        user_id: i64,
        grant: &Grant,
        at: Timestamp,
        granted_by: &str,
        audit: AuditEvent,
    ) -> DomainResult<RoleGrant>;
    async fn remove_grant(&self, grant_id: i64, audit: AuditEvent) -> DomainResult<()>;
}

#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    async fn session(&self, id_hash: &str) -> DomainResult<Option<Session>>;
    async fn touch_session(
        &self,
        id_hash: &str,
        last_seen: Timestamp,
        expires_at: Timestamp,
    ) -> DomainResult<()>;
    async fn end_session(&self, id_hash: &str, audit: Option<AuditEvent>) -> DomainResult<()>;
    async fn purge_expired_sessions(&self, now: Timestamp) -> DomainResult<u64>;
}

#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    async fn create_token(&self, token: &NewToken, audit: AuditEvent) -> DomainResult<ApiToken>;
    async fn token_by_hash(&self, hash: &str) -> DomainResult<Option<ApiToken>>;
    async fn token_by_id(&self, id: i64) -> DomainResult<Option<ApiToken>>;
    /// All tokens, or one user's, newest first.
    async fn list_tokens(&self, user_id: Option<i64>) -> DomainResult<Vec<ApiToken>>;
    async fn revoke_token(&self, id: i64, at: Timestamp, audit: AuditEvent) -> DomainResult<()>;
    async fn touch_token(&self, id: i64, at: Timestamp) -> DomainResult<()>;
}

/// Counts of audit entries per Taipei calendar day (ISO date, count).
pub type DailyCounts = Vec<(String, u64)>;

#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// Append an event that goes with no other change (a failed sign-in, an export).
    async fn append(&self, event: AuditEvent) -> DomainResult<AuditEntry>;
    async fn query(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> DomainResult<Page<AuditEntry>>;
    /// Entries with `seq > after`, ascending, at most `limit`: for verification and export.
    async fn entries_after(&self, after: i64, limit: u32) -> DomainResult<Vec<AuditEntry>>;
    async fn head(&self) -> DomainResult<Option<ChainHead>>;
    /// Entries per Taipei day from `from` on, for one action prefix or all.
    async fn daily_counts(
        &self,
        from: Timestamp,
        action_prefix: Option<&str>,
    ) -> DomainResult<DailyCounts>;
}

#[async_trait]
pub trait ImportStore: Send + Sync + 'static {
    /// Store the report of an import that changed nothing else (e.g. everything rejected).
    async fn save_import_run(
        &self,
        report: &ImportReport,
        started_at: Timestamp,
        at: Timestamp,
        actor_name: &str,
        audit: AuditEvent,
    ) -> DomainResult<i64>;
    async fn import_runs(
        &self,
        kind: Option<&str>,
        page: PageRequest,
    ) -> DomainResult<Page<ImportRun>>;
    async fn import_run(&self, id: i64) -> DomainResult<Option<ImportRun>>;
}

/// One day's count of active datasets of an agency in one frequency class and state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FreshnessHistoryRow {
    pub day: String,
    pub agency: String,
    pub frequency_class: String,
    pub state: String,
    pub count: u64,
}

/// The inputs of a freshness assessment for one dataset.
#[derive(Debug, Clone)]
pub struct FreshnessRow {
    pub id: i64,
    pub agency: String,
    /// The yearly series it belongs to and the ROC year it covers.
    pub series: Option<String>,
    pub series_year: Option<i32>,
    pub frequency: String,
    pub data_updated_at: Option<Timestamp>,
    pub reviewed_at: Option<Timestamp>,
    pub withdrawn: bool,
    /// Set when every checked address of the dataset is dead: the last check.
    pub unreachable_at: Option<Timestamp>,
}

/// An active dataset whose stored state changed into one a steward must hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreshnessTransition {
    pub id: i64,
    pub identifier: String,
    pub agency: String,
    pub title_zh: String,
    /// `None` when the dataset had never been assessed.
    pub old_state: Option<crate::freshness::FreshnessState>,
    pub new_state: crate::freshness::FreshnessState,
    pub due_at: Option<Timestamp>,
}

/// What storing a reassessment changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FreshnessStored {
    /// Datasets whose state differs from the one stored before.
    pub changed: u64,
    /// Those of them now in a state for which `notify::wants_notice` holds.
    pub transitions: Vec<FreshnessTransition>,
}

#[async_trait]
pub trait CatalogStore: Send + Sync + 'static {
    /// Every dataset held from one source (for planning a harvest of it).
    async fn datasets_from(&self, source: &str) -> DomainResult<Vec<Dataset>>;
    async fn dataset(&self, id: i64) -> DomainResult<Option<Dataset>>;
    async fn dataset_by_identifier(&self, identifier: &str) -> DomainResult<Option<Dataset>>;
    /// Apply a planned import with fresh freshness snapshots (by identifier), its audit events
    /// and its report, in one transaction; returns the run id.
    async fn apply_catalog_import(
        &self,
        plan: &CatalogImportPlan,
        freshness: &[(String, FreshnessSnapshot)],
        started_at: Timestamp,
        at: Timestamp,
        actor_name: &str,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<i64>;
    /// A dataset entered by hand (version 1), with its first freshness snapshot and audit
    /// event; `AlreadyExists` when the identifier is taken.
    #[allow(clippy::too_many_arguments)]
    async fn create_dataset(
        &self,
        source: &str,
        record: &DatasetRecord,
        data_updated_at: Option<Timestamp>,
        freshness: &FreshnessSnapshot,
        at: Timestamp,
        actor: &str,
        audit: AuditEvent,
    ) -> DomainResult<Dataset>;
    /// The last check of each distribution address (all datasets, or one).
    async fn link_states(&self, dataset: Option<i64>) -> DomainResult<Vec<LinkState>>;
    /// Keep the results of a round of link checks (replacing each address's previous state).
    async fn save_link_states(&self, states: &[LinkState]) -> DomainResult<()>;
    /// A steward's edit of the description: a new version; data evidence untouched.
    async fn update_dataset(
        &self,
        id: i64,
        record: &DatasetRecord,
        at: Timestamp,
        actor: &str,
        audit: AuditEvent,
    ) -> DomainResult<Dataset>;
    /// Record evidence: a real data update or a "reviewed, nothing new", with the new snapshot.
    async fn record_evidence(
        &self,
        id: i64,
        data_updated_at: Option<Timestamp>,
        reviewed_at: Option<Timestamp>,
        freshness: &FreshnessSnapshot,
        audit: AuditEvent,
    ) -> DomainResult<Dataset>;
    async fn versions(&self, id: i64) -> DomainResult<Vec<DatasetVersion>>;
    async fn search(&self, query: &SearchQuery) -> DomainResult<SearchResult>;
    async fn freshness_rows(&self) -> DomainResult<Vec<FreshnessRow>>;
    /// Store recomputed snapshots (no audit: a recomputation changes no one's data) and
    /// replace `day`'s counts per agency, frequency class and state in the history with
    /// `history`; report the changes.
    async fn store_freshness(
        &self,
        snapshots: &[(i64, FreshnessSnapshot)],
        day: &str,
        history: &[FreshnessHistoryRow],
    ) -> DomainResult<FreshnessStored>;
    /// The recorded days from `from_day` (ISO date) on.
    async fn freshness_history(&self, from_day: &str) -> DomainResult<Vec<FreshnessHistoryRow>>;
    async fn count_datasets(&self) -> DomainResult<u64>;
    /// A file was uploaded as a distribution: a new version whose data clock is `at`.
    async fn record_upload(
        &self,
        id: i64,
        record: &DatasetRecord,
        at: Timestamp,
        freshness: &FreshnessSnapshot,
        actor: &str,
        audit: AuditEvent,
    ) -> DomainResult<Dataset>;
    /// Every active dataset, in id order (for exports).
    async fn active_datasets(&self) -> DomainResult<Vec<Dataset>>;
}

/// Which requests to list: those filed by, or addressed to, some agencies.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub requesting_agencies: Option<Vec<AgencyCode>>,
    pub providing_agencies: Option<Vec<AgencyCode>>,
    pub dataset_id: Option<i64>,
    pub open_only: bool,
}

/// A grant to create with a decision.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub fields: Vec<String>,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    pub approved_by: String,
    pub second_approved_by: Option<String>,
}

/// A decision to record on a request.
#[derive(Debug, Clone)]
pub struct RecordedDecision {
    pub status: RequestStatus,
    pub first_approver: Option<String>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub granted_fields: Vec<String>,
    pub grant: Option<NewGrant>,
}

#[async_trait]
pub trait SharingStore: Send + Sync + 'static {
    async fn create_request(
        &self,
        request: &NewAccessRequest,
        requester: &str,
        providing_agency: &AgencyCode,
        dataset_title: &str,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<AccessRequest>;
    async fn request(&self, id: i64) -> DomainResult<Option<AccessRequest>>;
    async fn requests(&self, filter: &RequestFilter) -> DomainResult<Vec<AccessRequest>>;
    /// Record a decision (and its grant) in one transaction.
    async fn decide(
        &self,
        id: i64,
        decision: &RecordedDecision,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<(AccessRequest, Option<SharingGrant>)>;
    async fn grants_for_dataset(&self, dataset_id: i64) -> DomainResult<Vec<SharingGrant>>;
    async fn grants(
        &self,
        grantee: Option<&[AgencyCode]>,
        provider: Option<&[AgencyCode]>,
    ) -> DomainResult<Vec<SharingGrant>>;
    async fn revoke_grant(&self, id: i64, at: Timestamp, audit: AuditEvent) -> DomainResult<()>;
    async fn grant(&self, id: i64) -> DomainResult<Option<SharingGrant>>;
    /// Count one access to data (the usage log is itself the record; it is not audited).
    async fn log_access(&self, entry: &AccessLogEntry) -> DomainResult<()>;
    /// Use per dataset since `from` (all datasets, or those given).
    async fn usage(&self, from: Timestamp, datasets: Option<&[i64]>)
    -> DomainResult<Vec<UsageRow>>;
    async fn access_log(&self, dataset_id: i64, limit: u32) -> DomainResult<Vec<AccessLogEntry>>;
    /// Uses per Taipei day from `from` on (ISO date, views, downloads, API calls), for the
    /// datasets of one agency or all.
    async fn usage_by_day(
        &self,
        from: Timestamp,
        agency: Option<&AgencyCode>,
    ) -> DomainResult<Vec<(String, u64, u64, u64)>>;
    async fn create_key(
        &self,
        key: &SharingKey,
        secret_hash: &str,
        audit: AuditEvent,
    ) -> DomainResult<SharingKey>;
    async fn key_by_hash(&self, secret_hash: &str) -> DomainResult<Option<SharingKey>>;
    async fn keys_for_grant(&self, grant_id: i64) -> DomainResult<Vec<SharingKey>>;
    async fn revoke_key(&self, id: i64, at: Timestamp, audit: AuditEvent) -> DomainResult<()>;
    /// Note a key's use (at most once a minute is enough; not audited).
    async fn touch_key(&self, id: i64, at: Timestamp) -> DomainResult<()>;
}

/// Demand for data and the platform register (issue 3, points 3 and 7).
#[async_trait]
pub trait InventoryStore: Send + Sync + 'static {
    async fn create_demand(
        &self,
        input: &DemandInput,
        created_by: &str,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<Demand>;
    /// Replace a demand's description and status.
    async fn update_demand(
        &self,
        id: i64,
        input: &DemandInput,
        status: DemandStatus,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<Demand>;
    /// Confirm a dataset for a demand and set the status the domain decided.
    async fn add_demand_match(
        &self,
        id: i64,
        found: &DemandMatch,
        status: DemandStatus,
        audit: AuditEvent,
    ) -> DomainResult<Demand>;
    async fn remove_demand_match(
        &self,
        id: i64,
        dataset_id: i64,
        status: DemandStatus,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<Demand>;
    async fn demand(&self, id: i64) -> DomainResult<Option<Demand>>;
    /// Demands, most urgent then newest first.
    async fn demands(&self, filter: &DemandFilter) -> DomainResult<Vec<Demand>>;
    async fn create_platform(
        &self,
        input: &PlatformInput,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<DataPlatform>;
    async fn update_platform(
        &self,
        id: i64,
        input: &PlatformInput,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<DataPlatform>;
    /// Every platform, in id order.
    async fn platforms(&self) -> DomainResult<Vec<DataPlatform>>;
    /// Enter (or replace) one year's cost.
    async fn set_platform_cost(&self, cost: &PlatformCost, audit: AuditEvent) -> DomainResult<()>;
    /// Remove one year's cost (back to 未填); false when there was none.
    async fn remove_platform_cost(
        &self,
        platform_id: i64,
        roc_year: i32,
        audit: AuditEvent,
    ) -> DomainResult<bool>;
    /// Every cost, by platform then year.
    async fn platform_costs(&self) -> DomainResult<Vec<PlatformCost>>;
    /// Say which platform a harvest source's datasets come from (None: no platform).
    async fn map_source(
        &self,
        source: &str,
        platform_id: Option<i64>,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<()>;
    /// Every source of an active dataset and every mapped source, with its active datasets.
    async fn source_mappings(&self) -> DomainResult<Vec<SourceMapping>>;
    /// Use of each mapped platform's datasets per ROC year, for years `from..=to`.
    async fn platform_use(&self, from_year: i32, to_year: i32) -> DomainResult<Vec<PlatformUse>>;
}

/// Files kept by their SHA-256: the same content is stored once and never overwritten.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Store bytes; returns their SHA-256 (hex).
    async fn put_blob(&self, bytes: &[u8], media_type: &str, at: Timestamp)
    -> DomainResult<String>;
    async fn blob(&self, sha256: &str) -> DomainResult<Option<Vec<u8>>>;
}

/// Notifications and their outbox. Like sessions and freshness snapshots they record what
/// the platform told someone, not a change to anyone's data, so they carry no audit events.
#[async_trait]
pub trait NotificationStore: Send + Sync + 'static {
    /// Active users holding `role`, each with every scope they hold it in.
    async fn role_holders(&self, role: Role) -> DomainResult<Vec<RoleHolder>>;
    /// In one transaction: each notice whose key is new, with its deliveries, and each
    /// broadcast delivery whose key is new. Known keys are skipped, so repeating is harmless.
    async fn queue_notices(&self, batch: &NoticeBatch, at: Timestamp) -> DomainResult<Queued>;
    /// One person's notifications, newest first.
    async fn notifications(
        &self,
        filter: &NotificationFilter,
        page: PageRequest,
    ) -> DomainResult<Page<Notification>>;
    async fn unread_count(&self, user_id: i64) -> DomainResult<u64>;
    /// Mark one of `user_id`'s notifications read; `None` when they have no such notification.
    async fn mark_read(
        &self,
        user_id: i64,
        id: i64,
        at: Timestamp,
    ) -> DomainResult<Option<Notification>>;
    /// Mark all of `user_id`'s unread notifications read; returns how many.
    async fn mark_all_read(&self, user_id: i64, at: Timestamp) -> DomainResult<u64>;
    /// Pending deliveries due by `now`, oldest first, at most `limit`; each is leased until
    /// `lease_until` (so a crash mid-send retries it then, and no second worker takes it).
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> DomainResult<Vec<Delivery>>;
    async fn update_delivery(&self, id: i64, update: &DeliveryUpdate) -> DomainResult<()>;
    /// The deliveries queued for one notification, or the broadcasts (`None`), in id order.
    async fn deliveries(&self, notification_id: Option<i64>) -> DomainResult<Vec<Delivery>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SchemaStatus {
    pub applied: i64,
    pub expected: i64,
}

impl SchemaStatus {
    pub fn current(&self) -> bool {
        self.applied == self.expected
    }
}

#[async_trait]
pub trait StoreAdmin: Send + Sync + 'static {
    async fn ping(&self) -> DomainResult<()>;
    async fn schema_status(&self) -> DomainResult<SchemaStatus>;
    /// A consistent copy of everything, taken while the platform runs.
    async fn backup_to(&self, path: &Path) -> DomainResult<()>;
}

/// Harvest sources (mirrored from the configuration) and their runs. Runs are records of what
/// the platform did, like deliveries: the imports they make are audited, the run rows are not;
/// a person's "run now" is.
#[async_trait]
pub trait HarvestStore: Send + Sync + 'static {
    /// Insert or update these sources as configured; mark every other source unconfigured.
    async fn sync_harvest_sources(
        &self,
        sources: &[crate::catalog::schedule::SourceRow],
        at: Timestamp,
    ) -> DomainResult<()>;
    /// Add one source if it is not there yet (a one-off from the command line).
    async fn add_harvest_source(
        &self,
        source: &crate::catalog::schedule::SourceRow,
        at: Timestamp,
    ) -> DomainResult<()>;
    async fn harvest_sources(&self) -> DomainResult<Vec<crate::catalog::schedule::SourceRow>>;
    async fn request_harvest(
        &self,
        source: &str,
        by: &str,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<()>;
    /// Record a run as started and clear the source's pending request.
    async fn start_harvest_run(
        &self,
        source: &str,
        trigger: crate::catalog::schedule::RunTrigger,
        at: Timestamp,
    ) -> DomainResult<i64>;
    async fn finish_harvest_run(
        &self,
        run: &crate::catalog::schedule::HarvestRun,
    ) -> DomainResult<()>;
    /// Close every run still open (the server stopped during it) at `at` with `reason`.
    async fn close_open_harvest_runs(
        &self,
        at: Timestamp,
        reason: &crate::text::Text,
    ) -> DomainResult<u64>;
    /// The source's latest runs, newest first.
    async fn harvest_runs(
        &self,
        source: &str,
        limit: u32,
    ) -> DomainResult<Vec<crate::catalog::schedule::HarvestRun>>;
}

/// How many earlier sightings of one source address `AlertStore::source_sightings` returns at
/// most: enough to say "came back"; a flood beyond it counts as this many.
pub const SOURCE_SIGHTINGS_CAP: usize = 5_000;

/// Security alerts (issue 4): stored once by fingerprint, with their notifications and the
/// per-day counts dashboards read.
#[async_trait]
pub trait AlertStore: Send + Sync + 'static {
    /// Which of these fingerprints are already stored.
    async fn known_fingerprints(
        &self,
        fingerprints: &[Fingerprint],
    ) -> DomainResult<HashSet<Fingerprint>>;
    /// When each of these source addresses was seen in `from..=to` (observation times in
    /// milliseconds, any order), at most the newest [`SOURCE_SIGHTINGS_CAP`] per address.
    async fn source_sightings(
        &self,
        addresses: &[String],
        from: Timestamp,
        to: Timestamp,
    ) -> DomainResult<HashMap<String, Vec<i64>>>;
    /// In one transaction: the import run with its rejected lines, each alert (linked to the
    /// run and to its notification), each notification's growth (count added, first/last
    /// seen widened, severity raised to the highest; category and agency follow the earliest
    /// member), the rollup counts added, and the audit entry. `AlreadyExists` (nothing
    /// written) when one of the alerts was stored meanwhile. Returns the run id.
    async fn store_alert_import(
        &self,
        write: AlertWrite,
        report: &ImportReport,
        started_at: Timestamp,
        at: Timestamp,
        actor_name: &str,
        audit: AuditEvent,
    ) -> DomainResult<i64>;
    /// Alerts, newest first.
    async fn alerts(&self, filter: &AlertFilter, page: PageRequest)
    -> DomainResult<Page<AlertRow>>;
    /// One alert with everything kept about it.
    async fn alert(&self, id: i64) -> DomainResult<Option<(AlertRow, Alert)>>;
    /// Notifications, most recent last-seen first (`group_id` is ignored).
    async fn alert_groups(
        &self,
        filter: &AlertFilter,
        page: PageRequest,
    ) -> DomainResult<Page<AlertGroupRow>>;
    /// Rollup cells whose day lies in `from_day..=to_day` (ISO dates, both optional), for the
    /// filter's agencies, category and severity (its times and group are ignored).
    async fn alert_rollups(
        &self,
        filter: &AlertFilter,
        from_day: Option<&str>,
        to_day: Option<&str>,
    ) -> DomainResult<Vec<RollupRow>>;
    /// The rollups of whole months `from_month..=to_month` (`YYYY-MM`) for the filter (its
    /// agency, category, sub-bucket, severity and source; not its times), one row per month and
    /// key with `day` holding the month; rows that count nothing are left out.
    async fn alert_rollup_months(
        &self,
        filter: &AlertFilter,
        from_month: &str,
        to_month: &str,
    ) -> DomainResult<Vec<RollupRow>>;
    /// Moves the kept totals of the dashboard's default period (the city-wide top values of
    /// `from_month..=to_month`, kept up to date at ingest) there, rebuilding them from the
    /// monthly counts, unless they are there already; returns whether they moved. A store may
    /// answer [`AlertStore::alert_values`] for that period from them.
    async fn refresh_alert_value_window(
        &self,
        from_month: &str,
        to_month: &str,
    ) -> DomainResult<bool>;
    /// The `limit` values of a dimension with the most alerts in `from_month..=to_month`
    /// (`YYYY-MM`), for the filter's agencies; ties by value.
    async fn alert_values(
        &self,
        filter: &AlertFilter,
        dimension: crate::alerts::analysis::Dimension,
        from_month: &str,
        to_month: &str,
        limit: u32,
    ) -> DomainResult<Vec<crate::alerts::analysis::ValueCount>>;
    /// Notifications first seen in `from..to`, counted per agency and Taipei day.
    async fn alert_group_days(
        &self,
        filter: &AlertFilter,
        from: Timestamp,
        to: Timestamp,
    ) -> DomainResult<Vec<crate::alerts::analysis::DayCount>>;
    /// Adds an analyst's note with its audit entry; returns its id.
    async fn add_alert_note(
        &self,
        note: &crate::alerts::analysis::NewAlertNote,
        author: &str,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<i64>;
    /// The newest commentary of a month's report for one agency (`None`: the whole city):
    /// (text, saved by, saved at).
    async fn alert_report_commentary(
        &self,
        month: &str,
        agency: Option<&AgencyCode>,
    ) -> DomainResult<Option<(String, String, Timestamp)>>;
    /// Saves a new version of a month's commentary with its audit entry.
    async fn save_alert_report_commentary(
        &self,
        month: &str,
        agency: Option<&AgencyCode>,
        commentary: &str,
        actor: &str,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<()>;
    /// The newest saved classification rule set: (version, rule file text).
    async fn latest_alert_rules(&self) -> DomainResult<Option<(String, String)>>;
    /// Saves a rule set, in force from now, with its audit entry; `AlreadyExists` when the
    /// version was used before.
    async fn save_alert_rules(
        &self,
        version: &str,
        rules: &str,
        actor: &str,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<()>;
    /// Stored alerts observed in `from..to` (either end open) with their current class, in id
    /// order after `after_id`.
    async fn stored_classes(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        after_id: i64,
        limit: u32,
    ) -> DomainResult<Vec<crate::alerts::reclassify::StoredClass>>;
    /// In one transaction: classifies every alert observed in `from..to` again with `rules`,
    /// rewrites those whose class or version changes, recomputes their notifications'
    /// severity and category and the rollups of every day a moved alert falls on, records the
    /// run and the audit entry. A failure leaves everything as it was.
    async fn reclassify_alerts(
        &self,
        rules: Arc<crate::alerts::RuleSet>,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        actor: &str,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<crate::alerts::reclassify::Reclassification>;
    /// Notes newest first, for the filter's agencies (city-wide notes included), optionally
    /// for one pattern.
    async fn alert_notes(
        &self,
        filter: &AlertFilter,
        pattern: Option<(&str, &str)>,
        limit: u32,
    ) -> DomainResult<Vec<crate::alerts::analysis::AlertNote>>;
}

/// Incidents, forensic engagements, follow-up actions and evidence (issue 5). Every write
/// takes the record whole with the audit entries of its change, in one transaction; a save
/// names the revision it was read at and is refused (`Conflict`, nothing written) when the
/// stored record has moved on. Nothing is ever deleted: history rows are appended and every
/// saved revision is kept.
#[async_trait]
pub trait CaseStore: Send + Sync + 'static {
    /// The next number for ids like `INC-2026-0007` (per prefix and year, from 1).
    async fn next_case_number(&self, prefix: &str, year: i32) -> DomainResult<u32>;
    /// The alert notifications with these ids that exist.
    async fn notifications_by_id(&self, ids: &[i64]) -> DomainResult<Vec<AlertGroupRow>>;
    /// `AlreadyExists` when the id is taken.
    async fn create_incident(&self, write: IncidentWrite) -> DomainResult<()>;
    async fn save_incident(&self, write: IncidentWrite, expected_revision: u32)
    -> DomainResult<()>;
    async fn incident(&self, id: &RecordId) -> DomainResult<Option<Incident>>;
    /// By next open deadline (soonest first, none last), then most recently opened.
    async fn incidents(
        &self,
        filter: &IncidentFilter,
        page: PageRequest,
    ) -> DomainResult<Page<IncidentRow>>;
    /// The incidents opened from this alert notification.
    async fn incidents_of_notification(&self, group_id: i64) -> DomainResult<Vec<RecordId>>;
    /// Every stored computation of the incident's deadlines, oldest first.
    async fn stored_deadlines(&self, incident: &RecordId) -> DomainResult<Vec<StoredDeadlines>>;
    async fn create_engagement(
        &self,
        engagement: &ForensicEngagement,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<()>;
    /// Saves the engagement; `files` are the report versions it received since.
    async fn save_engagement(
        &self,
        engagement: &ForensicEngagement,
        expected_revision: u32,
        files: Vec<CaseFile>,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<()>;
    async fn engagement(&self, id: &RecordId) -> DomainResult<Option<ForensicEngagement>>;
    async fn engagements(&self, incident: &RecordId) -> DomainResult<Vec<ForensicEngagement>>;
    async fn create_action(&self, action: &Action, audit: Vec<AuditEvent>) -> DomainResult<()>;
    /// Saves the action; `files` are the evidence it gained since.
    async fn save_action(
        &self,
        action: &Action,
        expected_revision: u32,
        files: Vec<CaseFile>,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<()>;
    async fn action(&self, id: &RecordId) -> DomainResult<Option<Action>>;
    /// Actions by due date, soonest first.
    async fn actions(&self, filter: &ActionFilter) -> DomainResult<Vec<Action>>;
    async fn create_evidence_item(
        &self,
        item: &CustodyItem,
        file: CaseFile,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<()>;
    /// Saves the item's new hand-overs; refused when it no longer has `expected_handovers`.
    async fn save_evidence_item(
        &self,
        item: &CustodyItem,
        expected_handovers: usize,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<()>;
    async fn evidence_items(&self, incident: &RecordId) -> DomainResult<Vec<CustodyItem>>;
    /// Whole incidents in scope (for measures, compliance and follow-up), by aware time.
    async fn incident_records(&self, scope: &IncidentScope) -> DomainResult<Vec<Incident>>;
}

/// Threat intelligence (issue 4): STIX objects kept verbatim, one row per version (id +
/// `modified`), the newest current; indicators with their pattern's tests indexed for look-up;
/// alert matches and the sightings made from them.
#[async_trait]
pub trait IntelStore: Send + Sync + 'static {
    /// The newest stored version of each of these ids.
    async fn intel_versions(
        &self,
        ids: &[StixId],
    ) -> DomainResult<HashMap<StixId, crate::intel::ObjectVersion>>;
    /// In one transaction: the import run with its rejected objects, each planned object as a
    /// new version (an update leaves the older version kept, no longer current), each
    /// indicator's row and tests, and the audit entry. Returns the run id.
    async fn store_intel_import(
        &self,
        objects: Vec<crate::intel::bundle::PlannedObject>,
        report: &ImportReport,
        started_at: Timestamp,
        at: Timestamp,
        actor_name: &str,
        audit: AuditEvent,
    ) -> DomainResult<i64>;
    /// Changes whenever an indicator is stored, replaced or revoked (a cheap read).
    async fn indicator_generation(&self) -> DomainResult<i64>;
    /// Every indicator that is not revoked and whose pattern civitas matches.
    async fn indexed_indicators(&self) -> DomainResult<Vec<IndexedIndicator>>;
    /// Indicators (newest versions), most recently modified first.
    async fn indicators(
        &self,
        filter: &IndicatorFilter,
        page: PageRequest,
    ) -> DomainResult<Page<IndicatorRow>>;
    /// The current versions of the objects of one type created by `created_by`.
    async fn intel_objects_by(
        &self,
        object_type: &str,
        created_by: &StixId,
    ) -> DomainResult<Vec<crate::intel::StixObject>>;
    /// Stored alerts with their observables, by id after `after_id`, at most `limit`.
    async fn alerts_for_matching(
        &self,
        after_id: i64,
        limit: usize,
    ) -> DomainResult<Vec<AlertObservables>>;
    /// Keeps each match once (alerts not stored are ignored) and returns, for every indicator
    /// and notification the matches touch, what all their stored matches add up to.
    async fn link_alert_matches(
        &self,
        matches: Vec<AlertMatch>,
        at: Timestamp,
    ) -> DomainResult<Vec<SightingTally>>;
    /// Creates or replaces sightings (first/last seen and count never shrink), with the audit
    /// entry when the change is one of its own.
    async fn save_sightings(
        &self,
        sightings: Vec<(i64, CitySighting)>,
        audit: Option<AuditEvent>,
    ) -> DomainResult<()>;
    /// Where the next poll of a TAXII collection starts (`added_after`), if it was polled.
    async fn taxii_resume(&self, collection_key: &str) -> DomainResult<Option<String>>;
    async fn save_taxii_resume(
        &self,
        collection_key: &str,
        added_after: &str,
        at: Timestamp,
    ) -> DomainResult<()>;
    /// Sightings, most recently seen first.
    async fn sightings(
        &self,
        filter: &SightingFilter,
        page: PageRequest,
    ) -> DomainResult<Page<SightingRow>>;
}

/// The exchange gateway's provider face (issue 6): members and subsystems mapped to agencies,
/// registered services and their endpoints, access grants tied to sharing approvals, and the
/// message log.
#[async_trait]
pub trait ExchangeStore: Send + Sync + 'static {
    /// In one transaction: the owning subsystem (added, mapped to the service's agency, when
    /// it is new; a subsystem of another agency is refused), the service, its endpoints and
    /// the audit entry. A service id already registered is `AlreadyExists`.
    async fn register_service(
        &self,
        new: &NewService,
        audit: AuditEvent,
    ) -> DomainResult<RegisteredService>;
    async fn exchange_service(&self, id: i64) -> DomainResult<Option<RegisteredService>>;
    async fn exchange_service_by_id(
        &self,
        service: &ServiceId,
    ) -> DomainResult<Option<RegisteredService>>;
    /// Services of these agencies (`None`: all), by service id.
    async fn exchange_services(
        &self,
        agencies: Option<&[AgencyCode]>,
    ) -> DomainResult<Vec<RegisteredService>>;
    /// Disable (with the notice callers get) or enable (`None`) a service.
    async fn set_service_disabled(
        &self,
        id: i64,
        notice: Option<String>,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<RegisteredService>;
    async fn exchange_members(&self) -> DomainResult<Vec<ExchangeMember>>;
    async fn exchange_member(&self, client: &ClientId) -> DomainResult<Option<ExchangeMember>>;
    /// In one transaction: the subject subsystem (added, mapped to the requesting agency,
    /// when it is new; mapped to another agency, refused), the grant and the audit entry.
    async fn create_access_grant(
        &self,
        new: &NewAccessGrant,
        audit: AuditEvent,
    ) -> DomainResult<AccessGrant>;
    async fn access_grant(&self, id: i64) -> DomainResult<Option<AccessGrant>>;
    async fn access_grants(&self, filter: &GrantFilter) -> DomainResult<Vec<AccessGrant>>;
    /// Every grant (active or not) of a service to one subject: the runtime check.
    async fn grants_for_subject(
        &self,
        service_row: i64,
        subject: &ClientId,
    ) -> DomainResult<Vec<AccessGrant>>;
    /// Revoke a grant; a grant already revoked is a conflict.
    async fn revoke_access_grant(
        &self,
        id: i64,
        at: Timestamp,
        by: &str,
        audit: AuditEvent,
    ) -> DomainResult<AccessGrant>;
    /// Append one call to the message log (the log is itself the record; not audited).
    async fn log_message(&self, record: &MessageRecord) -> DomainResult<i64>;
    /// One service's traffic by UTC hour in `[from, until)`, oldest first; hours without
    /// calls are absent. Kept at logging time, so it costs the same however long the log is.
    async fn service_traffic(
        &self,
        service: &str,
        from: Timestamp,
        until: Timestamp,
    ) -> DomainResult<Vec<TrafficHour>>;
    /// Append one call with its signed messages, in one transaction (the evidence waits for
    /// its batch time-stamp).
    async fn log_signed_message(
        &self,
        record: &MessageRecord,
        evidence: &[MessageEvidence],
        logged_at: Timestamp,
    ) -> DomainResult<i64>;
    async fn exchange_message(&self, id: i64) -> DomainResult<Option<MessageRecord>>;
    /// The signed messages of one call (request first), with their time-stamps.
    async fn message_evidence(&self, message_id: i64) -> DomainResult<Vec<StoredEvidence>>;
    /// Stamped records not yet archived, oldest first, at most `limit`, with their call's
    /// `X-Road-Id`.
    async fn unarchived_evidence(
        &self,
        limit: usize,
    ) -> DomainResult<Vec<(String, StoredEvidence)>>;
    /// Where the archive chain stands: the last archive's file name and last digest.
    async fn last_archive(&self) -> DomainResult<Option<crate::exchange::archive::ArchiveLink>>;
    /// Record an archive and mark its records archived, in one transaction. An archive that
    /// does not start from the last archive's digest, or a record already archived or not
    /// stamped, is a conflict and nothing is written.
    async fn record_archive(&self, archive: &crate::exchange::NewArchive) -> DomainResult<i64>;
    /// Records not yet time-stamped, oldest first, at most `limit`.
    async fn pending_timestamps(&self, limit: usize) -> DomainResult<Vec<PendingStamp>>;
    /// Store a batch time-stamp and each record's hash chain, in one transaction. A record
    /// already stamped (another batch got there first) is a conflict and nothing is written.
    async fn record_timestamp(&self, batch: &NewTimestampBatch) -> DomainResult<i64>;
    /// The transfer-record feed: calls with an id above `after`, oldest first, at most
    /// `limit`, of these agencies' services (`None`: all).
    async fn transfer_records(
        &self,
        agencies: Option<&[AgencyCode]>,
        after: i64,
        limit: usize,
    ) -> DomainResult<Vec<TransferRecord>>;
    /// Whether a call with this `X-Road-Id` is in the message log (the replay check).
    async fn xroad_id_logged(&self, xroad_id: &str) -> DomainResult<bool>;
    /// The message log, newest first.
    async fn messages(
        &self,
        filter: &MessageFilter,
        page: PageRequest,
    ) -> DomainResult<Page<MessageRecord>>;
    /// In one transaction: the subsystem (added, mapped to the credential's agency under
    /// `subsystem_name`, when it is new; mapped to another agency, refused), the credential
    /// (the same certificate or token already bound and not revoked: `AlreadyExists`) and the
    /// audit entry.
    async fn create_exchange_credential(
        &self,
        new: &ExchangeCredential,
        subsystem_name: &str,
        audit: AuditEvent,
    ) -> DomainResult<ExchangeCredential>;
    async fn exchange_credential(&self, id: i64) -> DomainResult<Option<ExchangeCredential>>;
    /// Credentials of subsystems of these agencies (`None`: all), newest first.
    async fn exchange_credentials(
        &self,
        agencies: Option<&[AgencyCode]>,
    ) -> DomainResult<Vec<ExchangeCredential>>;
    /// Every credential (revoked ones too) with this fingerprint: the runtime check.
    async fn exchange_credentials_by_fingerprint(
        &self,
        fingerprint: &str,
    ) -> DomainResult<Vec<ExchangeCredential>>;
    /// Revoke a credential; one already revoked is a conflict.
    async fn revoke_exchange_credential(
        &self,
        id: i64,
        at: Timestamp,
        by: &str,
        audit: AuditEvent,
    ) -> DomainResult<ExchangeCredential>;
}

/// Everything storage offers, as trait objects chosen once at start-up.
#[derive(Clone)]
pub struct Stores {
    pub agencies: Arc<dyn AgencyStore>,
    pub accounts: Arc<dyn AccountStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub tokens: Arc<dyn TokenStore>,
    pub audit: Arc<dyn AuditStore>,
    pub imports: Arc<dyn ImportStore>,
    pub catalog: Arc<dyn CatalogStore>,
    pub notifications: Arc<dyn NotificationStore>,
    pub sharing: Arc<dyn SharingStore>,
    pub inventory: Arc<dyn InventoryStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub harvest: Arc<dyn HarvestStore>,
    pub alerts: Arc<dyn AlertStore>,
    pub cases: Arc<dyn CaseStore>,
    pub intel: Arc<dyn IntelStore>,
    pub exchange: Arc<dyn ExchangeStore>,
    pub admin: Arc<dyn StoreAdmin>,
}

impl Stores {
    /// One backend implementing every port.
    pub fn from_backend<B>(backend: Arc<B>) -> Self
    where
        B: AgencyStore
            + AccountStore
            + SessionStore
            + TokenStore
            + CatalogStore
            + NotificationStore
            + SharingStore
            + InventoryStore
            + BlobStore
            + HarvestStore
            + AlertStore
            + CaseStore
            + IntelStore
            + ExchangeStore
            + AuditStore
            + ImportStore
            + StoreAdmin,
    {
        Stores {
            agencies: backend.clone(),
            accounts: backend.clone(),
            sessions: backend.clone(),
            tokens: backend.clone(),
            audit: backend.clone(),
            imports: backend.clone(),
            catalog: backend.clone(),
            notifications: backend.clone(),
            sharing: backend.clone(),
            inventory: backend.clone(),
            blobs: backend.clone(),
            harvest: backend.clone(),
            alerts: backend.clone(),
            cases: backend.clone(),
            intel: backend.clone(),
            exchange: backend.clone(),
            admin: backend,
        }
    }
}
