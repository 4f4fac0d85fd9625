//! Who may do what with the inventory. Stewards write their own agency's demand; everyone who
//! reads the catalogue reads all demand. Administrators keep the platform register; auditors
//! and stewards read it and the benefit report.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use super::model::{
    BenefitRow, DataPlatform, Demand, DemandFilter, DemandInput, DemandMatch, DemandStatus,
    MatrixCell, PlatformCost, PlatformInput, PlatformStatus, SourceMapping, Suggestion,
    UnusedDataset,
};
use super::rules;
use crate::agencies::AgencyCode;
use crate::authz::{Permission, Target};
use crate::catalog::{DatasetStatus, SearchQuery};
use crate::error::{DomainError, DomainResult};
use crate::page::PageRequest;
use crate::platform::{Caller, Platform};
use crate::text::Text;
use crate::time::Timestamp;

/// Costs above this are a typing error, not a budget (NT$ 1 trillion).
const MAX_AMOUNT: i64 = 1_000_000_000_000;
/// ROC years civitas accepts: 民國80年 (1991) to 民國200年.
const YEARS: std::ops::RangeInclusive<i32> = 80..=200;

pub struct InventoryService<'a> {
    p: &'a Platform,
}

/// The city-wide view: every demand, the matrix, and which demands are gaps.
#[derive(Debug, Clone)]
pub struct Overview {
    pub demands: Vec<Demand>,
    pub cells: Vec<MatrixCell>,
    pub gap_ids: HashSet<i64>,
    /// Suggestions per open, unmatched demand.
    pub suggested: HashMap<i64, usize>,
}

/// Everything the benefit page shows.
#[derive(Debug, Clone)]
pub struct BenefitReport {
    pub platforms: Vec<DataPlatform>,
    pub costs: Vec<PlatformCost>,
    pub rows: Vec<BenefitRow>,
    pub sources: Vec<SourceMapping>,
    pub unused: Vec<UnusedDataset>,
    /// The sum of every cost entered.
    pub total_cost: i64,
    pub unused_months: i64,
}

fn forbidden(permission: Permission) -> DomainError {
    DomainError::Forbidden {
        needed: permission.as_str().into(),
    }
}

fn require_somewhere(caller: &Caller, permission: Permission) -> DomainResult<()> {
    if caller.principal.can_somewhere(permission) {
        Ok(())
    } else {
        Err(forbidden(permission))
    }
}

fn text_field(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    zh: &str,
    en: &str,
) -> DomainResult<String> {
    let v = value.trim().to_string();
    let n = v.chars().count();
    if n < min || n > max {
        return Err(DomainError::invalid(
            field,
            Text::new(
                format!("{zh}（{min} 至 {max} 字）"),
                format!("{en} ({min}–{max} characters)"),
            ),
        ));
    }
    Ok(v)
}

fn optional(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn check_year(field: &str, year: i32) -> DomainResult<i32> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(DomainError::invalid(
            field,
            Text::new(
                format!(
                    "請以民國年填寫，例如 113（可填 {} 至 {}）",
                    YEARS.start(),
                    YEARS.end()
                ),
                format!(
                    "give the ROC year, e.g. 113 for 2024 ({} to {})",
                    YEARS.start(),
                    YEARS.end()
                ),
            ),
        ))
    }
}

impl<'a> InventoryService<'a> {
    pub fn new(p: &'a Platform) -> Self {
        InventoryService { p }
    }

    async fn target(&self, agency: &AgencyCode) -> DomainResult<Target> {
        self.p.agencies().target(Some(agency)).await
    }

    async fn check_agency(&self, field: &str, code: &AgencyCode) -> DomainResult<()> {
        match self.p.stores.agencies.agency(code).await? {
            Some(a) if a.active => Ok(()),
            Some(_) => Err(DomainError::invalid(
                field,
                Text::new(
                    format!("機關 {code} 已裁撤，請改填承接的機關"),
                    format!("agency {code} has been retired; name its successor"),
                ),
            )),
            None => Err(DomainError::invalid(
                field,
                Text::new(
                    format!("找不到機關代碼 {code}"),
                    format!("there is no agency with the code {code}"),
                ),
            )),
        }
    }

