//! What people may do with sharing: ask, decide, hold grants, read data, count use.

use serde_json::json;
use time::Duration;

use super::model::{
    AccessLogEntry, AccessRequest, DataPage, Decision, KEY_PREFIX, NewAccessRequest, RequestStatus,
    SharingGrant, SharingKey, UploadOutcome, UsageRow,
};
use super::table::{CsvTable, parse_csv_table};
use crate::agencies::AgencyCode;
use crate::authz::{Authorization, Permission, Target};
use crate::catalog::{
    AccessLevel, Dataset, DatasetStatus, Distribution, DistributionKind, FieldDef,
};
use crate::error::{DomainError, DomainResult};
use crate::platform::{Caller, Platform};
use crate::ports::{NewGrant, RecordedDecision, RequestFilter};
use crate::text::Text;
use crate::time::Timestamp;

/// The longest a grant may run without a new request.
pub const MAX_GRANT_DAYS: u32 = 3 * 366;
/// The most rows one data API page returns.
pub const MAX_PAGE_ROWS: u64 = 1000;

pub struct SharingService<'a> {
    p: &'a Platform,
}

/// How a reader came to see a dataset's rows.
enum Access {
    /// Open data, city-shared data, or the providing agency's own staff: all fields.
    Whole,
    Grant(Box<SharingGrant>),
}

impl<'a> SharingService<'a> {
    pub fn new(p: &'a Platform) -> Self {
        SharingService { p }
    }

    async fn target(&self, agency: &AgencyCode) -> DomainResult<Target> {
        self.p.agencies().target(Some(agency)).await
    }

    async fn dataset(&self, id: i64) -> DomainResult<Dataset> {
        self.p
            .stores
            .catalog
            .dataset(id)
            .await?
            .ok_or_else(|| DomainError::not_found("dataset", id.to_string()))
    }

