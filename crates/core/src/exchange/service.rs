//! The provider face's rules with storage: registering services (endpoints from OpenAPI),
//! access grants that answer approved sharing requests, the runtime decision every `/r1` call
//! goes through (deny by default), the metaservices' data and the message log.

use std::collections::HashMap;

use serde_json::json;

use super::id::{CharRule, ClientId, ServiceId};
use super::model::{
    AccessGrant, CredentialKind, ExchangeCredential, ExchangeMember, GrantFilter, GrantInput,
    MessageEvidence, MessageFilter, MessageRecord, NewAccessGrant, NewService, NewTimestampBatch,
    PresentedCredential, RegisteredService, ServiceInput, ServiceType, StoredEvidence, TrafficHour,
    TransferRecord,
};
use super::rest::{self, Endpoint, FaultSide, RestFault, codes};
use crate::agencies::AgencyCode;
use crate::authz::{Permission, Target};
use crate::error::{DomainError, DomainResult};
use crate::page::{Page, PageRequest};
use crate::platform::{Caller, Platform};
use crate::sharing::RequestStatus;
use crate::text::Text;
use crate::time::Timestamp;

/// The largest OpenAPI description accepted (X-Road's `OpenApiParser` limit).
pub const MAX_OPENAPI_BYTES: usize = 10 * 1024 * 1024;
/// Timeout of a service when none is given, and the bounds a steward may set.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
pub const MAX_TIMEOUT_MS: u32 = 300_000;

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The header a caller on the plain HTTP listener presents its token in. The gateway removes
/// it: it never reaches the provider, the request hash or the log.
pub const TOKEN_HEADER: &str = "x-civitas-exchange-token";

/// Tokens start with this, so that a leaked one is recognisable in a scan.
const TOKEN_PREFIX: &str = "cvx_";

/// A token just issued: the only time its value is seen.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub credential: ExchangeCredential,
    pub token: String,
}

/// The X-Road error for a caller that failed information-system authentication:
/// `Server.ClientProxy.SslAuthenticationFailed` (`ErrorCodes.X_SSL_AUTH_FAILED`, thrown by
/// `IsAuthentication.verifyClientAuthentication` for a missing certificate and for one that
/// matches none registered for the client; 500 by the `server.` rule).
fn auth_fault(message: impl Into<String>) -> RestFault {
    RestFault::new(
        FaultSide::ClientProxy,
        codes::SSL_AUTHENTICATION_FAILED,
        message,
    )
}

/// What a steward gives to issue a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialInput {
    /// The subsystem, `INSTANCE/CLASS/MEMBER/SUBSYSTEM`.
    pub client: String,
    /// The agency it belongs to: needed when the subsystem is not registered yet.
    pub agency: Option<AgencyCode>,
    /// The name it is listed under (`listClients`), when it is new.
    pub subsystem_name: Option<String>,
    /// Who holds the credential (which system).
    pub label: String,
}

impl CredentialInput {
    fn subsystem_name(&self) -> String {
        self.subsystem_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| {
                self.client
                    .trim()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
    }
}

pub struct ExchangeService<'a> {
    p: &'a Platform,
}

/// A call the gateway may forward: the service and the grant that allows it.
#[derive(Debug, Clone)]
pub struct CallDecision {
    pub service: RegisteredService,
    pub grant_id: i64,
    /// The service endpoint the call falls under, for the log (`GET /items/*`).
    pub endpoint: Option<Endpoint>,
}

fn server_fault(code: &'static str, message: impl Into<String>) -> RestFault {
    RestFault::new(FaultSide::ServerProxy, code, message)
}

fn internal(e: DomainError) -> RestFault {
    tracing::error!(error = %e, "exchange store failed");
    server_fault(
        codes::INTERNAL_ERROR,
        "the gateway could not read its configuration",
    )
}

impl<'a> ExchangeService<'a> {
    pub fn new(p: &'a Platform) -> Self {
        ExchangeService { p }
    }

    async fn target(&self, agency: &AgencyCode) -> DomainResult<Target> {
        self.p.agencies().target(Some(agency)).await
    }

    /// The agencies among `agencies` the caller may read the exchange of (`None`: all).
    async fn readable(&self, caller: &Caller) -> DomainResult<Option<Vec<AgencyCode>>> {
        if caller
            .principal
            .can(Permission::ReadExchange, &Target::City)
        {
            return Ok(None);
        }
        if !caller.principal.can_somewhere(Permission::ReadExchange) {
            return Err(DomainError::Forbidden {
                needed: Permission::ReadExchange.as_str().into(),
            });
        }
        let mut out = Vec::new();
        for agency in self.p.stores.agencies.agencies().await? {
            if caller
                .principal
                .can(Permission::ReadExchange, &self.target(&agency.code).await?)
            {
                out.push(agency.code);
            }
        }
        Ok(Some(out))
    }