    async fn clean(&self, mut input: DemandInput) -> DomainResult<DemandInput> {
        input.title = text_field(
            "title",
            &input.title,
            2,
            200,
            "請寫下需要什麼資料",
            "say what data is needed",
        )?;
        input.description = input.description.trim().to_string();
        if input.description.chars().count() > 4000 {
            return Err(DomainError::invalid(
                "description",
                Text::new(
                    "說明請在 4000 字以內",
                    "keep the description under 4000 characters",
                ),
            ));
        }
        input.purpose = text_field(
            "purpose",
            &input.purpose,
            4,
            2000,
            "請說明用途，例如要用在哪項業務",
            "say what the data is for, e.g. which service",
        )?;
        input.legal_basis = optional(input.legal_basis);
        input.search_words = input.search_words.trim().to_string();
        let mut fields: Vec<String> = Vec::new();
        for f in input
            .fields
            .iter()
            .map(|f| f.trim())
            .filter(|f| !f.is_empty())
        {
            if !fields.iter().any(|x| x == f) {
                fields.push(f.to_string());
            }
        }
        if fields.len() > 100 {
            return Err(DomainError::invalid(
                "fields",
                Text::new("欄位最多 100 個", "list at most 100 fields"),
            ));
        }
        input.fields = fields;
        self.check_agency("needing_agency", &input.needing_agency)
            .await?;
        if let Some(holder) = &input.likely_holder {
            if *holder == input.needing_agency {
                return Err(DomainError::invalid(
                    "likely_holder",
                    Text::new(
                        "需求是向其他機關要的資料；自己機關的資料不必登錄為需求",
                        "demand is for other agencies' data; your own agency's data needs no demand",
                    ),
                ));
            }
            self.check_agency("likely_holder", holder).await?;
        }
        Ok(input)
    }

    /// Every demand, for whoever reads the catalogue.
    pub async fn demands(
        &self,
        caller: &Caller,
        filter: &DemandFilter,
    ) -> DomainResult<Vec<Demand>> {
        require_somewhere(caller, Permission::ReadCatalog)?;
        self.p.stores.inventory.demands(filter).await
    }

    pub async fn demand(&self, caller: &Caller, id: i64) -> DomainResult<Demand> {
        require_somewhere(caller, Permission::ReadCatalog)?;
        self.p
            .stores
            .inventory
            .demand(id)
            .await?
            .ok_or_else(|| DomainError::not_found("demand", id.to_string()))
    }

    /// Whether the caller may write this agency's demand (to show or hide buttons).
    pub async fn may_edit(&self, caller: &Caller, agency: &AgencyCode) -> bool {
        match self.target(agency).await {
            Ok(t) => caller.principal.can(Permission::ManageCatalog, &t),
            Err(_) => false,
        }
    }

