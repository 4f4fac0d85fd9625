//! Classification as data: an ordered, versioned rule file (TOML) maps each alert to the city's
//! reporting category and an ENISA RSIT code; the first matching rule wins, and the alert keeps
//! which rule set and rule decided, with the reasons for its category and severity.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::alerts::model::{Alert, SeverityScale, SourceKind};
use crate::alerts::rsit;
use crate::alerts::severity::{self, ScoreContext, Weights};
use crate::text::Text;

/// The rules civitas ships with; an administrator may load their own file instead.
pub const DEFAULT_RULES: &str = include_str!("rules/default.toml");

/// The categories the city reports alert notifications in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    IntrusionAttempt,
    InformationGathering,
    Malware,
    Dos,
    WebAttack,
    CredentialAttack,
    Other,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::IntrusionAttempt,
        Category::InformationGathering,
        Category::Malware,
        Category::Dos,
        Category::WebAttack,
        Category::CredentialAttack,
        Category::Other,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Category::IntrusionAttempt => "intrusion-attempt",
            Category::InformationGathering => "information-gathering",
            Category::Malware => "malware",
            Category::Dos => "dos",
            Category::WebAttack => "web-attack",
            Category::CredentialAttack => "credential-attack",
            Category::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }

    pub fn label(&self) -> Text {
        match self {
            Category::IntrusionAttempt => Text::new("入侵嘗試", "intrusion attempt"),
            Category::InformationGathering => Text::new("資訊蒐集", "information gathering"),
            Category::Malware => Text::new("惡意程式", "malware"),
            Category::Dos => Text::new("阻斷服務", "denial of service"),
            Category::WebAttack => Text::new("網頁攻擊", "web attack"),
            Category::CredentialAttack => Text::new("帳號密碼攻擊", "credential attack"),
            Category::Other => Text::new("其他", "other"),
        }
    }

    /// The RSIT code a category stands for unless a rule names a more precise one.
    pub fn default_rsit(&self) -> &'static str {
        match self {
            Category::IntrusionAttempt => "intrusion-attempts:ids-alert",
            Category::InformationGathering => "information-gathering:scanner",
            Category::Malware => "malicious-code:infected-system",
            Category::Dos => "availability:dos",
            Category::WebAttack => {
                "information-content-security:unauthorised-information-modification"
            }
            Category::CredentialAttack => "intrusion-attempts:brute-force",
            Category::Other => "other:other",
        }
    }
}

/// 其他 is reported split, so that "other" is never a black box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubBucket {
    Policy,
    ProtocolAnomaly,
    Informational,
    Unclassified,
}

impl SubBucket {
    pub const ALL: [SubBucket; 4] = [
        SubBucket::Policy,
        SubBucket::ProtocolAnomaly,
        SubBucket::Informational,
        SubBucket::Unclassified,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            SubBucket::Policy => "policy",
            SubBucket::ProtocolAnomaly => "protocol-anomaly",
            SubBucket::Informational => "informational",
            SubBucket::Unclassified => "unclassified",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(&self) -> Text {
        match self {
            SubBucket::Policy => Text::new("政策違規", "policy"),
            SubBucket::ProtocolAnomaly => Text::new("協定異常", "protocol anomaly"),
            SubBucket::Informational => Text::new("可疑資訊", "informational"),
            SubBucket::Unclassified => Text::new("未分類", "unclassified"),
        }
    }
}

/// 高 / 中 / 低, as the SOC reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Severity::Low, Severity::Medium, Severity::High]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    pub fn label(&self) -> Text {
        match self {
            Severity::High => Text::new("高", "high"),
            Severity::Medium => Text::new("中", "medium"),
            Severity::Low => Text::new("低", "low"),
        }
    }
}

/// What the rule set decided for one alert, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub category: Category,
    pub sub_bucket: Option<SubBucket>,
    /// RSIT `class:type`.
    pub rsit: String,
    pub severity: Severity,
    pub score: i32,
    /// The rule that decided the category, then each term of the score, then the threshold.
    pub reasons: Vec<Text>,
    pub rule_set_version: String,
    /// `None` when no rule matched (其他／未分類).
    pub matched_rule_id: Option<String>,
}

/// A rule file that cannot be used, naming the rule and field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSetError {
    pub rule: Option<String>,
    pub field: Option<String>,
    pub message: Text,
}

impl RuleSetError {
    fn at(rule: &str, field: &str, zh: String, en: String) -> Self {
        RuleSetError {
            rule: Some(rule.to_string()),
            field: Some(field.to_string()),
            message: Text::new(
                format!("規則「{rule}」的 {field}：{zh}"),
                format!("rule \"{rule}\", field {field}: {en}"),
            ),
        }
    }
}

