//! How this city's alerts are read and placed: the configured sources, the agency directory,
//! the rule set (the embedded default unless an administrator gave a file) and the grouping.

use std::sync::{Arc, OnceLock};

use crate::alerts::agency::AgencyDirectory;
use crate::alerts::grouping::GroupingPolicy;
use crate::alerts::rules::{RuleSet, RuleSetError};
use crate::alerts::source::SourceConfig;
use crate::alerts::targets::TargetDirectory;
use crate::error::{DomainError, DomainResult};
use crate::text::Text;

#[derive(Debug, Clone)]
pub struct AlertSettings {
    pub sources: Vec<SourceConfig>,
    pub agencies: AgencyDirectory,
    /// The core and critical systems the severity score weighs.
    pub targets: TargetDirectory,
    /// `None`: the rules civitas ships with.
    pub rules: Option<Arc<RuleSet>>,
    /// The configured rule file's text, for the rule editor to start from.
    pub rules_text: Option<String>,
    pub grouping: GroupingPolicy,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            sources: Vec::new(),
            agencies: AgencyDirectory::new(),
            targets: TargetDirectory::default(),
            rules: None,
            rules_text: None,
            grouping: GroupingPolicy::standard(),
        }
    }
}

static DEFAULT_RULE_SET: OnceLock<Result<Arc<RuleSet>, RuleSetError>> = OnceLock::new();

impl AlertSettings {
    /// The configured source of that name.
    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.name.as_str() == name)
    }

    /// The rule set the configuration gives (a file, or the built-in rules). Rules an
    /// administrator saved since take precedence: see `AlertService::rules_in_force`.
    pub fn rule_set(&self) -> DomainResult<&RuleSet> {
        self.shared_rule_set_ref().map(|r| r.as_ref())
    }

    /// The same, shareable.
    pub fn shared_rule_set(&self) -> DomainResult<Arc<RuleSet>> {
        self.shared_rule_set_ref().cloned()
    }

    fn shared_rule_set_ref(&self) -> DomainResult<&Arc<RuleSet>> {
        if let Some(rules) = &self.rules {
            return Ok(rules);
        }
        DEFAULT_RULE_SET
            .get_or_init(|| RuleSet::default_rules().map(Arc::new))
            .as_ref()
            .map_err(|e| {
                DomainError::invalid(
                    "alerts.rules",
                    Text::new(
                        format!("內建分類規則無法使用：{}", e.message.zh),
                        format!(
                            "the built-in classification rules are unusable: {}",
                            e.message.en
                        ),
                    ),
                )
            })
    }
}