    /// A steward records data their agency needs.
    pub async fn create_demand(&self, caller: &Caller, input: DemandInput) -> DomainResult<Demand> {
        require_somewhere(caller, Permission::ManageCatalog)?;
        let auth = caller.principal.authorize(
            Permission::ManageCatalog,
            &self.target(&input.needing_agency).await?,
        )?;
        let input = self.clean(input).await?;
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "inventory.demand_create",
            "demand",
            "new",
            json!({
                "needing_agency": input.needing_agency,
                "title": input.title,
                "urgency": input.urgency.code(),
                "likely_holder": input.likely_holder,
            }),
        );
        self.p
            .stores
            .inventory
            .create_demand(&input, &caller.principal.user_name, at, event)
            .await
    }

    /// A demand the caller may edit (refused before anything is looked up when they may
    /// edit no agency's demand).
    pub async fn editable(&self, caller: &Caller, id: i64) -> DomainResult<Demand> {
        Ok(self.writable(caller, id).await?.0)
    }

    /// Load a demand and check the caller writes for its agency.
    async fn writable(
        &self,
        caller: &Caller,
        id: i64,
    ) -> DomainResult<(Demand, crate::authz::Authorization)> {
        require_somewhere(caller, Permission::ManageCatalog)?;
        let current = self.demand(caller, id).await?;
        let auth = caller.principal.authorize(
            Permission::ManageCatalog,
            &self.target(&current.input.needing_agency).await?,
        )?;
        Ok((current, auth))
    }

    pub async fn update_demand(
        &self,
        caller: &Caller,
        id: i64,
        input: DemandInput,
    ) -> DomainResult<Demand> {
        let (current, auth) = self.writable(caller, id).await?;
        if input.needing_agency != current.input.needing_agency {
            // Moving a demand to another agency needs the right to write for that one too.
            caller.principal.authorize(
                Permission::ManageCatalog,
                &self.target(&input.needing_agency).await?,
            )?;
        }
        let input = self.clean(input).await?;
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "inventory.demand_update",
            "demand",
            &id.to_string(),
            json!({ "before": current.input, "after": input }),
        );
        self.p
            .stores
            .inventory
            .update_demand(id, &input, current.status, at, event)
            .await
    }

    /// Mark a demand met or withdrawn, or reopen it.
    pub async fn set_status(
        &self,
        caller: &Caller,
        id: i64,
        wanted: DemandStatus,
    ) -> DomainResult<Demand> {
        let (current, auth) = self.writable(caller, id).await?;
        let status = rules::next_status(current.status, wanted, !current.matches.is_empty())
            .map_err(|(zh, en)| DomainError::conflict(zh, en))?;
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "inventory.demand_status",
            "demand",
            &id.to_string(),
            json!({ "from": current.status.code(), "to": status.code() }),
        );
        self.p
            .stores
            .inventory
            .update_demand(id, &current.input, status, at, event)
            .await
    }

    /// Datasets in the catalogue that may hold what a demand asks for.
    pub async fn suggestions(&self, caller: &Caller, id: i64) -> DomainResult<Vec<Suggestion>> {
        let demand = self.demand(caller, id).await?;
        self.suggest(&demand).await
    }

    async fn suggest(&self, demand: &Demand) -> DomainResult<Vec<Suggestion>> {
        let mut per_word = Vec::new();
        for word in rules::search_words(demand) {
            let result = self
                .p
                .stores
                .catalog
                .search(&SearchQuery {
                    text: Some(word),
                    page: PageRequest {
                        page: 1,
                        per_page: 20,
                    },
                    ..SearchQuery::default()
                })
                .await?;
            per_word.push(result.hits);
        }
        Ok(rules::suggestions_from(demand, &per_word))
    }

    /// A steward of the needing agency confirms that a dataset holds what is needed.
    pub async fn confirm_match(
        &self,
        caller: &Caller,
        id: i64,
        dataset_id: i64,
    ) -> DomainResult<Demand> {
        let (current, auth) = self.writable(caller, id).await?;
        if current.status == DemandStatus::Withdrawn {
            return Err(DomainError::conflict(
                "需求已撤回；請先重新開啟",
                "the demand was withdrawn; reopen it first",
            ));
        }
        if current.matches.iter().any(|m| m.dataset_id == dataset_id) {
            return Err(DomainError::conflict(
                "這筆資料集已經確認過了",
                "this dataset is already confirmed for the demand",
            ));
        }
        let dataset = self
            .p
            .stores
            .catalog
            .dataset(dataset_id)
            .await?
            .ok_or_else(|| DomainError::not_found("dataset", dataset_id.to_string()))?;
        if dataset.status != DatasetStatus::Active {
            return Err(DomainError::conflict(
                "此資料集已下架，不能作為供給",
                "this dataset has been withdrawn and cannot meet a demand",
            ));
        }
        if dataset.record.agency == current.input.needing_agency {
            return Err(DomainError::conflict(
                "這是需求機關自己的資料集；需求是向其他機關要的資料",
                "this is the needing agency's own dataset; demand is for other agencies' data",
            ));
        }
        let at = self.p.now();
        let found = DemandMatch {
            dataset_id,
            dataset_title: dataset.record.title_zh.clone(),
            providing_agency: dataset.record.agency.clone(),
            confirmed_by: caller.principal.user_name.clone(),
            confirmed_at: at,
        };
        let status = match current.status {
            DemandStatus::Open => DemandStatus::Matched,
            other => other,
        };
        let event = caller.event(
            at,
            &auth,
            "inventory.demand_match",
            "demand",
            &id.to_string(),
            json!({
                "dataset": dataset.record.identifier,
                "providing_agency": dataset.record.agency,
                "status": status.code(),
            }),
        );
        self.p
            .stores
            .inventory
            .add_demand_match(id, &found, status, event)
            .await
    }

    pub async fn remove_match(
        &self,
        caller: &Caller,
        id: i64,
        dataset_id: i64,
    ) -> DomainResult<Demand> {
        let (current, auth) = self.writable(caller, id).await?;
        if !current.matches.iter().any(|m| m.dataset_id == dataset_id) {
            return Err(DomainError::not_found("match", dataset_id.to_string()));
        }
        let left = current.matches.len() - 1;
        let status = if left == 0 && current.status == DemandStatus::Matched {
            DemandStatus::Open
        } else {
            current.status
        };
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "inventory.demand_unmatch",
            "demand",
            &id.to_string(),
            json!({ "dataset_id": dataset_id, "status": status.code() }),
        );
        self.p
            .stores
            .inventory
            .remove_demand_match(id, dataset_id, status, at, event)
            .await
    }

    /// The city-wide view: every demand, with gaps found by asking the catalogue for each
    /// open demand that has nothing confirmed.
    pub async fn overview(&self, caller: &Caller) -> DomainResult<Overview> {
        let demands = self.demands(caller, &DemandFilter::default()).await?;
        let mut suggested = HashMap::new();
        for d in demands.iter().filter(|d| d.is_unmatched()) {
            suggested.insert(d.id, self.suggest(d).await?.len());
        }
        let gap_ids: HashSet<i64> = rules::gaps(&demands, &suggested)
            .into_iter()
            .map(|d| d.id)
            .collect();
        let cells = rules::demand_matrix(&demands, &gap_ids);
        Ok(Overview {
            demands,
            cells,
            gap_ids,
            suggested,
        })
    }

    // ---- platforms, costs and benefit ----

    fn clean_platform(&self, mut input: PlatformInput) -> DomainResult<PlatformInput> {
        input.name_zh = text_field(
            "name_zh",
            &input.name_zh,
            2,
            200,
            "請填寫平台中文名稱",
            "give the platform's Chinese name",
        )?;
        input.name_en = optional(input.name_en);
        input.note = optional(input.note);
        if let Some(y) = input.since_year {
            check_year("since_year", y)?;
        }
        match (input.status, input.retired_year) {
            (PlatformStatus::Retired, None) => {
                return Err(DomainError::invalid(
                    "retired_year",
                    Text::new(
                        "已下架的平台請填下架的民國年",
                        "give the ROC year a retired platform was taken down",
                    ),
                ));
            }
            (PlatformStatus::Active, Some(_)) => input.retired_year = None,
            (PlatformStatus::Retired, Some(y)) => {
                check_year("retired_year", y)?;
                if input.since_year.is_some_and(|s| s > y) {
                    return Err(DomainError::invalid(
                        "retired_year",
                        Text::new(
                            "下架年度早於啟用年度",
                            "the platform was retired before it started",
                        ),
                    ));
                }
            }
            (PlatformStatus::Active, None) => {}
        }
        Ok(input)
    }

    fn require_manage(&self, caller: &Caller) -> DomainResult<crate::authz::Authorization> {
        caller
            .principal
            .authorize(Permission::ManagePortfolio, &Target::City)
    }

    pub async fn platforms(&self, caller: &Caller) -> DomainResult<Vec<DataPlatform>> {
        require_somewhere(caller, Permission::ReadPortfolio)?;
        self.p.stores.inventory.platforms().await
    }

    pub async fn platform(&self, caller: &Caller, id: i64) -> DomainResult<DataPlatform> {
        self.platforms(caller)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| DomainError::not_found("platform", id.to_string()))
    }

    pub async fn create_platform(
        &self,
        caller: &Caller,
        input: PlatformInput,
    ) -> DomainResult<DataPlatform> {
        let auth = self.require_manage(caller)?;
        let input = self.clean_platform(input)?;
        self.check_agency("operator", &input.operator)
            .await
            .or_else(|e| {
                // A retired platform may name the agency that ran it, even if since merged away.
                match (&e, input.status) {
                    (DomainError::Invalid { .. }, PlatformStatus::Retired) => Ok(()),
                    _ => Err(e),
                }
            })?;
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "portfolio.platform_create",
            "platform",
            &input.name_zh,
            json!(input),
        );
        self.p
            .stores
            .inventory
            .create_platform(&input, at, event)
            .await
    }

    pub async fn update_platform(
        &self,
        caller: &Caller,
        id: i64,
        input: PlatformInput,
    ) -> DomainResult<DataPlatform> {
        let auth = self.require_manage(caller)?;
        let current = self.platform(caller, id).await?;
        let input = self.clean_platform(input)?;
        if input.operator != current.input.operator {
            self.check_agency("operator", &input.operator).await?;
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "portfolio.platform_update",
            "platform",
            &id.to_string(),
            json!({ "before": current.input, "after": input }),
        );
        self.p
            .stores
            .inventory
            .update_platform(id, &input, at, event)
            .await
    }

    /// Enter what a platform cost in an ROC year (NT$).
    pub async fn set_cost(
        &self,
        caller: &Caller,
        platform_id: i64,
        roc_year: i32,
        amount: i64,
        note: Option<String>,
    ) -> DomainResult<PlatformCost> {
        let auth = self.require_manage(caller)?;
        self.platform(caller, platform_id).await?;
        check_year("roc_year", roc_year)?;
        if !(0..=MAX_AMOUNT).contains(&amount) {
            return Err(DomainError::invalid(
                "amount",
                Text::new(
                    "金額請填 0 以上的新臺幣元整數（不含逗號以外的符號）",
                    "give the amount in whole NT$, zero or more",
                ),
            ));
        }
        let cost = PlatformCost {
            platform_id,
            roc_year,
            amount,
            note: optional(note),
        };
        let event = caller.event(
            self.p.now(),
            &auth,
            "portfolio.cost_set",
            "platform",
            &platform_id.to_string(),
            json!({ "roc_year": roc_year, "amount": amount, "note": cost.note }),
        );
        self.p
            .stores
            .inventory
            .set_platform_cost(&cost, event)
            .await?;
        Ok(cost)
    }

    pub async fn remove_cost(
        &self,
        caller: &Caller,
        platform_id: i64,
        roc_year: i32,
    ) -> DomainResult<()> {
        let auth = self.require_manage(caller)?;
        self.platform(caller, platform_id).await?;
        let event = caller.event(
            self.p.now(),
            &auth,
            "portfolio.cost_remove",
            "platform",
            &platform_id.to_string(),
            json!({ "roc_year": roc_year }),
        );
        if self
            .p
            .stores
            .inventory
            .remove_platform_cost(platform_id, roc_year, event)
            .await?
        {
            Ok(())
        } else {
            Err(DomainError::not_found(
                "cost",
                format!("{platform_id}/{roc_year}"),
            ))
        }
    }

    pub async fn costs(&self, caller: &Caller) -> DomainResult<Vec<PlatformCost>> {
        require_somewhere(caller, Permission::ReadPortfolio)?;
        self.p.stores.inventory.platform_costs().await
    }

    pub async fn sources(&self, caller: &Caller) -> DomainResult<Vec<SourceMapping>> {
        require_somewhere(caller, Permission::ReadPortfolio)?;
        self.p.stores.inventory.source_mappings().await
    }

    /// The platform a harvest source's datasets come from, for whoever reads the catalogue.
    pub async fn source_platform(
        &self,
        caller: &Caller,
        source: &str,
    ) -> DomainResult<Option<DataPlatform>> {
        require_somewhere(caller, Permission::ReadCatalog)?;
        let store = &self.p.stores.inventory;
        let Some(id) = store
            .source_mappings()
            .await?
            .into_iter()
            .find(|s| s.source == source)
            .and_then(|s| s.platform_id)
        else {
            return Ok(None);
        };
        Ok(store.platforms().await?.into_iter().find(|p| p.id == id))
    }

    /// Say which platform a harvest source's datasets come from.
    pub async fn map_source(
        &self,
        caller: &Caller,
        source: &str,
        platform_id: Option<i64>,
    ) -> DomainResult<()> {
        let auth = self.require_manage(caller)?;
        let source = source.trim();
        let known = self.p.stores.inventory.source_mappings().await?;
        if !known.iter().any(|s| s.source == source) {
            return Err(DomainError::invalid(
                "source",
                Text::new(
                    format!("沒有來自「{source}」的資料集"),
                    format!("no dataset comes from the source '{source}'"),
                ),
            ));
        }
        if let Some(id) = platform_id {
            self.platform(caller, id).await?;
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "portfolio.source_map",
            "source",
            source,
            json!({ "platform_id": platform_id }),
        );
        self.p
            .stores
            .inventory
            .map_source(source, platform_id, at, event)
            .await
    }

    /// The benefit report: each platform's cost and use per ROC year, and the datasets
    /// nobody used in the last `unused_months` months.
    pub async fn benefit(
        &self,
        caller: &Caller,
        unused_months: i64,
    ) -> DomainResult<BenefitReport> {
        require_somewhere(caller, Permission::ReadPortfolio)?;
        let store = &self.p.stores.inventory;
        let platforms = store.platforms().await?;
        let costs = store.platform_costs().await?;
        let sources = store.source_mappings().await?;
        let now = self.p.now();
        let this_year = rules::roc_year_of(now);
        let first_year = costs
            .iter()
            .map(|c| c.roc_year)
            .chain(platforms.iter().filter_map(|p| p.input.since_year))
            .min()
            .unwrap_or(this_year)
            .min(this_year);
        let uses = store.platform_use(first_year, this_year).await?;
        let mut datasets: HashMap<i64, u64> = HashMap::new();
        let mut mapping: HashMap<String, i64> = HashMap::new();
        for s in &sources {
            if let Some(id) = s.platform_id {
                *datasets.entry(id).or_default() += s.datasets;
                mapping.insert(s.source.clone(), id);
            }
        }
        let rows = rules::benefit_rows(&platforms, &datasets, &costs, &uses);
        let unused_months = unused_months.clamp(1, 120);
        let from = now.sub(time::Duration::days(unused_months * 30 + unused_months / 2));
        let used: HashSet<i64> = self
            .p
            .stores
            .sharing
            .usage(from, None)
            .await?
            .into_iter()
            .filter(|u| u.views + u.downloads + u.api_calls > 0)
            .map(|u| u.dataset_id)
            .collect();
        let active: Vec<(i64, String, String, String)> = self
            .p
            .stores
            .catalog
            .active_datasets()
            .await?
            .into_iter()
            .map(|d| {
                (
                    d.id,
                    d.key.source,
                    d.record.title_zh,
                    d.record.agency.to_string(),
                )
            })
            .collect();
        let unused = rules::unused_by_platform(&active, &mapping, &used);
        Ok(BenefitReport {
            total_cost: costs.iter().map(|c| c.amount).sum(),
            platforms,
            costs,
            rows,
            sources,
            unused,
            unused_months,
        })
    }

    /// The ROC year of now, for forms.
    pub fn this_year(&self) -> i32 {
        rules::roc_year_of(self.p.now())
    }

    /// For tests and reports that need the moment too.
    pub fn now(&self) -> Timestamp {
        self.p.now()
    }
}
