//! What people may do with agencies, with authorisation and audit.

use super::import::{AgencyImportFormat, parse_agency_file, plan_agency_import};
use super::model::{Agency, AgencyCode, AgencyInput, AgencyKind, AgencyRecord, diff_records};
use super::tree::AgencyTree;
use crate::authz::{AgencyLineage, Permission, Target};
use crate::error::{DomainError, DomainResult};
use crate::import::ImportReport;
use crate::platform::{Caller, Platform};
use crate::text::Text;

pub struct AgencyService<'a> {
    p: &'a Platform,
}

impl<'a> AgencyService<'a> {
    pub fn new(p: &'a Platform) -> Self {
        AgencyService { p }
    }

    fn require_read(&self, caller: &Caller) -> DomainResult<()> {
        // The organisation tree is common knowledge inside the city: any grant that can read
        // agencies, whatever its scope, may read all of it.
        if caller.principal.can_somewhere(Permission::ReadAgencies) {
            Ok(())
        } else {
            Err(DomainError::Forbidden {
                needed: Permission::ReadAgencies.as_str().into(),
            })
        }
    }

    pub async fn list(&self, caller: &Caller) -> DomainResult<Vec<Agency>> {
        self.require_read(caller)?;
        self.p.stores.agencies.agencies().await
    }

    pub async fn get(&self, caller: &Caller, code: &AgencyCode) -> DomainResult<Agency> {
        self.require_read(caller)?;
        self.p
            .stores
            .agencies
            .agency(code)
            .await?
            .ok_or_else(|| DomainError::not_found("agency", code.as_str()))
    }

    /// The lineage of an agency, for authorisation of actions on things it owns.
    pub async fn lineage(&self, code: &AgencyCode) -> DomainResult<AgencyLineage> {
        let all = self.p.stores.agencies.agencies().await?;
        Ok(AgencyTree::new(&all).lineage(code))
    }

    pub async fn target(&self, code: Option<&AgencyCode>) -> DomainResult<Target> {
        Ok(match code {
            Some(code) => Target::Agency(self.lineage(code).await?),
            None => Target::City,
        })
    }