    /// Register a service an agency offers. Needs `manage_exchange` for that agency.
    pub async fn register_service(
        &self,
        caller: &Caller,
        input: ServiceInput,
    ) -> DomainResult<RegisteredService> {
        let auth = caller.principal.authorize(
            Permission::ManageExchange,
            &self.target(&input.agency).await?,
        )?;
        let service = ServiceId::parse_path(input.service_id.trim(), CharRule::Strict)
            .map_err(|e| DomainError::invalid("service_id", e.text()))?
            .id;
        let title = input.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(DomainError::invalid(
                "title",
                Text::new(
                    "請填寫服務名稱（1 至 200 字）",
                    "give the service a title (1–200 characters)",
                ),
            ));
        }
        let base_url = check_base_url(&input.base_url)?;
        let timeout_ms = input.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
        if timeout_ms == 0 || timeout_ms > MAX_TIMEOUT_MS {
            return Err(DomainError::invalid(
                "timeout_ms",
                Text::new(
                    format!("逾時請設 1 至 {MAX_TIMEOUT_MS} 毫秒"),
                    format!("set the timeout between 1 and {MAX_TIMEOUT_MS} milliseconds"),
                ),
            ));
        }
        if let Some(dataset_id) = input.dataset_id {
            let dataset = self
                .p
                .stores
                .catalog
                .dataset(dataset_id)
                .await?
                .ok_or_else(|| DomainError::not_found("dataset", dataset_id.to_string()))?;
            if dataset.record.agency != input.agency {
                return Err(DomainError::invalid(
                    "dataset_id",
                    Text::new(
                        "只能以貴機關自己的資料集提供服務",
                        "a service can only serve a dataset of its own agency",
                    ),
                ));
            }
        }
        let (service_type, endpoints, openapi) = match input.openapi {
            Some(text) if !text.trim().is_empty() => {
                let endpoints = endpoints_from_openapi(&text)?;
                (ServiceType::OpenApi3, endpoints, Some(text))
            }
            _ => (ServiceType::Rest, Vec::new(), None),
        };
        let at = self.p.now();
        let path = service
            .to_path()
            .unwrap_or_else(|| input.service_id.trim().to_string());
        let owner_name = input
            .subsystem_name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| service.owner.subsystem.clone().unwrap_or_default());
        let new = NewService {
            service: RegisteredService {
                id: 0,
                service: service.clone(),
                agency: input.agency.clone(),
                title,
                base_url,
                dataset_id: input.dataset_id,
                timeout_ms,
                tls_verify: input.tls_verify.unwrap_or(true),
                service_type,
                openapi,
                endpoints,
                disabled_notice: None,
                created_at: at,
                created_by: caller.principal.user_name.clone(),
                updated_at: at,
            },
            owner_name,
        };
        let event = caller.event(
            at,
            &auth,
            "exchange.service.register",
            "exchange_service",
            &path,
            json!({
                "agency": input.agency.as_str(),
                "base_url": new.service.base_url,
                "type": service_type.as_str(),
                "endpoints": new.service.endpoints.len(),
            }),
        );
        self.p.stores.exchange.register_service(&new, event).await
    }

    /// Refuse at once a caller who cannot manage the exchange anywhere (before any look-up,
    /// so that a refusal never tells whether an object exists).
    fn require_manage(&self, caller: &Caller) -> DomainResult<()> {
        if caller.principal.can_somewhere(Permission::ManageExchange) {
            Ok(())
        } else {
            Err(DomainError::Forbidden {
                needed: Permission::ManageExchange.as_str().into(),
            })
        }
    }

    async fn service_row(&self, id: i64) -> DomainResult<RegisteredService> {
        self.p
            .stores
            .exchange
            .exchange_service(id)
            .await?
            .ok_or_else(|| DomainError::not_found("exchange service", id.to_string()))
    }

    /// Disable a service with the notice its callers get, or enable it again (`None`).
    pub async fn set_disabled(
        &self,
        caller: &Caller,
        id: i64,
        notice: Option<String>,
    ) -> DomainResult<RegisteredService> {
        self.require_manage(caller)?;
        let service = self.service_row(id).await?;
        let auth = caller.principal.authorize(
            Permission::ManageExchange,
            &self.target(&service.agency).await?,
        )?;
        let notice = match notice.map(|n| n.trim().to_string()) {
            Some(n) if n.is_empty() || n.chars().count() > 500 => {
                return Err(DomainError::invalid(
                    "notice",
                    Text::new(
                        "停用說明請寫 1 至 500 字，呼叫端會看到它",
                        "write a 1–500 character notice: callers receive it",
                    ),
                ));
            }
            other => other,
        };
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            if notice.is_some() {
                "exchange.service.disable"
            } else {
                "exchange.service.enable"
            },
            "exchange_service",
            &service.service_path(),
            json!({ "notice": notice }),
        );
        self.p
            .stores
            .exchange
            .set_service_disabled(id, notice, at, event)
            .await
    }

    pub async fn services(&self, caller: &Caller) -> DomainResult<Vec<RegisteredService>> {
        let scope = self.readable(caller).await?;
        self.p
            .stores
            .exchange
            .exchange_services(scope.as_deref())
            .await
    }

    pub async fn get_service(&self, caller: &Caller, id: i64) -> DomainResult<RegisteredService> {
        if !caller.principal.can_somewhere(Permission::ReadExchange) {
            return Err(DomainError::Forbidden {
                needed: Permission::ReadExchange.as_str().into(),
            });
        }
        let service = self.service_row(id).await?;
        caller.principal.authorize(
            Permission::ReadExchange,
            &self.target(&service.agency).await?,
        )?;
        Ok(service)
    }

    /// A service's traffic by UTC hour in `[from, until)` (calls, client and server errors,
    /// latency histogram), for whoever may read the service.
    pub async fn service_traffic(
        &self,
        caller: &Caller,
        id: i64,
        from: Timestamp,
        until: Timestamp,
    ) -> DomainResult<(RegisteredService, Vec<TrafficHour>)> {
        let service = self.get_service(caller, id).await?;
        let hours = self
            .p
            .stores
            .exchange
            .service_traffic(&service.service_path(), from, until)
            .await?;
        Ok((service, hours))
    }

    /// Grant a client subsystem access to a service (or one endpoint), answering an approved
    /// sharing request of the requesting agency to the service's agency. Only the provider
    /// agency's stewards (`manage_exchange` there) may.
    pub async fn create_grant(
        &self,
        caller: &Caller,
        input: GrantInput,
    ) -> DomainResult<AccessGrant> {
        self.require_manage(caller)?;
        let service_id = ServiceId::parse_path(input.service_id.trim(), CharRule::Lenient)
            .map_err(|e| DomainError::invalid("service_id", e.text()))?
            .id;
        let service = self
            .p
            .stores
            .exchange
            .exchange_service_by_id(&service_id)
            .await?
            .ok_or_else(|| DomainError::not_found("exchange service", input.service_id.clone()))?;
        let auth = caller.principal.authorize(
            Permission::ManageExchange,
            &self.target(&service.agency).await?,
        )?;
        let subject = ClientId::parse_path(input.subject.trim(), CharRule::Strict)
            .map_err(|e| DomainError::invalid("subject", e.text()))?
            .id;
        if subject.subsystem.is_none() {
            return Err(DomainError::invalid(
                "subject",
                Text::new(
                    "授權對象須為子系統（INSTANCE/CLASS/MEMBER/SUBSYSTEM）",
                    "grant access to a subsystem (INSTANCE/CLASS/MEMBER/SUBSYSTEM)",
                ),
            ));
        }
        let request = self
            .p
            .stores
            .sharing
            .request(input.request_id)
            .await?
            .ok_or_else(|| {
                DomainError::not_found("sharing request", input.request_id.to_string())
            })?;
        if !matches!(
            request.status,
            RequestStatus::Approved | RequestStatus::PartlyApproved
        ) {
            return Err(DomainError::conflict(
                format!(
                    "第 {} 號申請尚未核准（{}），不能據以授權",
                    request.id,
                    request.status.label().zh
                ),
                format!(
                    "request no. {} is not approved ({}): no grant can answer it",
                    request.id,
                    request.status.label().en
                ),
            ));
        }
        if request.providing_agency != service.agency {
            return Err(DomainError::conflict(
                "此申請不是向本服務所屬機關提出的",
                "this request was not made to the agency that offers the service",
            ));
        }
        if let Some(dataset_id) = service.dataset_id
            && dataset_id != request.request.dataset_id
        {
            return Err(DomainError::conflict(
                "此申請的資料集不是本服務提供的資料集",
                "this request is for another dataset than the one this service serves",
            ));
        }
        let now = self.p.now();
        let approval = self
            .p
            .stores
            .sharing
            .grants_for_dataset(request.request.dataset_id)
            .await?
            .into_iter()
            .find(|g| g.request_id == request.id)
            .ok_or_else(|| {
                DomainError::conflict(
                    "此申請沒有有效的共享授權",
                    "this request has no sharing grant",
                )
            })?;
        if !approval.is_active(now) {
            return Err(DomainError::conflict(
                "此申請的共享授權已到期或已終止",
                "the sharing grant of this request has expired or was revoked",
            ));
        }
        if let Some(existing) = self.p.stores.exchange.exchange_member(&subject).await?
            && existing.agency != request.request.requesting_agency
        {
            return Err(DomainError::conflict(
                format!("子系統 {subject} 屬於 {}，不是申請機關", existing.agency),
                format!(
                    "the subsystem {subject} belongs to {}, not to the requesting agency",
                    existing.agency
                ),
            ));
        }
        let endpoint = match input.endpoint {
            None => None,
            Some(e) => Some(check_grant_endpoint(&service, e)?),
        };
        let valid_until = match input.valid_until {
            Some(until) if until <= now => {
                return Err(DomainError::invalid(
                    "valid_until",
                    Text::new("到期時間須在現在之後", "the end must lie in the future"),
                ));
            }
            Some(until) => until.min(approval.valid_until),
            None => approval.valid_until,
        };
        let subject_name = input
            .subject_name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| subject.subsystem.clone().unwrap_or_default());
        let grant = AccessGrant {
            id: 0,
            service_row: service.id,
            service: service.service.clone(),
            provider_agency: service.agency.clone(),
            endpoint: endpoint.clone(),
            subject: subject.clone(),
            sharing_grant_id: approval.id,
            request_id: request.id,
            requesting_agency: request.request.requesting_agency.clone(),
            purpose: request.request.purpose.clone(),
            legal_basis: request.request.legal_basis.clone(),
            approved_by: caller.principal.user_name.clone(),
            approved_at: now,
            valid_from: now,
            valid_until,
            revoked_at: None,
            revoked_by: None,
            approval_valid_until: approval.valid_until,
            approval_revoked_at: None,
        };
        let event = caller.event(
            now,
            &auth,
            "exchange.grant.create",
            "exchange_service",
            &service.service_path(),
            json!({
                "subject": subject.to_path(),
                "endpoint": endpoint.as_ref().map(|e| format!("{} {}", e.method, e.path)),
                "request_id": request.id,
                "sharing_grant_id": approval.id,
                "requesting_agency": request.request.requesting_agency.as_str(),
                "valid_until": valid_until.to_rfc3339(),
            }),
        );
        self.p
            .stores
            .exchange
            .create_access_grant(
                &NewAccessGrant {
                    grant,
                    subject_name,
                },
                event,
            )
            .await
    }

    pub async fn revoke_grant(&self, caller: &Caller, id: i64) -> DomainResult<AccessGrant> {
        self.require_manage(caller)?;
        let grant = self
            .p
            .stores
            .exchange
            .access_grant(id)
            .await?
            .ok_or_else(|| DomainError::not_found("access grant", id.to_string()))?;
        let auth = caller.principal.authorize(
            Permission::ManageExchange,
            &self.target(&grant.provider_agency).await?,
        )?;
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "exchange.grant.revoke",
            "exchange_grant",
            &id.to_string(),
            json!({
                "service": grant.service.to_path(),
                "subject": grant.subject.to_path(),
            }),
        );
        self.p
            .stores
            .exchange
            .revoke_access_grant(id, at, &caller.principal.user_name, event)
            .await
    }

    /// Grants the caller may read: those of services of agencies it reads the exchange of, or
    /// given to them.
    pub async fn grants(&self, caller: &Caller) -> DomainResult<Vec<AccessGrant>> {
        let scope = self.readable(caller).await?;
        self.p
            .stores
            .exchange
            .access_grants(&GrantFilter {
                agencies: scope,
                service_row: None,
            })
            .await
    }

    pub async fn messages(
        &self,
        caller: &Caller,
        mut filter: MessageFilter,
        page: PageRequest,
    ) -> DomainResult<Page<MessageRecord>> {
        let scope = self.readable(caller).await?;
        filter.agencies = match (scope, filter.agencies.take()) {
            (None, asked) => asked,
            (Some(mine), None) => Some(mine),
            (Some(mine), Some(asked)) => {
                Some(asked.into_iter().filter(|a| mine.contains(a)).collect())
            }
        };
        self.p.stores.exchange.messages(&filter, page).await
    }

    /// One logged call with its signed messages and their time-stamps, for whoever reads the
    /// exchange of the service's agency (a call that never reached a known service: city-wide
    /// readers only). Unknown and unreadable calls look the same: not found.
    pub async fn message_evidence(
        &self,
        caller: &Caller,
        message_id: i64,
    ) -> DomainResult<(MessageRecord, Vec<StoredEvidence>)> {
        let scope = self.readable(caller).await?;
        let not_found = || DomainError::NotFound {
            what: "exchange message",
            key: message_id.to_string(),
        };
        let message = self
            .p
            .stores
            .exchange
            .exchange_message(message_id)
            .await?
            .ok_or_else(not_found)?;
        if let Some(mine) = scope {
            match &message.agency {
                Some(a) if mine.contains(a) => {}
                _ => return Err(not_found()),
            }
        }
        let evidence = self.p.stores.exchange.message_evidence(message_id).await?;
        Ok((message, evidence))
    }

    /// One logged message of a call as an ASiC-E container (X-Road's layout: `message.xml`,
    /// `attachment1`, `META-INF/signatures.xml`, the batch time-stamp with its hash chain), and
    /// its file name. A call logged without signatures, or a side not signed here, is not found;
    /// a record still waiting for its batch time-stamp is a conflict (try again after the next
    /// time-stamping round).
    pub async fn message_container(
        &self,
        caller: &Caller,
        message_id: i64,
        side: super::MessageSide,
    ) -> DomainResult<(String, Vec<u8>)> {
        let (message, evidence) = self.message_evidence(caller, message_id).await?;
        let stored = evidence
            .iter()
            .find(|e| e.evidence.side == side)
            .ok_or_else(|| DomainError::NotFound {
                what: "signed message",
                key: format!("{message_id}/{}", side.as_str()),
            })?;
        if stored.timestamp.is_none() {
            return Err(DomainError::Conflict(Text::new(
                "這筆訊息還在等待批次時戳（每分鐘左右一次），蓋上時戳後才能匯出可驗證的 ASiC-E 容器，請稍後再試。",
                "this message is still waiting for its batch time-stamp (about once a minute); a verifiable ASiC-E container can be exported once it is stamped: try again shortly",
            )));
        }
        let parts = super::asic::build::AsicParts::from_evidence(stored);
        let bytes = super::asic::build::write_asice(&parts).map_err(|e| {
            DomainError::Store(format!("the ASiC-E container cannot be written: {e}"))
        })?;
        let id: String = message
            .xroad_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(120)
            .collect();
        Ok((format!("{id}-{}.asice", side.as_str()), bytes))
    }

    /// The transfer-record feed (calls after `after`, oldest first, at most 1,000 a page) of
    /// the services whose exchange the caller reads: the record T-Road's management platform
    /// will receive once its interface is published.
    pub async fn transfer_records(
        &self,
        caller: &Caller,
        after: i64,
        limit: usize,
    ) -> DomainResult<Vec<TransferRecord>> {
        let scope = self.readable(caller).await?;
        self.p
            .stores
            .exchange
            .transfer_records(scope.as_deref(), after, limit.clamp(1, 1000))
            .await
    }

    /// Whether a call with this `X-Road-Id` is already in the log (a node's replay check).
    pub async fn xroad_id_seen(&self, xroad_id: &str) -> DomainResult<bool> {
        self.p.stores.exchange.xroad_id_logged(xroad_id).await
    }

    /// Batch time-stamping (research notes §3.4): the records not yet stamped (at most
    /// `limit`, oldest first) get one RFC 3161 token over a hash chain of their signature
    /// hashes; each keeps its `ts-hashchain.xml`. Returns how many were stamped (0: none were
    /// waiting). A failed stamp leaves them waiting for the next round, and the monitor counts
    /// the failure towards the acceptable failure period.
    pub async fn stamp_pending(
        &self,
        monitor: &super::trust::TrustMonitor,
        limit: usize,
    ) -> DomainResult<usize> {
        let pending = self.p.stores.exchange.pending_timestamps(limit).await?;
        let hashes: Vec<Vec<u8>> = pending.iter().map(|p| p.signature_hash.clone()).collect();
        let Some(batch) = super::asic::tschain::batch_timestamp_chain(&hashes) else {
            return Ok(0);
        };
        let token = monitor.timestamp(&batch.imprint).await.map_err(|e| {
            DomainError::Conflict(Text::new(
                format!("時戳失敗，紀錄留待下次再蓋：{e}"),
                format!("time-stamping failed; the records wait for the next round: {e}"),
            ))
        })?;
        let records: Vec<(i64, Vec<u8>)> = pending
            .iter()
            .map(|p| p.evidence_id)
            .zip(batch.chains)
            .collect();
        let n = records.len();
        self.p
            .stores
            .exchange
            .record_timestamp(&NewTimestampBatch {
                tsa_url: token.tsa_url,
                token: token.token_der,
                hash_chain_result: batch.result_xml,
                stamped_at: token.gen_time,
                records,
            })
            .await?;
        Ok(n)
    }

    /// Archive the message log (research notes §3.4): the stamped records not yet archived
    /// (oldest first, at most `limit`) become ASiC-E containers in one ZIP whose `linkinginfo`
    /// continues the hash chain from the last archive, written to `dir` (atomically: a temporary
    /// file renamed into place) and then recorded with its records, so nothing is archived
    /// twice. Archiving is deterministic: re-run after a crash between the file and the record,
    /// it writes the same file again. Returns the file name and the number of records, `None`
    /// when nothing waits.
    pub async fn archive_pending(
        &self,
        dir: &std::path::Path,
        limit: usize,
    ) -> DomainResult<Option<(String, usize)>> {
        use super::archive::{ArchiveLink, archive_name, write_archive};
        let records = self.p.stores.exchange.unarchived_evidence(limit).await?;
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return Ok(None);
        };
        let previous = self
            .p
            .stores
            .exchange
            .last_archive()
            .await?
            .unwrap_or_default();
        let stamp = |t: Timestamp| {
            let t = t.inner();
            format!(
                "{:04}{:02}{:02}{:02}{:02}{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        };
        let (first_at, last_at) = (stamp(first.1.logged_at), stamp(last.1.logged_at));
        let mut entries = Vec::with_capacity(records.len());
        for (xroad_id, stored) in &records {
            let parts = super::asic::build::AsicParts::from_evidence(stored);
            let bytes = super::asic::build::write_asice(&parts).map_err(|e| {
                DomainError::Store(format!("the ASiC-E container cannot be written: {e}"))
            })?;
            let id: String = xroad_id
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .take(120)
                .collect();
            entries.push((
                format!("{id}-{}-{}.asice", stored.evidence.side.as_str(), stored.id),
                bytes,
            ));
        }
        let (zip, link) = write_archive(&previous, &entries).map_err(DomainError::Store)?;
        let name = archive_name(&first_at, &last_at, &link);
        let io = |e: std::io::Error| DomainError::Store(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = dir.join(format!(".{name}.tmp"));
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            f.write_all(&zip).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, dir.join(&name)).map_err(io)?;
        let n = records.len();
        self.p
            .stores
            .exchange
            .record_archive(&super::NewArchive {
                file_name: name.clone(),
                prev_digest: previous.digest.clone(),
                last_digest: ArchiveLink {
                    file_name: name.clone(),
                    ..link
                }
                .digest,
                records: records.iter().map(|(_, r)| r.id).collect(),
                bytes: i64::try_from(zip.len()).unwrap_or(i64::MAX),
                created_at: self.p.now(),
            })
            .await?;
        Ok(Some((name, n)))
    }

    /// Log a call with its signed request and response (both nodes log both, as X-Road does).
    pub async fn log_signed(
        &self,
        record: &MessageRecord,
        evidence: &[MessageEvidence],
    ) -> DomainResult<i64> {
        self.p
            .stores
            .exchange
            .log_signed_message(record, evidence, self.p.now())
            .await
    }

    /// The runtime decision, in X-Road's order (research notes §3.5): the service exists, the
    /// client holds an active grant covering the method and path (deny by default; expired or
    /// revoked grants, and grants whose sharing approval ended, do not count), the service is
    /// not disabled.
    pub async fn authorize(
        &self,
        client: &ClientId,
        service: &ServiceId,
        method: &str,
        path: &str,
        now: Timestamp,
    ) -> Result<CallDecision, RestFault> {
        let registered = self
            .p
            .stores
            .exchange
            .exchange_service_by_id(service)
            .await
            .map_err(internal)?
            .ok_or_else(|| {
                server_fault(
                    codes::UNKNOWN_SERVICE,
                    format!("Unknown service: {service}"),
                )
            })?;
        let grants = self
            .p
            .stores
            .exchange
            .grants_for_subject(registered.id, client)
            .await
            .map_err(internal)?;
        let grant = grants
            .iter()
            .find(|g| g.is_active(now) && g.covers(method, path))
            .ok_or_else(|| {
                server_fault(
                    codes::ACCESS_DENIED,
                    format!(
                        "Request is not allowed: {}",
                        rest::access_denied_text(client, service).en
                    ),
                )
            })?;
        if let Some(notice) = &registered.disabled_notice {
            return Err(server_fault(
                codes::SERVICE_DISABLED,
                format!("Service {service} is disabled: {notice}"),
            ));
        }
        let endpoint = registered
            .endpoints
            .iter()
            .find(|e| e.matches(method, path))
            .cloned()
            .or_else(|| grant.endpoint.clone());
        Ok(CallDecision {
            grant_id: grant.id,
            service: registered,
            endpoint,
        })
    }

    /// The subsystem a credential is for and the agency it stands for, authorised for
    /// `manage_exchange` there. A subsystem not yet registered needs `agency` (it is then
    /// added, mapped to that agency, with the credential).
    async fn manage_member(
        &self,
        caller: &Caller,
        client: &str,
        agency: Option<&AgencyCode>,
    ) -> DomainResult<(ClientId, AgencyCode, crate::authz::Authorization)> {
        self.require_manage(caller)?;
        let client = ClientId::parse_path(client.trim(), CharRule::Strict)
            .map_err(|e| DomainError::invalid("client", e.text()))?
            .id;
        if client.subsystem.is_none() {
            return Err(DomainError::invalid(
                "client",
                Text::new(
                    "憑證須綁定子系統（INSTANCE/CLASS/MEMBER/SUBSYSTEM）",
                    "a credential is bound to a subsystem (INSTANCE/CLASS/MEMBER/SUBSYSTEM)",
                ),
            ));
        }
        let member = self.p.stores.exchange.exchange_member(&client).await?;
        let agency = match (member, agency) {
            (Some(m), Some(a)) if &m.agency != a => {
                return Err(DomainError::conflict(
                    format!("{client} 已登記為 {} 的子系統", m.agency),
                    format!("{client} is already registered to the agency {}", m.agency),
                ));
            }
            (Some(m), _) => m.agency,
            (None, Some(a)) => a.clone(),
            (None, None) => {
                return Err(DomainError::invalid(
                    "agency",
                    Text::new(
                        format!("{client} 尚未登記：請指定它所屬的機關"),
                        format!("{client} is not registered yet: name the agency it belongs to"),
                    ),
                ));
            }
        };
        let auth = caller
            .principal
            .authorize(Permission::ManageExchange, &self.target(&agency).await?)?;
        Ok((client, agency, auth))
    }

    fn label(label: &str) -> DomainResult<String> {
        let label = label.trim().to_string();
        if label.is_empty() || label.chars().count() > 200 {
            return Err(DomainError::invalid(
                "label",
                Text::new(
                    "請說明持有者（例如哪個系統，1 至 200 字）",
                    "say who holds it (which system, 1–200 characters)",
                ),
            ));
        }
        Ok(label)
    }

    /// Issue a token for a registered subsystem (`manage_exchange` for its agency). The token
    /// is returned once; only its SHA-256 is stored.
    pub async fn issue_token(
        &self,
        caller: &Caller,
        input: &CredentialInput,
    ) -> DomainResult<IssuedToken> {
        let (client, agency, auth) = self
            .manage_member(caller, &input.client, input.agency.as_ref())
            .await?;
        let label = input.label.as_str();
        let label = Self::label(label)?;
        let token = format!("{TOKEN_PREFIX}{}", crate::random::secret_hex()?);
        let at = self.p.now();
        let new = ExchangeCredential {
            id: 0,
            client: client.clone(),
            agency,
            kind: CredentialKind::Token,
            fingerprint: crate::random::sha256_hex(token.as_bytes()),
            subject: None,
            not_after: None,
            label: label.clone(),
            issued_by: caller.principal.user_name.clone(),
            issued_at: at,
            revoked_at: None,
            revoked_by: None,
        };
        let event = caller.event(
            at,
            &auth,
            "exchange.credential.issue",
            "exchange_credential",
            &client.to_path(),
            json!({"kind": "token", "label": label}),
        );
        let credential = self
            .p
            .stores
            .exchange
            .create_exchange_credential(&new, &input.subsystem_name(), event)
            .await?;
        Ok(IssuedToken { credential, token })
    }

    /// Bind a client certificate (DER) to a registered subsystem (`manage_exchange` for its
    /// agency). The certificate must still be valid; its chain is checked by the TLS listener
    /// against the configured CA at every connection.
    pub async fn bind_certificate(
        &self,
        caller: &Caller,
        input: &CredentialInput,
        der: &[u8],
    ) -> DomainResult<ExchangeCredential> {
        let (client, agency, auth) = self
            .manage_member(caller, &input.client, input.agency.as_ref())
            .await?;
        let label = input.label.as_str();
        let label = Self::label(label)?;
        let cert = super::asic::x509::Certificate::from_der(der).map_err(|e| {
            DomainError::invalid(
                "certificate",
                Text::new(
                    format!("無法讀取憑證：{e}"),
                    format!("the certificate cannot be read: {e}"),
                ),
            )
        })?;
        let at = self.p.now();
        let not_after = Timestamp::from_offset(cert.not_after);
        if cert.is_ca || not_after <= at {
            return Err(DomainError::invalid(
                "certificate",
                Text::new(
                    "請提供仍有效的用戶端（非 CA）憑證",
                    "give a client (not CA) certificate that is still valid",
                ),
            ));
        }
        let subject = cert.subject_text();
        let fingerprint = crate::random::sha256_hex(der);
        let new = ExchangeCredential {
            id: 0,
            client: client.clone(),
            agency,
            kind: CredentialKind::Certificate,
            fingerprint: fingerprint.clone(),
            subject: Some(subject.clone()),
            not_after: Some(not_after),
            label: label.clone(),
            issued_by: caller.principal.user_name.clone(),
            issued_at: at,
            revoked_at: None,
            revoked_by: None,
        };
        let event = caller.event(
            at,
            &auth,
            "exchange.credential.issue",
            "exchange_credential",
            &client.to_path(),
            json!({"kind": "certificate", "label": label, "subject": subject,
                   "sha256": fingerprint, "not_after": not_after.to_rfc3339()}),
        );
        self.p
            .stores
            .exchange
            .create_exchange_credential(&new, &input.subsystem_name(), event)
            .await
    }

    /// Credentials of the subsystems of agencies the caller reads the exchange of.
    pub async fn credentials(&self, caller: &Caller) -> DomainResult<Vec<ExchangeCredential>> {
        let scope = self.readable(caller).await?;
        self.p
            .stores
            .exchange
            .exchange_credentials(scope.as_deref())
            .await
    }

    /// Revoke a credential at once (`manage_exchange` for its subsystem's agency).
    pub async fn revoke_credential(
        &self,
        caller: &Caller,
        id: i64,
    ) -> DomainResult<ExchangeCredential> {
        self.require_manage(caller)?;
        let credential = self
            .p
            .stores
            .exchange
            .exchange_credential(id)
            .await?
            .ok_or_else(|| DomainError::not_found("exchange credential", id.to_string()))?;
        let auth = caller.principal.authorize(
            Permission::ManageExchange,
            &self.target(&credential.agency).await?,
        )?;
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "exchange.credential.revoke",
            "exchange_credential",
            &id.to_string(),
            json!({
                "client": credential.client.to_path(),
                "kind": credential.kind.as_str(),
                "label": credential.label,
            }),
        );
        self.p
            .stores
            .exchange
            .revoke_exchange_credential(id, at, &caller.principal.user_name, event)
            .await
    }

    /// Information-system authentication, before anything else of a `/r1` call: the presented
    /// certificate or token must be bound, unrevoked and unexpired, to the subsystem the
    /// caller names in `X-Road-Client`. Every refusal is `Server.ClientProxy.SslAuthenticationFailed`.
    pub async fn authenticate(
        &self,
        presented: Option<&PresentedCredential>,
        claimed: &ClientId,
        now: Timestamp,
    ) -> Result<ExchangeCredential, RestFault> {
        let Some(presented) = presented else {
            return Err(auth_fault(format!(
                "Client ({}) did not authenticate: present its client certificate on the exchange TLS listener, or its token in the X-Civitas-Exchange-Token header",
                claimed.to_path()
            )));
        };
        let (kind, fingerprint) = match presented {
            PresentedCredential::Certificate(der) => {
                (CredentialKind::Certificate, crate::random::sha256_hex(der))
            }
            PresentedCredential::Token(t) => (
                CredentialKind::Token,
                crate::random::sha256_hex(t.trim().as_bytes()),
            ),
        };
        let found = self
            .p
            .stores
            .exchange
            .exchange_credentials_by_fingerprint(&fingerprint)
            .await
            .map_err(internal)?;
        let what = match kind {
            CredentialKind::Certificate => "TLS certificate",
            CredentialKind::Token => "token",
        };
        let mine: Vec<&ExchangeCredential> = found.iter().filter(|c| c.kind == kind).collect();
        if mine.is_empty() {
            return Err(auth_fault(format!(
                "Client ({}) {what} does not match any credential registered at this gateway",
                claimed.to_path()
            )));
        }
        let Some(active) = mine.iter().find(|c| c.revoked_at.is_none()) else {
            return Err(auth_fault(format!(
                "Client ({}) {what} has been revoked",
                claimed.to_path()
            )));
        };
        if &active.client != claimed {
            return Err(auth_fault(format!(
                "Client ({}) {what} is bound to another subsystem",
                claimed.to_path()
            )));
        }
        if active.not_after.is_some_and(|t| now > t) {
            return Err(auth_fault(format!(
                "Client ({}) {what} has expired",
                claimed.to_path()
            )));
        }
        Ok((*active).clone())
    }

    /// The agency offering a service, if it is registered (so that refused calls are logged
    /// where the provider's stewards read them).
    pub async fn service_agency(&self, service: &ServiceId) -> Option<AgencyCode> {
        self.p
            .stores
            .exchange
            .exchange_service_by_id(service)
            .await
            .ok()
            .flatten()
            .map(|s| s.agency)
    }

    /// `listClients`: every member and subsystem known to this node.
    pub async fn list_clients(&self) -> DomainResult<Vec<ExchangeMember>> {
        self.p.stores.exchange.exchange_members().await
    }

    /// `listMethods`: the REST services of a provider subsystem.
    pub async fn list_methods(&self, owner: &ClientId) -> DomainResult<Vec<RegisteredService>> {
        Ok(self
            .p
            .stores
            .exchange
            .exchange_services(None)
            .await?
            .into_iter()
            .filter(|s| &s.service.owner == owner)
            .collect())
    }

    /// `allowedMethods`: the services of a provider subsystem the client may call now, each
    /// with the endpoints its grants open (the service's own endpoints under a service-wide
    /// grant, `* **` for a service without described endpoints).
    pub async fn allowed_methods(
        &self,
        owner: &ClientId,
        client: &ClientId,
        now: Timestamp,
    ) -> DomainResult<Vec<(RegisteredService, Vec<Endpoint>)>> {
        let mut out = Vec::new();
        for service in self.list_methods(owner).await? {
            let grants = self
                .p
                .stores
                .exchange
                .grants_for_subject(service.id, client)
                .await?;
            let active: Vec<&AccessGrant> = grants.iter().filter(|g| g.is_active(now)).collect();
            if active.is_empty() {
                continue;
            }
            let mut endpoints: Vec<Endpoint> = Vec::new();
            for g in active {
                match &g.endpoint {
                    Some(e) => endpoints.push(e.clone()),
                    None if service.endpoints.is_empty() => {
                        endpoints.push(Endpoint::new("*", "**"))
                    }
                    None => endpoints.extend(service.endpoints.iter().cloned()),
                }
            }
            endpoints.sort();
            endpoints.dedup();
            out.push((service, endpoints));
        }
        Ok(out)
    }

    /// `getOpenAPI`: the description of one service of a provider subsystem, its
    /// `servers[].url` anonymised as X-Road's `Openapi3Anonymiser` does.
    pub async fn get_openapi(
        &self,
        owner: &ClientId,
        service_code: &str,
    ) -> Result<String, RestFault> {
        let service = ServiceId {
            owner: owner.clone(),
            service_code: service_code.to_string(),
            version: None,
        };
        let registered = self
            .p
            .stores
            .exchange
            .exchange_service_by_id(&service)
            .await
            .map_err(internal)?
            .ok_or_else(|| {
                server_fault(
                    codes::UNKNOWN_SERVICE,
                    format!("Unknown service: {service}"),
                )
            })?;
        let text = registered.openapi.ok_or_else(|| {
            server_fault(
                codes::INVALID_SERVICE_TYPE,
                format!("Service type is not OpenAPI3 description: {service}"),
            )
        })?;
        anonymise_openapi(&text).map_err(|_| {
            server_fault(
                codes::INTERNAL_ERROR,
                "the stored description cannot be read",
            )
        })
    }

    /// Append a call to the message log. A failure is logged, never shown to the caller.
    pub async fn log(&self, record: &MessageRecord) {
        if let Err(e) = self.p.stores.exchange.log_message(record).await {
            tracing::error!(error = %e, xroad_id = %record.xroad_id, "exchange message log write failed");
        }
    }

    /// Agencies by code, for naming members in metaservice answers.
    pub async fn agency_names(&self) -> DomainResult<HashMap<AgencyCode, String>> {
        Ok(self
            .p
            .stores
            .agencies
            .agencies()
            .await?
            .into_iter()
            .map(|a| (a.code.clone(), a.name_zh.clone()))
            .collect())
    }
}