    /// Whether the caller may see a request or grant between these two agencies.
    async fn may_see(
        &self,
        caller: &Caller,
        requesting: &AgencyCode,
        providing: &AgencyCode,
    ) -> DomainResult<bool> {
        for agency in [requesting, providing] {
            if caller
                .principal
                .can(Permission::ReadCatalog, &self.target(agency).await?)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A requesting agency asks for a dataset.
    pub async fn request(
        &self,
        caller: &Caller,
        mut req: NewAccessRequest,
    ) -> DomainResult<AccessRequest> {
        let auth = caller.principal.authorize(
            Permission::RequestData,
            &self.target(&req.requesting_agency).await?,
        )?;
        let dataset = self.dataset(req.dataset_id).await?;
        if dataset.status != DatasetStatus::Active {
            return Err(DomainError::conflict(
                "此資料集已下架，無法申請",
                "this dataset has been withdrawn and cannot be requested",
            ));
        }
        let provider = dataset.record.agency.clone();
        if provider == req.requesting_agency {
            return Err(DomainError::conflict(
                "這是貴機關自己的資料集，不需要申請",
                "this is your own agency's dataset; no request is needed",
            ));
        }
        match dataset.record.access_level {
            AccessLevel::Open => {
                return Err(DomainError::conflict(
                    "這是開放資料，任何人都可以直接下載，不需要申請",
                    "this is open data: anyone can download it without a request",
                ));
            }
            AccessLevel::City => {
                return Err(DomainError::conflict(
                    "此資料集已在市府內部共享，各機關可直接取用，不需要申請",
                    "this dataset is shared within the city: every agency may read it without a request",
                ));
            }
            AccessLevel::Restricted | AccessLevel::PersonalData => {}
        }
        req.purpose = req.purpose.trim().to_string();
        if req.purpose.chars().count() < 4 || req.purpose.chars().count() > 2000 {
            return Err(DomainError::invalid(
                "purpose",
                Text::new(
                    "請說明申請目的（4 至 2000 字），例如要用在哪項業務",
                    "say why the data is needed (4–2000 characters), e.g. for which service",
                ),
            ));
        }
        req.legal_basis = req
            .legal_basis
            .map(|b| b.trim().to_string())
            .filter(|b| !b.is_empty());
        if dataset.record.access_level == AccessLevel::PersonalData && req.legal_basis.is_none() {
            return Err(DomainError::invalid(
                "legal_basis",
                Text::new(
                    "此資料集含個人資料，請填寫法律依據（例如個人資料保護法第 16 條及業務所依據的法規條文）",
                    "this dataset contains personal data: give the legal basis (e.g. Personal Data Protection Act art. 16 and the law your task rests on)",
                ),
            ));
        }
        if req.days == 0 || req.days > MAX_GRANT_DAYS {
            return Err(DomainError::invalid(
                "days",
                Text::new(
                    format!("使用期間請填 1 至 {MAX_GRANT_DAYS} 天"),
                    format!("ask for 1 to {MAX_GRANT_DAYS} days of access"),
                ),
            ));
        }
        req.fields = check_fields(&dataset.record.fields, &req.fields, "fields")?;
        for (name, value) in [
            ("period_from", &req.period_from),
            ("period_to", &req.period_to),
        ] {
            if let Some(v) = value
                && crate::time::parse_iso_date(v).is_none()
            {
                return Err(DomainError::invalid(
                    name,
                    Text::new(
                        format!("日期「{v}」格式應為 YYYY-MM-DD"),
                        format!("the date '{v}' must be YYYY-MM-DD"),
                    ),
                ));
            }
        }
        if let (Some(a), Some(b)) = (&req.period_from, &req.period_to)
            && a > b
        {
            return Err(DomainError::invalid(
                "period_to",
                Text::new(
                    "資料期間的結束日早於開始日",
                    "the period ends before it starts",
                ),
            ));
        }
        let open = self
            .p
            .stores
            .sharing
            .requests(&RequestFilter {
                requesting_agencies: Some(vec![req.requesting_agency.clone()]),
                dataset_id: Some(dataset.id),
                open_only: true,
                ..RequestFilter::default()
            })
            .await?;
        if let Some(existing) = open.first() {
            return Err(DomainError::conflict(
                format!(
                    "貴機關對此資料集已有一件審核中的申請（第 {} 號），請等候結果",
                    existing.id
                ),
                format!(
                    "your agency already has a request for this dataset waiting for a decision (no. {})",
                    existing.id
                ),
            ));
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "sharing.request",
            "dataset",
            &dataset.record.identifier,
            json!({
                "requesting_agency": req.requesting_agency,
                "providing_agency": provider,
                "purpose": req.purpose,
                "legal_basis": req.legal_basis,
                "fields": req.fields,
                "days": req.days,
            }),
        );
        self.p
            .stores
            .sharing
            .create_request(
                &req,
                &caller.principal.user_name,
                &provider,
                &dataset.record.title_zh,
                at,
                event,
            )
            .await
    }

    pub async fn get_request(&self, caller: &Caller, id: i64) -> DomainResult<AccessRequest> {
        require_somewhere(caller, Permission::ReadCatalog)?;
        let r = self
            .p
            .stores
            .sharing
            .request(id)
            .await?
            .ok_or_else(|| DomainError::not_found("request", id.to_string()))?;
        if self
            .may_see(caller, &r.request.requesting_agency, &r.providing_agency)
            .await?
        {
            Ok(r)
        } else {
            // Another agency's request does not exist for this caller.
            Err(DomainError::not_found("request", id.to_string()))
        }
    }

    /// Requests the caller may see, newest first.
    pub async fn requests(
        &self,
        caller: &Caller,
        filter: &RequestFilter,
    ) -> DomainResult<Vec<AccessRequest>> {
        if !caller.principal.can_somewhere(Permission::ReadCatalog) {
            return Err(DomainError::Forbidden {
                needed: Permission::ReadCatalog.as_str().into(),
            });
        }
        let all = self.p.stores.sharing.requests(filter).await?;
        let mut seen = Vec::new();
        for r in all {
            if self
                .may_see(caller, &r.request.requesting_agency, &r.providing_agency)
                .await?
            {
                seen.push(r);
            }
        }
        Ok(seen)
    }

    /// Requests waiting for this caller's decision (the steward's worklist).
    pub async fn waiting_for(&self, caller: &Caller) -> DomainResult<Vec<AccessRequest>> {
        let open = self
            .p
            .stores
            .sharing
            .requests(&RequestFilter {
                open_only: true,
                ..RequestFilter::default()
            })
            .await?;
        let mut mine = Vec::new();
        for r in open {
            let may_decide = caller.principal.can(
                Permission::ManageCatalog,
                &self.target(&r.providing_agency).await?,
            );
            let second = r.status == RequestStatus::AwaitingSecondApproval
                && r.first_approver.as_deref() == Some(caller.principal.user_name.as_str());
            if may_decide && !second && r.requester != caller.principal.user_name {
                mine.push(r);
            }
        }
        Ok(mine)
    }

    /// The providing agency's steward decides. For personal data an approval needs two
    /// different approvers; the requester never approves their own request.
    pub async fn decide(
        &self,
        caller: &Caller,
        id: i64,
        decision: Decision,
    ) -> DomainResult<(AccessRequest, Option<SharingGrant>)> {
        require_somewhere(caller, Permission::ManageCatalog)?;
        let current = self.get_request(caller, id).await?;
        let auth = caller.principal.authorize(
            Permission::ManageCatalog,
            &self.target(&current.providing_agency).await?,
        )?;
        if !current.status.is_open() {
            return Err(DomainError::conflict(
                format!("此申請已經{}，無法再審核", current.status.label().zh),
                format!(
                    "this request is already {}; it cannot be decided again",
                    current.status.label().en
                ),
            ));
        }
        let me = caller.principal.user_name.clone();
        if current.requester == me {
            return Err(DomainError::conflict(
                "不能審核自己提出的申請，請由提供機關的另一位資料管理人審核",
                "you cannot decide your own request; another steward of the providing agency must",
            ));
        }
        if current.first_approver.as_deref() == Some(me.as_str()) {
            return Err(DomainError::conflict(
                "含個人資料的申請需由另一位管理人第二次核准，您已核准過第一次",
                "a request for personal data needs a second, different approver; you gave the first approval",
            ));
        }
        let dataset = self.dataset(current.request.dataset_id).await?;
        let personal = dataset.record.access_level == AccessLevel::PersonalData;
        let at = self.p.now();
        // What has been granted so far: all asked fields, or what the first approver kept.
        let asked = if current.status == RequestStatus::AwaitingSecondApproval {
            current.granted_fields.clone()
        } else {
            current.request.fields.clone()
        };
        let (recorded, summary) = match decision {
            Decision::Refuse { reason } => {
                let reason = required_reason(&reason)?;
                (
                    RecordedDecision {
                        status: RequestStatus::Refused,
                        first_approver: current.first_approver.clone(),
                        decided_by: Some(me.clone()),
                        reason: Some(reason.clone()),
                        granted_fields: Vec::new(),
                        grant: None,
                    },
                    json!({ "decision": "refuse", "reason": reason }),
                )
            }
            d @ (Decision::Approve { .. } | Decision::ApproveInPart { .. }) => {
                let (fields, days, reason, part) = match d {
                    Decision::ApproveInPart {
                        fields,
                        days,
                        reason,
                    } => {
                        let reason = required_reason(&reason)?;
                        let fields = check_fields(&dataset.record.fields, &fields, "fields")?;
                        if fields.is_empty() {
                            return Err(DomainError::invalid(
                                "fields",
                                Text::new(
                                    "部分核准時請勾選同意提供的欄位",
                                    "when approving in part, choose the fields to provide",
                                ),
                            ));
                        }
                        if !asked.is_empty() && fields.iter().any(|f| !asked.contains(f)) {
                            return Err(DomainError::invalid(
                                "fields",
                                Text::new(
                                    "只能核准申請中所列（或第一次核准時保留）的欄位",
                                    "only fields that were asked for (or kept by the first approval) can be granted",
                                ),
                            ));
                        }
                        (fields, days, Some(reason), true)
                    }
                    Decision::Approve { days } => (asked.clone(), days, None, false),
                    Decision::Refuse { .. } => unreachable!(),
                };
                let days = days.unwrap_or(current.request.days);
                if days == 0 || days > current.request.days {
                    return Err(DomainError::invalid(
                        "days",
                        Text::new(
                            format!(
                                "核准期間請填 1 至 {} 天（不超過申請的期間）",
                                current.request.days
                            ),
                            format!(
                                "grant 1 to {} days (no more than was asked for)",
                                current.request.days
                            ),
                        ),
                    ));
                }
                let partly = part || current.status == RequestStatus::PartlyApproved;
                let first_pass = personal && current.status == RequestStatus::Pending;
                let status = if first_pass {
                    RequestStatus::AwaitingSecondApproval
                } else if partly
                    || (current.reason.is_some()
                        && current.status == RequestStatus::AwaitingSecondApproval
                        && current.granted_fields != current.request.fields)
                {
                    RequestStatus::PartlyApproved
                } else {
                    RequestStatus::Approved
                };
                let grant = (!first_pass).then(|| NewGrant {
                    fields: fields.clone(),
                    valid_from: at,
                    valid_until: at.add(Duration::days(i64::from(days))),
                    approved_by: current.first_approver.clone().unwrap_or_else(|| me.clone()),
                    second_approved_by: current.first_approver.as_ref().map(|_| me.clone()),
                });
                (
                    RecordedDecision {
                        status,
                        first_approver: if first_pass {
                            Some(me.clone())
                        } else {
                            current.first_approver.clone()
                        },
                        decided_by: (!first_pass).then(|| me.clone()),
                        reason: reason.or(current.reason.clone()),
                        granted_fields: fields.clone(),
                        grant,
                    },
                    json!({
                        "decision": if part { "approve_in_part" } else { "approve" },
                        "status": status.code(),
                        "fields": fields,
                        "days": days,
                    }),
                )
            }
        };
        let event = caller.event(
            at,
            &auth,
            "sharing.decide",
            "request",
            &id.to_string(),
            summary,
        );
        self.p.stores.sharing.decide(id, &recorded, at, event).await
    }

    /// The requester (or a steward of the requesting agency) takes a waiting request back.
    pub async fn withdraw(&self, caller: &Caller, id: i64) -> DomainResult<AccessRequest> {
        require_somewhere(caller, Permission::RequestData)?;
        let current = self.get_request(caller, id).await?;
        let auth = caller.principal.authorize(
            Permission::RequestData,
            &self.target(&current.request.requesting_agency).await?,
        )?;
        if !current.status.is_open() {
            return Err(DomainError::conflict(
                "只有審核中的申請可以撤回",
                "only a request waiting for a decision can be withdrawn",
            ));
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "sharing.withdraw",
            "request",
            &id.to_string(),
            json!({}),
        );
        let decision = RecordedDecision {
            status: RequestStatus::Withdrawn,
            first_approver: current.first_approver.clone(),
            decided_by: Some(caller.principal.user_name.clone()),
            reason: None,
            granted_fields: Vec::new(),
            grant: None,
        };
        Ok(self
            .p
            .stores
            .sharing
            .decide(id, &decision, at, event)
            .await?
            .0)
    }

    /// Grants the caller may see (given or received by agencies in their scope).
    pub async fn grants(&self, caller: &Caller) -> DomainResult<Vec<SharingGrant>> {
        if !caller.principal.can_somewhere(Permission::ReadCatalog) {
            return Err(DomainError::Forbidden {
                needed: Permission::ReadCatalog.as_str().into(),
            });
        }
        let all = self.p.stores.sharing.grants(None, None).await?;
        let mut seen = Vec::new();
        for g in all {
            if self
                .may_see(caller, &g.grantee_agency, &g.providing_agency)
                .await?
            {
                seen.push(g);
            }
        }
        Ok(seen)
    }

    pub async fn get_grant(&self, caller: &Caller, id: i64) -> DomainResult<SharingGrant> {
        require_somewhere(caller, Permission::ReadCatalog)?;
        let g = self
            .p
            .stores
            .sharing
            .grant(id)
            .await?
            .ok_or_else(|| DomainError::not_found("grant", id.to_string()))?;
        if self
            .may_see(caller, &g.grantee_agency, &g.providing_agency)
            .await?
        {
            Ok(g)
        } else {
            Err(DomainError::not_found("grant", id.to_string()))
        }
    }

    /// The providing agency ends a grant early.
    pub async fn revoke_grant(
        &self,
        caller: &Caller,
        id: i64,
        reason: &str,
    ) -> DomainResult<SharingGrant> {
        require_somewhere(caller, Permission::ManageCatalog)?;
        let g = self.get_grant(caller, id).await?;
        let auth = caller.principal.authorize(
            Permission::ManageCatalog,
            &self.target(&g.providing_agency).await?,
        )?;
        let reason = required_reason(reason)?;
        if g.revoked_at.is_some() {
            return Err(DomainError::conflict(
                "此授權已經終止",
                "this grant is already revoked",
            ));
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "sharing.revoke",
            "grant",
            &id.to_string(),
            json!({ "reason": reason, "dataset": g.dataset_id, "grantee": g.grantee_agency }),
        );
        self.p.stores.sharing.revoke_grant(id, at, event).await?;
        self.get_grant(caller, id).await
    }

    /// A key for a program of the grantee agency to read this grant's data.
    pub async fn issue_key(
        &self,
        caller: &Caller,
        grant_id: i64,
        label: &str,
    ) -> DomainResult<(String, SharingKey)> {
        require_somewhere(caller, Permission::ReadSharedData)?;
        let g = self.get_grant(caller, grant_id).await?;
        let auth = caller.principal.authorize(
            Permission::ReadSharedData,
            &self.target(&g.grantee_agency).await?,
        )?;
        let user_id = caller.principal.user_id.ok_or_else(|| {
            DomainError::invalid(
                "user",
                Text::new(
                    "金鑰必須屬於一位使用者，請登入後建立",
                    "a key must belong to a user; sign in to create one",
                ),
            )
        })?;
        let now = self.p.now();
        if !g.is_active(now) {
            return Err(DomainError::conflict(
                "此授權已到期或已終止，無法再建立金鑰",
                "this grant has expired or was revoked; no new keys can be made for it",
            ));
        }
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 80 || label.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "label",
                Text::new(
                    "請為金鑰取 1 至 80 字的名稱，例如使用它的系統",
                    "give the key a name of 1–80 characters, e.g. the system that uses it",
                ),
            ));
        }
        let secret = format!("{KEY_PREFIX}{}", hex::encode(crate::random::bytes::<24>()?));
        let key = SharingKey {
            id: 0,
            grant_id,
            user_id,
            user_name: caller.principal.user_name.clone(),
            label: label.to_string(),
            prefix: secret.chars().take(KEY_PREFIX.len() + 8).collect(),
            created_at: now,
            expires_at: g.valid_until,
            last_used_at: None,
            revoked_at: None,
        };
        let event = caller.event(
            now,
            &auth,
            "sharing.key.create",
            "grant",
            &grant_id.to_string(),
            json!({ "label": label, "prefix": key.prefix, "expires_at": key.expires_at }),
        );
        let hash = crate::accounts::hash_secret(&secret);
        let key = self.p.stores.sharing.create_key(&key, &hash, event).await?;
        Ok((secret, key))
    }

    pub async fn keys(&self, caller: &Caller, grant_id: i64) -> DomainResult<Vec<SharingKey>> {
        self.get_grant(caller, grant_id).await?;
        self.p.stores.sharing.keys_for_grant(grant_id).await
    }

    pub async fn revoke_key(
        &self,
        caller: &Caller,
        grant_id: i64,
        key_id: i64,
    ) -> DomainResult<()> {
        require_somewhere(caller, Permission::ReadSharedData)?;
        let g = self.get_grant(caller, grant_id).await?;
        let key = self
            .p
            .stores
            .sharing
            .keys_for_grant(grant_id)
            .await?
            .into_iter()
            .find(|k| k.id == key_id)
            .ok_or_else(|| DomainError::not_found("key", key_id.to_string()))?;
        // The key's owner, or a steward of either agency.
        let auth = if caller.principal.user_id == Some(key.user_id) {
            Authorization {
                acting_agency: caller.principal.home_agency.clone(),
            }
        } else {
            match caller.principal.authorize(
                Permission::ManageCatalog,
                &self.target(&g.providing_agency).await?,
            ) {
                Ok(a) => a,
                Err(_) => caller.principal.authorize(
                    Permission::ManageCatalog,
                    &self.target(&g.grantee_agency).await?,
                )?,
            }
        };
        if key.revoked_at.is_some() {
            return Err(DomainError::conflict(
                "此金鑰已經撤銷",
                "this key is already revoked",
            ));
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "sharing.key.revoke",
            "grant",
            &grant_id.to_string(),
            json!({ "prefix": key.prefix }),
        );
        self.p.stores.sharing.revoke_key(key_id, at, event).await
    }

    /// The caller behind a grant key, limited to that key's grant.
    pub async fn resolve_key(&self, secret: &str) -> DomainResult<(SharingKey, Caller)> {
        let unknown = || {
            DomainError::InvalidToken(Text::new(
                "無法辨識的資料金鑰；請向貴機關的資料管理人索取新的金鑰",
                "unknown data key; ask your agency's data steward for a new one",
            ))
        };
        if !secret.starts_with(KEY_PREFIX) {
            return Err(unknown());
        }
        let key = self
            .p
            .stores
            .sharing
            .key_by_hash(&crate::accounts::hash_secret(secret))
            .await?
            .ok_or_else(unknown)?;
        let now = self.p.now();
        if !key.is_usable(now) {
            return Err(DomainError::InvalidToken(Text::new(
                "此資料金鑰已撤銷或已到期",
                "this data key was revoked or has expired",
            )));
        }
        let user = self
            .p
            .stores
            .accounts
            .user_by_id(key.user_id)
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| {
                DomainError::InvalidToken(Text::new(
                    "金鑰擁有者的帳號已停用",
                    "the key's owner is disabled",
                ))
            })?;
        let principal = self.p.accounts().principal_for(&user).await?;
        if key
            .last_used_at
            .is_none_or(|t| now.as_millis() - t.as_millis() > 60_000)
        {
            self.p.stores.sharing.touch_key(key.id, now).await?;
        }
        Ok((key, Caller::new(principal, None)))
    }

    /// How `caller` (or an anonymous reader) may read `dataset`, if at all.
    async fn access(
        &self,
        caller: Option<&Caller>,
        dataset: &Dataset,
        only_grant: Option<i64>,
    ) -> DomainResult<Access> {
        let now = self.p.now();
        if only_grant.is_none() && dataset.record.access_level == AccessLevel::Open {
            return Ok(Access::Whole);
        }
        let Some(caller) = caller else {
            return Err(DomainError::Unauthenticated);
        };
        if only_grant.is_none() {
            let own = caller.principal.can(
                Permission::ReadSharedData,
                &self.target(&dataset.record.agency).await?,
            );
            let city = dataset.record.access_level == AccessLevel::City
                && caller.principal.can_somewhere(Permission::ReadSharedData);
            if own || city {
                return Ok(Access::Whole);
            }
        }
        for g in self.p.stores.sharing.grants_for_dataset(dataset.id).await? {
            if !g.is_active(now) || only_grant.is_some_and(|id| id != g.id) {
                continue;
            }
            if caller.principal.can(
                Permission::ReadSharedData,
                &self.target(&g.grantee_agency).await?,
            ) {
                return Ok(Access::Grant(Box::new(g)));
            }
        }
        Err(DomainError::NoGrant(Text::new(
            "貴機關沒有此資料集的有效授權；請在資料集頁面提出資料共享申請",
            "your agency holds no active grant for this dataset; file a sharing request on the dataset's page",
        )))
    }

    /// Whether the reader may read the dataset's data: `None` when not, `Some(None)` for
    /// whole access (open, city-shared, own agency), `Some(Some(grant))` under a grant.
    pub async fn may_read(
        &self,
        caller: Option<&Caller>,
        dataset_id: i64,
    ) -> DomainResult<Option<Option<i64>>> {
        let dataset = self.dataset(dataset_id).await?;
        match self.access(caller, &dataset, None).await {
            Ok(Access::Whole) => Ok(Some(None)),
            Ok(Access::Grant(g)) => Ok(Some(Some(g.id))),
            Err(DomainError::NoGrant(_) | DomainError::Unauthenticated) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The file currently uploaded for a dataset: (distribution, bytes).
    async fn current_file(&self, dataset: &Dataset) -> DomainResult<(Distribution, Vec<u8>)> {
        let dist = dataset
            .record
            .distributions
            .iter()
            .rev()
            .find(|d| d.kind == DistributionKind::Upload && d.checksum_sha256.is_some())
            .cloned()
            .ok_or_else(|| {
                DomainError::conflict(
                    "此資料集尚未上傳檔案，資料需從其原始網址取得",
                    "no file has been uploaded for this dataset; its data is at its original address",
                )
            })?;
        let sha = dist.checksum_sha256.clone().unwrap_or_default();
        let bytes = self
            .p
            .stores
            .blobs
            .blob(&sha)
            .await?
            .ok_or_else(|| DomainError::store(format!("blob {sha} is missing")))?;
        Ok((dist, bytes))
    }

    fn log_entry(
        &self,
        caller: Option<&Caller>,
        dataset_id: i64,
        kind: &str,
        rows: u64,
        grant_id: Option<i64>,
        grantee: Option<&AgencyCode>,
    ) -> AccessLogEntry {
        AccessLogEntry {
            at: self.p.now(),
            user_name: caller
                .map(|c| c.principal.user_name.clone())
                .unwrap_or_else(|| "anonymous".into()),
            agency: grantee
                .cloned()
                .or_else(|| caller.and_then(|c| c.principal.home_agency.clone()))
                .map(|a| a.to_string()),
            dataset_id,
            kind: kind.to_string(),
            rows,
            grant_id,
        }
    }

    /// Rows of a dataset's uploaded CSV, `limit` from `offset`, with only the granted fields.
    /// `only_grant` restricts a grant key to its own grant. Every read is logged.
    pub async fn read_rows(
        &self,
        caller: Option<&Caller>,
        dataset_id: i64,
        offset: u64,
        limit: u64,
        only_grant: Option<i64>,
    ) -> DomainResult<DataPage> {
        let (table, access, sha, dataset) = self.table(caller, dataset_id, only_grant).await?;
        let limit = limit.clamp(1, MAX_PAGE_ROWS);
        let total = table.rows.len() as u64;
        let rows: Vec<Vec<String>> = table
            .rows
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        let (grant_id, grantee) = match &access {
            Access::Whole => (None, None),
            Access::Grant(g) => (Some(g.id), Some(&g.grantee_agency)),
        };
        let entry = self.log_entry(
            caller,
            dataset.id,
            "api",
            rows.len() as u64,
            grant_id,
            grantee,
        );
        self.p.stores.sharing.log_access(&entry).await?;
        Ok(DataPage {
            dataset_id: dataset.id,
            columns: table.columns,
            rows,
            total,
            offset,
            limit,
            grant_id,
            source_sha256: sha,
        })
    }

    async fn table(
        &self,
        caller: Option<&Caller>,
        dataset_id: i64,
        only_grant: Option<i64>,
    ) -> DomainResult<(CsvTable, Access, String, Dataset)> {
        let dataset = self.dataset(dataset_id).await?;
        let access = self.access(caller, &dataset, only_grant).await?;
        let (dist, bytes) = self.current_file(&dataset).await?;
        if !is_csv(&dist) {
            return Err(DomainError::conflict(
                "此資料集的檔案不是 CSV，請改用下載",
                "this dataset's file is not CSV; download it instead",
            ));
        }
        let table = parse_csv_table(&bytes)?;
        let table = match &access {
            Access::Whole => table,
            Access::Grant(g) => table.project(&g.fields),
        };
        Ok((
            table,
            access,
            dist.checksum_sha256.unwrap_or_default(),
            dataset,
        ))
    }

    /// The dataset's file: as uploaded for whole access; a CSV of the granted fields only
    /// under a grant that limits fields. Returns (file name, media type, bytes).
    pub async fn download(
        &self,
        caller: Option<&Caller>,
        dataset_id: i64,
        only_grant: Option<i64>,
    ) -> DomainResult<(String, String, Vec<u8>)> {
        let dataset = self.dataset(dataset_id).await?;
        let access = self.access(caller, &dataset, only_grant).await?;
        let (dist, bytes) = self.current_file(&dataset).await?;
        let name = dist
            .title
            .clone()
            .unwrap_or_else(|| format!("dataset-{dataset_id}"));
        let media = dist
            .media_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into());
        let (bytes, rows, grant_id, grantee) = match &access {
            Access::Grant(g) if !g.fields.is_empty() => {
                if !is_csv(&dist) {
                    return Err(DomainError::conflict(
                        "授權只涵蓋部分欄位，但檔案不是 CSV，無法只提供這些欄位；請洽提供機關",
                        "the grant covers only some fields but the file is not CSV, so it cannot be cut down; ask the providing agency",
                    ));
                }
                let table = parse_csv_table(&bytes)?.project(&g.fields);
                let rows = table.rows.len() as u64;
                (table.to_csv()?, rows, Some(g.id), Some(&g.grantee_agency))
            }
            other => {
                let rows = if is_csv(&dist) {
                    parse_csv_table(&bytes)
                        .map(|t| t.rows.len() as u64)
                        .unwrap_or(0)
                } else {
                    0
                };
                match other {
                    Access::Grant(g) => (bytes, rows, Some(g.id), Some(&g.grantee_agency)),
                    Access::Whole => (bytes, rows, None, None),
                }
            }
        };
        let entry = self.log_entry(caller, dataset.id, "download", rows, grant_id, grantee);
        self.p.stores.sharing.log_access(&entry).await?;
        Ok((name, media, bytes))
    }

    /// Count a view of a dataset's page.
    pub async fn record_view(&self, caller: Option<&Caller>, dataset_id: i64) -> DomainResult<()> {
        let entry = self.log_entry(caller, dataset_id, "view", 0, None, None);
        self.p.stores.sharing.log_access(&entry).await
    }

    /// A steward uploads the dataset's file: stored by content, described as an upload
    /// distribution, and — when the content is new — counted as a real data update.
    pub async fn upload(
        &self,
        caller: &Caller,
        dataset_id: i64,
        file_name: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> DomainResult<UploadOutcome> {
        let dataset = self.dataset(dataset_id).await?;
        let auth = caller.principal.authorize(
            Permission::ManageCatalog,
            &self.target(&dataset.record.agency).await?,
        )?;
        if bytes.is_empty() {
            return Err(DomainError::invalid(
                "file",
                Text::new("檔案是空的", "the file is empty"),
            ));
        }
        let file_name = sanitise_file_name(file_name);
        let format = file_name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_uppercase())
            .filter(|e| !e.is_empty() && e.len() <= 8);
        let csv = format.as_deref() == Some("CSV") || media_type.starts_with("text/csv");
        let table = if csv {
            Some(parse_csv_table(bytes)?)
        } else {
            None
        };
        let sha = crate::random::sha256_hex(bytes);
        let unchanged = dataset.record.distributions.iter().any(|d| {
            d.kind == DistributionKind::Upload && d.checksum_sha256.as_deref() == Some(&sha)
        });
        let rows = table.as_ref().map(|t| t.rows.len() as u64);
        if unchanged {
            return Ok(UploadOutcome {
                sha256: sha,
                byte_size: bytes.len() as u64,
                changed: false,
                rows,
            });
        }
        let at = self.p.now();
        let stored = self.p.stores.blobs.put_blob(bytes, media_type, at).await?;
        debug_assert_eq!(stored, sha);
        let mut record = dataset.record.clone();
        record
            .distributions
            .retain(|d| d.kind != DistributionKind::Upload);
        record.distributions.push(Distribution {
            title: Some(file_name.clone()),
            kind: DistributionKind::Upload,
            format: format.clone(),
            encoding: csv.then(|| {
                crate::import::decode_text(bytes)
                    .map(|(_, e)| e.to_string())
                    .unwrap_or_default()
            }),
            access_url: None,
            download_url: Some(format!("/api/v1/datasets/{dataset_id}/file")),
            media_type: Some(if csv {
                "text/csv".to_string()
            } else {
                media_type.to_string()
            }),
            byte_size: Some(bytes.len() as u64),
            checksum_sha256: Some(sha.clone()),
            modified: Some(at),
        });
        if let (Some(t), true) = (&table, record.fields.is_empty()) {
            record.fields = t
                .columns
                .iter()
                .map(|c| FieldDef {
                    name: c.clone(),
                    label: None,
                    data_type: None,
                    description: None,
                })
                .collect();
        }
        if let Some(n) = rows {
            record.record_count = Some(n);
        }
        let fresh =
            crate::catalog::snapshot(self.p, &record.frequency, Some(at), dataset.reviewed_at, at);
        let event = caller.event(
            at,
            &auth,
            "dataset.upload",
            "dataset",
            &record.identifier,
            json!({ "file": file_name, "sha256": sha, "bytes": bytes.len(), "rows": rows, "state": fresh.state }),
        );
        self.p
            .stores
            .catalog
            .record_upload(
                dataset_id,
                &record,
                at,
                &fresh,
                &caller.principal.user_name,
                event,
            )
            .await?;
        Ok(UploadOutcome {
            sha256: sha,
            byte_size: bytes.len() as u64,
            changed: true,
            rows,
        })
    }

    /// Use per dataset since `from`, for datasets the caller may see described.
    pub async fn usage(&self, caller: &Caller, from: Timestamp) -> DomainResult<Vec<UsageRow>> {
        if !caller.principal.can_somewhere(Permission::ReadCatalog) {
            return Err(DomainError::Forbidden {
                needed: Permission::ReadCatalog.as_str().into(),
            });
        }
        self.p.stores.sharing.usage(from, None).await
    }

    /// Uses per day since `from`, for one agency's datasets or all.
    pub async fn usage_by_day(
        &self,
        caller: &Caller,
        from: Timestamp,
        agency: Option<&AgencyCode>,
    ) -> DomainResult<Vec<(String, u64, u64, u64)>> {
        require_somewhere(caller, Permission::ReadCatalog)?;
        self.p.stores.sharing.usage_by_day(from, agency).await
    }

    pub async fn dataset_usage(
        &self,
        caller: &Caller,
        dataset_id: i64,
        from: Timestamp,
    ) -> DomainResult<UsageRow> {
        self.p.catalog().get(caller, dataset_id).await?;
        Ok(self
            .p
            .stores
            .sharing
            .usage(from, Some(&[dataset_id]))
            .await?
            .into_iter()
            .next()
            .unwrap_or(UsageRow {
                dataset_id,
                ..UsageRow::default()
            }))
    }

    /// The latest accesses to a dataset: for the providing agency's stewards and auditors.
    pub async fn access_log(
        &self,
        caller: &Caller,
        dataset_id: i64,
        limit: u32,
    ) -> DomainResult<Vec<AccessLogEntry>> {
        let dataset = self.dataset(dataset_id).await?;
        let target = self.target(&dataset.record.agency).await?;
        if !(caller.principal.can(Permission::ManageCatalog, &target)
            || caller.principal.can(Permission::ReadAudit, &target))
        {
            return Err(DomainError::Forbidden {
                needed: Permission::ManageCatalog.as_str().into(),
            });
        }
        self.p
            .stores
            .sharing
            .access_log(dataset_id, limit.clamp(1, 1000))
            .await
    }
}

