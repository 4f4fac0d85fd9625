//! The API's request and response shapes: a stable contract, separate from domain types.

use civitas_core::accounts::{ApiToken, RoleGrant, User};
use civitas_core::agencies::Agency;
use civitas_core::audit::AuditEntry;
use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::import::{ImportReport, ImportRun};
use civitas_core::page::Page;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

impl<T: ToSchema> Paged<T> {
    pub fn from<U>(page: Page<U>, f: impl FnMut(U) -> T) -> Self {
        let page = page.map(f);
        Paged {
            items: page.items,
            page: page.page,
            per_page: page.per_page,
            total: page.total,
        }
    }
}

/// Distinguishes an absent field (leave unchanged) from `null` (clear it).
pub fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyDto {
    /// Stable code, e.g. 380120000J.
    pub code: String,
    pub name_zh: String,
    pub name_en: Option<String>,
    pub short_name_zh: Option<String>,
    pub parent: Option<String>,
    /// city_government, bureau, subordinate, district or enterprise.
    pub kind: String,
    pub active: bool,
    pub retired_at: Option<String>,
    pub successor: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Agency> for AgencyDto {
    fn from(a: Agency) -> Self {
        AgencyDto {
            code: a.code.to_string(),
            name_zh: a.name_zh,
            name_en: a.name_en,
            short_name_zh: a.short_name_zh,
            parent: a.parent.map(|c| c.to_string()),
            kind: a.kind.as_str().to_string(),
            active: a.active,
            retired_at: a.retired_at.map(|t| t.to_rfc3339()),
            successor: a.successor.map(|c| c.to_string()),
            created_at: a.created_at.to_rfc3339(),
            updated_at: a.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantDto {
    /// platform_admin, data_steward, soc_analyst, incident_handler, security_officer, auditor or viewer.
    pub role: String,
    /// The agency the role applies to (and everything under it); absent or null: city-wide.
    #[serde(default)]
    pub agency: Option<String>,
}

impl From<&Grant> for GrantDto {
    fn from(g: &Grant) -> Self {
        GrantDto {
            role: g.role.as_str().to_string(),
            agency: g.scope.agency().map(|c| c.to_string()),
        }
    }
}

impl GrantDto {
    pub fn parse(&self) -> Result<Grant, civitas_core::DomainError> {
        use civitas_core::text::Text;
        let role = Role::parse(&self.role).ok_or_else(|| {
            civitas_core::DomainError::invalid(
                "role",
                Text::new(
                    format!("不認得的角色「{}」", self.role),
                    format!("unknown role '{}'", self.role),
                ),
            )
        })?;
        let scope = match self
            .agency
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Scope::City,
            Some(code) => Scope::Agency(civitas_core::agencies::AgencyCode::parse(code)?),
        };
        Ok(Grant { role, scope })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleGrantDto {
    pub id: i64,
    pub role: String,
    pub agency: Option<String>,
    pub granted_at: String,
    pub granted_by: String,
}

impl From<&RoleGrant> for RoleGrantDto {
    fn from(g: &RoleGrant) -> Self {
        RoleGrantDto {
            id: g.id,
            role: g.grant.role.as_str().to_string(),
            agency: g.grant.scope.agency().map(|c| c.to_string()),
            granted_at: g.granted_at.to_rfc3339(),
            granted_by: g.granted_by.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub name: String,
    pub display_name: String,
    pub email: Option<String>,
    pub home_agency: Option<String>,
    pub active: bool,
    /// zh-TW or en.
    pub language: String,
    /// roc or iso.
    pub date_style: String,
    pub failed_logins: u32,
    pub locked_until: Option<String>,
    pub last_login_at: Option<String>,
    pub password_changed_at: String,
    pub created_at: String,
    pub grants: Vec<RoleGrantDto>,
}

impl UserDto {
    pub fn new(u: User, grants: &[RoleGrant]) -> Self {
        UserDto {
            name: u.name.to_string(),
            display_name: u.display_name,
            email: u.email,
            home_agency: u.home_agency.map(|c| c.to_string()),
            active: u.active,
            language: u.language.as_str().to_string(),
            date_style: u.date_style.as_str().to_string(),
            failed_logins: u.failed_logins,
            locked_until: u.locked_until.map(|t| t.to_rfc3339()),
            last_login_at: u.last_login_at.map(|t| t.to_rfc3339()),
            password_changed_at: u.password_changed_at.to_rfc3339(),
            created_at: u.created_at.to_rfc3339(),
            grants: grants.iter().map(RoleGrantDto::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: i64,
    pub owner: String,
    pub label: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
    pub grants: Vec<GrantDto>,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        TokenDto {
            id: t.id,
            owner: t.user_name,
            label: t.label,
            prefix: t.prefix,
            grants: t.grants.iter().map(GrantDto::from).collect(),
            created_at: t.created_at.to_rfc3339(),
            expires_at: t.expires_at.to_rfc3339(),
            last_used_at: t.last_used_at.map(|x| x.to_rfc3339()),
            revoked_at: t.revoked_at.map(|x| x.to_rfc3339()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub seq: i64,
    pub at: String,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub acting_agency: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub source_ip: Option<String>,
    /// success, failure or denied.
    pub outcome: String,
    /// What changed, as canonical JSON text.
    pub summary: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditEntry> for AuditEntryDto {
    fn from(e: AuditEntry) -> Self {
        AuditEntryDto {
            seq: e.seq,
            at: e.at.to_rfc3339(),
            actor_user_id: e.actor_user_id,
            actor_name: e.actor_name,
            acting_agency: e.acting_agency,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            source_ip: e.source_ip,
            outcome: e.outcome.as_str().to_string(),
            summary: e.summary,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedDto {
    pub line: u64,
    pub reason: String,
    pub reason_zh: String,
    pub raw: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRunDto {
    pub id: i64,
    pub kind: String,
    pub format: String,
    pub source: String,
    pub actor: String,
    pub started_at: String,
    pub finished_at: String,
    /// received = created + updated + unchanged + duplicates + rejected.
    pub received: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Records of the source missing from a complete listing, marked withdrawn (not deleted).
    pub withdrawn: u64,
    /// The text encoding the file was read as (UTF-8, or Big5 converted).
    pub encoding: Option<String>,
    /// Present when one run is read on its own.
    pub rejected_records: Option<Vec<RejectedDto>>,
}

pub fn rejected_dtos(report: &ImportReport) -> Vec<RejectedDto> {
    report
        .rejected
        .iter()
        .map(|r| RejectedDto {
            line: r.line,
            reason: r.reason.en.clone(),
            reason_zh: r.reason.zh.clone(),
            raw: r.raw.clone(),
        })
        .collect()
}

impl ImportRunDto {
    pub fn new(run: ImportRun, with_records: bool) -> Self {
        ImportRunDto {
            rejected_records: with_records.then(|| rejected_dtos(&run.report)),
            id: run.id,
            kind: run.report.kind,
            format: run.report.format,
            source: run.report.source,
            actor: run.actor_name,
            started_at: run.started_at.to_rfc3339(),
            finished_at: run.finished_at.to_rfc3339(),
            received: run.report.received,
            created: run.report.created,
            updated: run.report.updated,
            unchanged: run.report.unchanged,
            duplicates: run.report.duplicates,
            rejected: run.rejected_total,
            withdrawn: run.report.withdrawn,
            encoding: run.report.encoding,
        }
    }
}