fn check_base_url(url: &str) -> DomainResult<String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        let host = r.split('/').next().unwrap_or_default();
        !host.is_empty()
            && !host.contains('@')
            && !r.contains('?')
            && !r.contains('#')
            && !r.chars().any(|c| c.is_whitespace() || c.is_control())
    });
    if !ok || url.len() > 2000 {
        return Err(DomainError::invalid(
            "base_url",
            Text::new(
                "服務網址須為 http:// 或 https:// 開頭、不含帳密、查詢字串或片段的網址",
                "the base URL must be an http:// or https:// URL without credentials, query or fragment",
            ),
        ));
    }
    Ok(url.trim_end_matches('/').to_string())
}

fn check_grant_endpoint(service: &RegisteredService, e: Endpoint) -> DomainResult<Endpoint> {
    let e = Endpoint::new(e.method.trim().to_ascii_uppercase(), e.path.trim());
    if service.endpoints.is_empty() {
        let method_ok = e.method == "*" || rest::METHODS.contains(&e.method.as_str());
        let path_ok = e.path == "**" || e.path.starts_with('/');
        if method_ok && path_ok && e.path.len() <= 1000 {
            return Ok(e);
        }
        return Err(DomainError::invalid(
            "endpoint",
            Text::new(
                "端點須為 HTTP 方法（或 *）加上以 / 開頭的路徑樣式（或 **）",
                "an endpoint is an HTTP method (or *) and a path glob starting with / (or **)",
            ),
        ));
    }
    if service.endpoints.contains(&e) {
        Ok(e)
    } else {
        Err(DomainError::invalid(
            "endpoint",
            Text::new(
                format!("服務描述中沒有端點 {} {}", e.method, e.path),
                format!(
                    "the service description has no endpoint {} {}; grant one it lists, or the whole service",
                    e.method, e.path
                ),
            ),
        ))
    }
}