impl fmt::Display for RuleSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message.en)
    }
}

impl std::error::Error for RuleSetError {}

// ── The file as written ─────────────────────────────────────────────────────────────────────

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    version: String,
    severity: Weights,
    #[serde(default)]
    classtypes: HashMap<String, String>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    id: String,
    #[serde(default)]
    description: String,
    sources: Option<Vec<String>>,
    wazuh_groups: Option<Vec<String>>,
    signature_prefixes: Option<Vec<String>>,
    name_contains: Option<Vec<String>>,
    classtypes: Option<Vec<String>>,
    severity_scale: Option<SeverityScale>,
    native_severity: Option<Vec<String>>,
    raw_contains: Option<Vec<String>>,
    category: String,
    sub_bucket: Option<String>,
    rsit: Option<String>,
    #[serde(default)]
    success: bool,
    severity_cap: Option<String>,
}

// ── The validated rule set ──────────────────────────────────────────────────────────────────

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    id: String,
    description: String,
    sources: Option<Vec<SourceKind>>,
    wazuh_groups: Option<Vec<String>>,
    signature_prefixes: Option<Vec<String>>,
    name_contains: Option<Vec<String>>,
    classtypes: Option<Vec<String>>,
    severity_scale: Option<SeverityScale>,
    native_severity: Option<Vec<String>>,
    raw_contains: Option<Vec<String>>,
    category: Category,
    sub_bucket: Option<SubBucket>,
    rsit: String,
    success: bool,
    severity_cap: Option<Severity>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    version: String,
    weights: Weights,
    /// Lower-cased EVE description → classtype short name.
    classtype_by_description: HashMap<String, String>,
    classtypes: HashSet<String>,
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The rules shipped in `rules/default.toml`.
    pub fn default_rules() -> Result<Self, RuleSetError> {
        Self::parse(DEFAULT_RULES)
    }

    /// Reads and checks an administrator's rule file; the error names the rule and field.
    pub fn parse(text: &str) -> Result<Self, RuleSetError> {
        let file: RuleFile = toml::from_str(text).map_err(|e| {
            let rule = e.span().and_then(|s| enclosing_rule_id(text, s.start));
            let place = rule
                .as_deref()
                .map(|r| format!("rule \"{r}\": "))
                .unwrap_or_default();
            let place_zh = rule
                .as_deref()
                .map(|r| format!("規則「{r}」："))
                .unwrap_or_default();
            RuleSetError {
                rule,
                field: None,
                message: Text::new(
                    format!("規則檔無法讀取：{place_zh}{}", e.message()),
                    format!("the rule file cannot be read: {place}{e}"),
                ),
            }
        })?;
        let version = file.version.trim().to_string();
        if version.is_empty() {
            return Err(RuleSetError {
                rule: None,
                field: Some("version".into()),
                message: Text::new("規則檔須有版本（version）", "the rule file needs a version"),
            });
        }
        file.severity.check()?;
        let classtypes: HashSet<String> = file.classtypes.keys().cloned().collect();
        let classtype_by_description = file
            .classtypes
            .iter()
            .filter(|(_, d)| !d.trim().is_empty())
            .map(|(short, d)| (d.trim().to_lowercase(), short.clone()))
            .collect();
        let mut seen = HashSet::new();
        let mut rules = Vec::with_capacity(file.rules.len());
        for entry in file.rules {
            if !seen.insert(entry.id.clone()) {
                return Err(RuleSetError::at(
                    &entry.id,
                    "id",
                    "規則代號重複".into(),
                    "the rule id is used twice".into(),
                ));
            }
            rules.push(check_rule(entry, &classtypes)?);
        }
        Ok(RuleSet {
            version,
            weights: file.severity,
            classtype_by_description,
            classtypes,
            rules,
        })
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn rule_ids(&self) -> Vec<&str> {
        self.rules.iter().map(|r| r.id.as_str()).collect()
    }

    /// The Suricata classtype short name behind an alert's category text, if any.
    pub fn classtype_of(&self, alert: &Alert) -> Option<String> {
        let category = alert.rule.category.as_deref()?.trim();
        if self.classtypes.contains(category) {
            return Some(category.to_string());
        }
        self.classtype_by_description
            .get(&category.to_lowercase())
            .cloned()
    }

    /// Category, RSIT code and severity, with the reasons for each.
    pub fn classify(&self, alert: &Alert, context: &ScoreContext) -> Classification {
        let facts = Facts::of(alert, self.classtype_of(alert));
        let matched = self.rules.iter().find(|r| r.matches(&facts));
        let mut reasons = Vec::new();
        let (category, sub_bucket, rsit, success, cap) = match matched {
            Some(rule) => {
                let category_label = match rule.sub_bucket {
                    Some(sub) => format_label(&rule.category.label(), &sub.label()),
                    None => rule.category.label(),
                };
                reasons.push(Text::new(
                    format!(
                        "規則 {}（規則集 {}）：{} → {}",
                        rule.id, self.version, rule.description, category_label.zh
                    ),
                    format!(
                        "rule {} (rule set {}): {} → {}",
                        rule.id, self.version, rule.description, category_label.en
                    ),
                ));
                (
                    rule.category,
                    rule.sub_bucket,
                    rule.rsit.clone(),
                    rule.success,
                    rule.severity_cap,
                )
            }
            None => {
                reasons.push(Text::new(
                    format!("規則集 {} 沒有規則符合此警訊 → 其他／未分類", self.version),
                    format!(
                        "no rule of rule set {} matched this alert → other / unclassified",
                        self.version
                    ),
                ));
                (
                    Category::Other,
                    Some(SubBucket::Unclassified),
                    "other:undetermined".to_string(),
                    false,
                    None,
                )
            }
        };
        let scored = severity::score(alert, context, &self.weights, success, cap);
        reasons.extend(scored.reasons);
        Classification {
            category,
            sub_bucket,
            rsit,
            severity: scored.severity,
            score: scored.score,
            reasons,
            rule_set_version: self.version.clone(),
            matched_rule_id: matched.map(|r| r.id.clone()),
        }
    }
}