/// Refuse early, before looking anything up, when no grant carries the permission at all.
fn require_somewhere(caller: &Caller, permission: Permission) -> DomainResult<()> {
    if caller.principal.can_somewhere(permission) {
        Ok(())
    } else {
        Err(DomainError::Forbidden {
            needed: permission.as_str().into(),
        })
    }
}

fn is_csv(d: &Distribution) -> bool {
    d.format.as_deref() == Some("CSV") || d.media_type.as_deref() == Some("text/csv")
}

fn required_reason(reason: &str) -> DomainResult<String> {
    let reason = reason.trim();
    if reason.chars().count() < 2 || reason.chars().count() > 2000 {
        return Err(DomainError::invalid(
            "reason",
            Text::new(
                "請寫明理由，讓申請機關知道原因（2 至 2000 字）",
                "give the reason so the requesting agency knows why (2–2000 characters)",
            ),
        ));
    }
    Ok(reason.to_string())
}

/// Field names, trimmed and de-duplicated; each must be one of the dataset's fields when the
/// dataset lists its fields.
fn check_fields(known: &[FieldDef], asked: &[String], field: &str) -> DomainResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for f in asked.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        if !known.is_empty() && !known.iter().any(|k| k.name == f) {
            return Err(DomainError::invalid(
                field,
                Text::new(
                    format!(
                        "此資料集沒有「{f}」欄位；可申請的欄位：{}",
                        known
                            .iter()
                            .map(|k| k.name.as_str())
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                    format!(
                        "the dataset has no field '{f}'; its fields are: {}",
                        known
                            .iter()
                            .map(|k| k.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            ));
        }
        if !out.iter().any(|o| o == f) {
            out.push(f.to_string());
        }
    }
    Ok(out)
}

/// The last path component, without control characters or quotes, at most 120 characters.
fn sanitise_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\''))
        .take(120)
        .collect();
    if clean.trim().is_empty() {
        "data".into()
    } else {
        clean.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_their_path_and_quotes() {
        assert_eq!(sanitise_file_name("C:\\tmp\\停車場.csv"), "停車場.csv");
        assert_eq!(sanitise_file_name("../../etc/\"passwd\""), "passwd");
        assert_eq!(sanitise_file_name("   "), "data");
    }

    #[test]
    fn asked_fields_must_exist_when_the_dataset_lists_them() {
        let known = vec![FieldDef {
            name: "車位數".into(),
            label: None,
            data_type: None,
            description: None,
        }];
        assert!(check_fields(&known, &["身分證字號".into()], "fields").is_err());
        assert_eq!(
            check_fields(&known, &[" 車位數".into(), "車位數".into()], "fields").unwrap(),
            vec!["車位數"]
        );
        assert_eq!(
            check_fields(&[], &["任何".into()], "fields").unwrap(),
            vec!["任何"]
        );
    }
}