fn openapi_error(zh: &str, en: &str) -> DomainError {
    DomainError::invalid("openapi", Text::new(zh, en))
}

/// The endpoints of an OpenAPI 3.0.x or 3.1.x description (JSON): one per path and method,
/// each `{param}` turned into `*`. YAML is not read: civitas carries no YAML parser.
pub fn endpoints_from_openapi(text: &str) -> DomainResult<Vec<Endpoint>> {
    if text.len() > MAX_OPENAPI_BYTES {
        return Err(openapi_error(
            "OpenAPI 描述超過 10 MiB",
            "the OpenAPI description is larger than 10 MiB",
        ));
    }
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        DomainError::invalid(
            "openapi",
            Text::new(
                format!("OpenAPI 描述須為 JSON（不支援 YAML）：{e}"),
                format!("the OpenAPI description must be JSON (YAML is not read): {e}"),
            ),
        )
    })?;
    let version = doc
        .get("openapi")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    if !(version.starts_with("3.0.") || version.starts_with("3.1.")) {
        return Err(DomainError::invalid(
            "openapi",
            Text::new(
                format!("只接受 OpenAPI 3.0.x 或 3.1.x（此描述為「{version}」）"),
                format!("only OpenAPI 3.0.x and 3.1.x are accepted (this one says '{version}')"),
            ),
        ));
    }
    let paths = doc
        .get("paths")
        .and_then(|p| p.as_object())
        .ok_or_else(|| {
            openapi_error(
                "OpenAPI 描述沒有 paths",
                "the OpenAPI description has no paths",
            )
        })?;
    let mut out = Vec::new();
    for (path, item) in paths {
        if !path.starts_with('/') {
            return Err(DomainError::invalid(
                "openapi",
                Text::new(
                    format!("路徑「{path}」須以 / 開頭"),
                    format!("the path '{path}' must start with /"),
                ),
            ));
        }
        let Some(item) = item.as_object() else {
            continue;
        };
        for method in HTTP_METHODS {
            if item.contains_key(method) {
                out.push(Endpoint::from_openapi(method, path));
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Replace each `servers[].url` that has no `{variable}` by its path part.
pub fn anonymise_openapi(text: &str) -> Result<String, serde_json::Error> {
    let mut doc: serde_json::Value = serde_json::from_str(text)?;
    if let Some(servers) = doc.get_mut("servers").and_then(|s| s.as_array_mut()) {
        for server in servers {
            if let Some(url) = server.get_mut("url")
                && let Some(u) = url.as_str()
                && !u.contains('{')
            {
                *url = serde_json::Value::String(url_path(u));
            }
        }
    }
    serde_json::to_string_pretty(&doc)
}

fn url_path(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(i) => rest.get(i..).unwrap_or("/").to_string(),
            None => "/".to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_paths_become_endpoints_with_params_as_stars() {
        let doc = r#"{"openapi":"3.1.0","info":{"title":"t","version":"1"},
            "servers":[{"url":"https://internal.example/api"}],
            "paths":{"/items/{id}":{"get":{},"delete":{},"parameters":[]},"/items":{"post":{}}}}"#;
        let e = endpoints_from_openapi(doc).unwrap();
        assert_eq!(
            e,
            vec![
                Endpoint::new("DELETE", "/items/*"),
                Endpoint::new("GET", "/items/*"),
                Endpoint::new("POST", "/items"),
            ]
        );
        let anon = anonymise_openapi(doc).unwrap();
        assert!(anon.contains("\"url\": \"/api\""), "{anon}");
        assert!(!anon.contains("internal.example"));
    }

    #[test]
    fn swagger_2_and_yaml_are_refused() {
        assert!(endpoints_from_openapi(r#"{"swagger":"2.0","paths":{}}"#).is_err());
        assert!(endpoints_from_openapi("openapi: 3.0.0\npaths: {}\n").is_err());
    }

    #[test]
    fn base_urls_without_credentials_or_query_only() {
        assert_eq!(
            check_base_url("http://127.0.0.1:9/x/").unwrap(),
            "http://127.0.0.1:9/x"
        );
        assert!(check_base_url("ftp://a").is_err());
        assert!(check_base_url("http://u:p@a/").is_err());
        assert!(check_base_url("http://a/?q=1").is_err());
    }
}