/// The id of the `[[rule]]` table a position in the file falls in, for error messages.
fn enclosing_rule_id(text: &str, offset: usize) -> Option<String> {
    let start = text.get(..offset)?.rfind("[[rule]]")?;
    let table = text.get(start + "[[rule]]".len()..)?;
    let table = table.split("\n[").next().unwrap_or(table);
    table.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "id").then(|| value.trim().trim_matches('"').to_string())
    })
}

fn format_label(category: &Text, sub: &Text) -> Text {
    Text::new(
        format!("{}／{}", category.zh, sub.zh),
        format!("{} / {}", category.en, sub.en),
    )
}

fn check_rule(entry: RuleEntry, classtypes: &HashSet<String>) -> Result<Rule, RuleSetError> {
    let id = entry.id.trim().to_string();
    if id.is_empty() {
        return Err(RuleSetError {
            rule: None,
            field: Some("id".into()),
            message: Text::new("每條規則都須有代號（id）", "every rule needs an id"),
        });
    }
    let category = Category::parse(&entry.category).ok_or_else(|| {
        RuleSetError::at(
            &id,
            "category",
            format!("「{}」不是分類；可用：{}", entry.category, category_names()),
            format!(
                "\"{}\" is not a category; use one of {}",
                entry.category,
                category_names()
            ),
        )
    })?;
    let sub_bucket = match (&entry.sub_bucket, category) {
        (Some(text), Category::Other) => Some(SubBucket::parse(text).ok_or_else(|| {
            RuleSetError::at(
                &id,
                "sub_bucket",
                format!("「{text}」不是子分類；可用 policy、protocol-anomaly、informational、unclassified"),
                format!("\"{text}\" is not a sub-bucket; use policy, protocol-anomaly, informational or unclassified"),
            )
        })?),
        (None, Category::Other) => {
            return Err(RuleSetError::at(
                &id,
                "sub_bucket",
                "分類為 other 時須指定子分類".into(),
                "a rule that files into other must name its sub-bucket".into(),
            ));
        }
        (Some(_), _) => {
            return Err(RuleSetError::at(
                &id,
                "sub_bucket",
                "只有 other 分類可有子分類".into(),
                "only the other category has sub-buckets".into(),
            ));
        }
        (None, _) => None,
    };
    let rsit = entry
        .rsit
        .clone()
        .unwrap_or_else(|| category.default_rsit().to_string());
    if !rsit::is_known(&rsit) {
        return Err(RuleSetError::at(
            &id,
            "rsit",
            format!("「{rsit}」不是 RSIT 分類代碼（class:type）"),
            format!("\"{rsit}\" is not an RSIT class:type code"),
        ));
    }
    let sources = match &entry.sources {
        None => None,
        Some(list) => Some(
            list.iter()
                .map(|s| {
                    SourceKind::parse(s).ok_or_else(|| {
                        RuleSetError::at(
                            &id,
                            "sources",
                            format!("「{s}」不是來源種類"),
                            format!("\"{s}\" is not a source kind"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    if let Some(unknown) = entry
        .classtypes
        .iter()
        .flatten()
        .find(|c| !classtypes.contains(*c))
    {
        return Err(RuleSetError::at(
            &id,
            "classtypes",
            format!("classtype「{unknown}」不在 [classtypes] 表中"),
            format!("classtype \"{unknown}\" is not in the [classtypes] table"),
        ));
    }
    let severity_cap = match &entry.severity_cap {
        None => None,
        Some(text) => Some(Severity::parse(text).ok_or_else(|| {
            RuleSetError::at(
                &id,
                "severity_cap",
                format!("「{text}」不是 low、medium 或 high"),
                format!("\"{text}\" is not low, medium or high"),
            )
        })?),
    };
    let lists = [
        &entry.wazuh_groups,
        &entry.signature_prefixes,
        &entry.name_contains,
        &entry.classtypes,
        &entry.native_severity,
        &entry.raw_contains,
    ];
    if let Some(_empty) = lists.iter().find(|l| l.as_ref().is_some_and(Vec::is_empty)) {
        return Err(RuleSetError::at(
            &id,
            "conditions",
            "條件清單不可為空".into(),
            "a condition's list must not be empty".into(),
        ));
    }
    let has_condition = lists.iter().any(|l| l.is_some());
    if !has_condition {
        return Err(RuleSetError::at(
            &id,
            "conditions",
            "規則至少要有一個條件（sources 之外），否則會吃掉後面所有規則".into(),
            "a rule needs at least one condition besides sources, or it would shadow every rule after it".into(),
        ));
    }
    if entry.native_severity.is_some() && entry.severity_scale.is_none() {
        return Err(RuleSetError::at(
            &id,
            "severity_scale",
            "使用 native_severity 時須指定 severity_scale".into(),
            "native_severity needs a severity_scale to say which source's numbers are meant".into(),
        ));
    }
    let lower =
        |l: Option<Vec<String>>| l.map(|v| v.into_iter().map(|s| s.to_lowercase()).collect());
    Ok(Rule {
        description: if entry.description.is_empty() {
            id.clone()
        } else {
            entry.description
        },
        id,
        sources,
        wazuh_groups: lower(entry.wazuh_groups),
        signature_prefixes: entry.signature_prefixes,
        name_contains: lower(entry.name_contains),
        classtypes: entry.classtypes,
        severity_scale: entry.severity_scale,
        native_severity: lower(entry.native_severity),
        raw_contains: lower(entry.raw_contains),
        category,
        sub_bucket,
        rsit,
        success: entry.success,
        severity_cap,
    })
}

fn category_names() -> String {
    Category::ALL.map(|c| c.as_str()).join(", ")
}

/// What rules look at, computed once per alert rather than once per rule.
struct Facts<'a> {
    alert: &'a Alert,
    name: &'a str,
    name_lower: String,
    groups_lower: Vec<String>,
    classtype: Option<String>,
}

impl<'a> Facts<'a> {
    fn of(alert: &'a Alert, classtype: Option<String>) -> Self {
        let name = alert.rule.name.as_deref().unwrap_or("");
        Facts {
            alert,
            name,
            name_lower: name.to_lowercase(),
            groups_lower: alert.rule.groups.iter().map(|g| g.to_lowercase()).collect(),
            classtype,
        }
    }
}

impl Rule {
    /// Every condition present must hold; cheap ones are checked first and the first
    /// failure stops the check (the raw record is only searched when all else matched).
    fn matches(&self, facts: &Facts<'_>) -> bool {
        let alert = facts.alert;
        self.sources
            .as_ref()
            .is_none_or(|s| s.contains(&alert.source_kind))
            && self
                .signature_prefixes
                .as_ref()
                .is_none_or(|p| p.iter().any(|p| facts.name.starts_with(p.as_str())))
            && self
                .classtypes
                .as_ref()
                .is_none_or(|c| facts.classtype.as_ref().is_some_and(|t| c.contains(t)))
            && self
                .wazuh_groups
                .as_ref()
                .is_none_or(|wanted| facts.groups_lower.iter().any(|g| wanted.contains(g)))
            && self.severity_scale.is_none_or(|scale| {
                alert.native_severity.as_ref().is_some_and(|s| {
                    s.scale == scale
                        && self
                            .native_severity
                            .as_ref()
                            .is_none_or(|v| v.contains(&s.raw.trim().to_lowercase()))
                })
            })
            && self
                .name_contains
                .as_ref()
                .is_none_or(|n| n.iter().any(|n| facts.name_lower.contains(n.as_str())))
            && self.raw_contains.as_ref().is_none_or(|needles| {
                let raw = alert.raw.to_lowercase();
                needles.iter().any(|n| raw.contains(n.as_str()))
            })
    }
}

#[cfg(test)]
mod tests;