    pub async fn create(&self, caller: &Caller, input: AgencyInput) -> DomainResult<Agency> {
        let input = input.normalised()?;
        let all = self.p.stores.agencies.agencies().await?;
        let tree = AgencyTree::new(&all);
        if tree.get(&input.code).is_some() {
            return Err(DomainError::AlreadyExists {
                what: "agency",
                key: input.code.to_string(),
            });
        }
        let target = match &input.parent {
            Some(parent) => {
                let parent_agency = tree.get(parent).ok_or_else(|| {
                    DomainError::invalid(
                        "parent",
                        Text::new(
                            format!("找不到代碼為 {parent} 的機關"),
                            format!("no agency has the code {parent}"),
                        ),
                    )
                })?;
                if !parent_agency.active {
                    return Err(DomainError::invalid(
                        "parent",
                        Text::new(format!("{parent} 已裁撤"), format!("{parent} is retired")),
                    ));
                }
                Target::Agency(tree.lineage(parent))
            }
            None => {
                if all.iter().any(|a| a.kind == AgencyKind::CityGovernment) {
                    return Err(DomainError::invalid(
                        "parent",
                        Text::new(
                            "市政府已存在，請選擇上級機關",
                            "the city government already exists; choose a parent",
                        ),
                    ));
                }
                Target::City
            }
        };
        let auth = caller
            .principal
            .authorize(Permission::ManageAgencies, &target)?;
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "agency.create",
            "agency",
            input.code.as_str(),
            serde_json::to_value(&input).unwrap_or_default(),
        );
        self.p
            .stores
            .agencies
            .create_agency(&input, at, event)
            .await
    }

    /// Change an agency's names, kind or parent.
    pub async fn update(
        &self,
        caller: &Caller,
        code: &AgencyCode,
        input: AgencyInput,
    ) -> DomainResult<Agency> {
        if &input.code != code {
            return Err(DomainError::invalid(
                "code",
                Text::new(
                    "機關代碼不可變更；如需新代碼請新增機關",
                    "an agency's code never changes; create a new agency instead",
                ),
            ));
        }
        let input = input.normalised()?;
        let all = self.p.stores.agencies.agencies().await?;
        let tree = AgencyTree::new(&all);
        let current = tree
            .get(code)
            .ok_or_else(|| DomainError::not_found("agency", code.as_str()))?;
        caller.principal.authorize(
            Permission::ManageAgencies,
            &Target::Agency(tree.lineage(code)),
        )?;
        let auth = match &input.parent {
            Some(parent) => {
                if tree.get(parent).is_none() {
                    return Err(DomainError::invalid(
                        "parent",
                        Text::new(
                            format!("找不到代碼為 {parent} 的機關"),
                            format!("no agency has the code {parent}"),
                        ),
                    ));
                }
                if tree.is_descendant_or_self(parent, code) {
                    return Err(DomainError::invalid(
                        "parent",
                        Text::new(
                            "機關不能移到自己或自己的下級機關之下",
                            "an agency cannot move under itself or one of its own sub-agencies",
                        ),
                    ));
                }
                caller.principal.authorize(
                    Permission::ManageAgencies,
                    &Target::Agency(tree.lineage(parent)),
                )?
            }
            None => caller
                .principal
                .authorize(Permission::ManageAgencies, &Target::City)?,
        };
        let before = current.record();
        let after = AgencyRecord {
            input,
            ..before.clone()
        };
        if before == after {
            return Ok(current.clone());
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "agency.update",
            "agency",
            code.as_str(),
            diff_records(&before, &after),
        );
        self.p
            .stores
            .agencies
            .update_agency(&after, at, event)
            .await
    }

    /// Retire an agency (it stays in the record, marked retired), naming its successor when
    /// its work moved elsewhere — e.g. 資訊科技局 into 智慧城鄉發展委員會 on 民國113年1月1日.
    pub async fn retire(
        &self,
        caller: &Caller,
        code: &AgencyCode,
        successor: Option<AgencyCode>,
    ) -> DomainResult<Agency> {
        let all = self.p.stores.agencies.agencies().await?;
        let tree = AgencyTree::new(&all);
        let current = tree
            .get(code)
            .ok_or_else(|| DomainError::not_found("agency", code.as_str()))?;
        let auth = caller.principal.authorize(
            Permission::ManageAgencies,
            &Target::Agency(tree.lineage(code)),
        )?;
        if !current.active {
            return Err(DomainError::conflict(
                format!("{code} 已經裁撤"),
                format!("{code} is already retired"),
            ));
        }
        if current.kind == AgencyKind::CityGovernment {
            return Err(DomainError::conflict(
                "市政府不能裁撤",
                "the city government cannot be retired",
            ));
        }
        let active_children: Vec<&str> = tree
            .children_of(Some(code))
            .iter()
            .filter(|a| a.active)
            .map(|a| a.code.as_str())
            .collect();
        if !active_children.is_empty() {
            let list = active_children.join(", ");
            return Err(DomainError::conflict(
                format!("請先裁撤或移轉其下仍在運作的機關：{list}"),
                format!("retire or move its active sub-agencies first: {list}"),
            ));
        }
        if let Some(s) = &successor {
            match tree.get(s) {
                None => {
                    return Err(DomainError::invalid(
                        "successor",
                        Text::new(
                            format!("找不到代碼為 {s} 的機關"),
                            format!("no agency has the code {s}"),
                        ),
                    ));
                }
                Some(a) if !a.active => {
                    return Err(DomainError::invalid(
                        "successor",
                        Text::new(format!("{s} 本身已裁撤"), format!("{s} is itself retired")),
                    ));
                }
                Some(_) if s == code => {
                    return Err(DomainError::invalid(
                        "successor",
                        Text::new("機關不能由自己承接", "an agency cannot succeed itself"),
                    ));
                }
                Some(_) => {}
            }
        }
        let at = self.p.now();
        let before = current.record();
        let after = AgencyRecord {
            active: false,
            retired_at: Some(at),
            successor,
            ..before.clone()
        };
        let event = caller.event(
            at,
            &auth,
            "agency.retire",
            "agency",
            code.as_str(),
            diff_records(&before, &after),
        );
        self.p
            .stores
            .agencies
            .update_agency(&after, at, event)
            .await
    }

    pub async fn reactivate(&self, caller: &Caller, code: &AgencyCode) -> DomainResult<Agency> {
        let all = self.p.stores.agencies.agencies().await?;
        let tree = AgencyTree::new(&all);
        let current = tree
            .get(code)
            .ok_or_else(|| DomainError::not_found("agency", code.as_str()))?;
        let auth = caller.principal.authorize(
            Permission::ManageAgencies,
            &Target::Agency(tree.lineage(code)),
        )?;
        if current.active {
            return Err(DomainError::conflict(
                format!("{code} 仍在運作中"),
                format!("{code} is already active"),
            ));
        }
        if let Some(parent) = current.parent.as_ref().and_then(|p| tree.get(p))
            && !parent.active
        {
            return Err(DomainError::conflict(
                format!("請先恢復其上級機關 {}", parent.code),
                format!("reactivate its parent {} first", parent.code),
            ));
        }
        let at = self.p.now();
        let before = current.record();
        let after = AgencyRecord {
            active: true,
            retired_at: None,
            successor: None,
            ..before.clone()
        };
        let event = caller.event(
            at,
            &auth,
            "agency.reactivate",
            "agency",
            code.as_str(),
            diff_records(&before, &after),
        );
        self.p
            .stores
            .agencies
            .update_agency(&after, at, event)
            .await
    }

    /// Import agencies from a file. Idempotent: a second run changes nothing and says so.
    pub async fn import(
        &self,
        caller: &Caller,
        bytes: &[u8],
        format: AgencyImportFormat,
        source: &str,
    ) -> DomainResult<(i64, ImportReport)> {
        let auth = caller
            .principal
            .authorize(Permission::ManageAgencies, &Target::City)?;
        let started_at = self.p.now();
        let existing = self.p.stores.agencies.agencies().await?;
        let root = existing
            .iter()
            .find(|a| a.kind == AgencyKind::CityGovernment)
            .map(|a| a.code.clone());
        let report = ImportReport::new("agencies", format.as_str(), source);
        let parsed = match parse_agency_file(bytes, format, root.as_ref()) {
            Ok(parsed) => parsed,
            Err(why) => {
                // The file as a whole is unreadable: record that, so nothing is lost silently.
                let report = report.unreadable(why);
                let at = self.p.now();
                let event = caller.event(
                    at,
                    &auth,
                    "agency.import",
                    "import",
                    source,
                    report.summary(),
                );
                let id = self
                    .p
                    .stores
                    .imports
                    .save_import_run(&report, started_at, at, &caller.principal.user_name, event)
                    .await?;
                return Ok((id, report));
            }
        };
        let mut report = report;
        report.encoding = crate::import::decode_text(bytes)
            .ok()
            .map(|(_, e)| e.to_string());
        let plan = plan_agency_import(&existing, parsed, report);
        let at = self.p.now();
        let mut events = Vec::new();
        for input in &plan.creates {
            events.push(caller.event(
                at,
                &auth,
                "agency.create",
                "agency",
                input.code.as_str(),
                serde_json::to_value(input).unwrap_or_default(),
            ));
        }
        for (before, input) in &plan.updates {
            let after = AgencyRecord {
                input: input.clone(),
                ..before.record()
            };
            events.push(caller.event(
                at,
                &auth,
                "agency.update",
                "agency",
                input.code.as_str(),
                diff_records(&before.record(), &after),
            ));
        }
        events.push(caller.event(
            at,
            &auth,
            "agency.import",
            "import",
            source,
            plan.report.summary(),
        ));
        let id = self
            .p
            .stores
            .agencies
            .apply_agency_import(&plan, started_at, at, &caller.principal.user_name, events)
            .await?;
        Ok((id, plan.report))
    }
}
