//! Reading, exporting and verifying the audit trail.

use serde_json::json;

use super::chain::{Verification, Verifier};
use super::model::{AuditEntry, AuditFilter};
use crate::authz::{Permission, Target};
use crate::error::DomainResult;
use crate::page::{Page, PageRequest};
use crate::platform::{Caller, Platform};
use crate::ports::DailyCounts;

/// Entries are walked in pages of this size when verifying or exporting.
const BATCH: u32 = 2_000;

pub const CSV_HEADER: &[&str] = &[
    "seq",
    "at",
    "actor_user_id",
    "actor_name",
    "acting_agency",
    "action",
    "object_type",
    "object_id",
    "source_ip",
    "outcome",
    "summary",
    "prev_hash",
    "hash",
];

pub struct AuditService<'a> {
    p: &'a Platform,
}

impl<'a> AuditService<'a> {
    pub fn new(p: &'a Platform) -> Self {
        AuditService { p }
    }

    pub async fn query(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> DomainResult<Page<AuditEntry>> {
        caller
            .principal
            .authorize(Permission::ReadAudit, &Target::City)?;
        self.p.stores.audit.query(filter, page).await
    }

    /// Check the whole chain from the first entry to the recorded head.
    pub async fn verify(&self) -> DomainResult<Verification> {
        let mut verifier = Verifier::new();
        let mut after = 0;
        'pages: loop {
            let batch = self.p.stores.audit.entries_after(after, BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            for entry in &batch {
                if !verifier.feed(entry) {
                    break 'pages;
                }
            }
        }
        let head = self.p.stores.audit.head().await?;
        Ok(verifier.finish(head))
    }

    /// Verification on behalf of someone allowed to read the trail.
    pub async fn verify_for(&self, caller: &Caller) -> DomainResult<Verification> {
        caller
            .principal
            .authorize(Permission::ReadAudit, &Target::City)?;
        self.verify().await
    }

    /// Write matching entries as CSV (UTF-8 with BOM so that Excel shows Chinese correctly).
    /// The export itself is recorded.
    pub async fn export_csv<W: std::io::Write + Send>(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
        out: W,
    ) -> DomainResult<u64> {
        let auth = caller
            .principal
            .authorize(Permission::ReadAudit, &Target::City)?;
        let mut out = out;
        out.write_all(b"\xEF\xBB\xBF")
            .map_err(crate::error::DomainError::store)?;
        let mut writer = csv::Writer::from_writer(out);
        writer
            .write_record(CSV_HEADER)
            .map_err(crate::error::DomainError::store)?;
        let mut written = 0u64;
        let mut page = 1;
        loop {
            let batch = self
                .p
                .stores
                .audit
                .query(
                    filter,
                    PageRequest {
                        page,
                        per_page: crate::page::MAX_PER_PAGE,
                    },
                )
                .await?;
            for e in &batch.items {
                writer
                    .write_record([
                        e.seq.to_string(),
                        e.at.to_rfc3339(),
                        e.actor_user_id.map(|i| i.to_string()).unwrap_or_default(),
                        e.actor_name.clone(),
                        e.acting_agency.clone().unwrap_or_default(),
                        e.action.clone(),
                        e.object_type.clone(),
                        e.object_id.clone(),
                        e.source_ip.clone().unwrap_or_default(),
                        e.outcome.as_str().to_string(),
                        e.summary.clone(),
                        e.prev_hash.clone(),
                        e.hash.clone(),
                    ])
                    .map_err(crate::error::DomainError::store)?;
                written += 1;
            }
            if u64::from(page) >= batch.pages() {
                break;
            }
            page += 1;
        }
        writer.flush().map_err(crate::error::DomainError::store)?;
        let at = self.p.now();
        self.p
            .stores
            .audit
            .append(caller.event(
                at,
                &auth,
                "audit.export",
                "audit",
                "csv",
                json!({ "entries": written, "filter": filter }),
            ))
            .await?;
        Ok(written)
    }

    /// Sign-ins and changes per day over the last `days` days, for the dashboard chart.
    pub async fn daily_activity(
        &self,
        caller: &Caller,
        days: i64,
        action_prefix: Option<&str>,
    ) -> DomainResult<DailyCounts> {
        caller
            .principal
            .authorize(Permission::ReadDashboard, &Target::City)
            .or_else(|_| {
                if caller.principal.can_somewhere(Permission::ReadDashboard) {
                    Ok(crate::authz::Authorization {
                        acting_agency: None,
                    })
                } else {
                    Err(crate::error::DomainError::Forbidden {
                        needed: Permission::ReadDashboard.as_str().into(),
                    })
                }
            })?;
        let from = self.p.now().sub(time::Duration::days(days));
        self.p.stores.audit.daily_counts(from, action_prefix).await
    }
}
