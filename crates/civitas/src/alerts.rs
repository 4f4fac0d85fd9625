//! The `[alerts]` configuration: alert sources, the agencies' address ranges, hosts and
//! agents, the rule file and the bulk endpoint's size limit, turned into the domain's settings.

use std::collections::BTreeSet;
use std::sync::Arc;

use civitas_core::alerts::{
    AgencyDirectory, AgencyEntry, AlertSettings, GenericMapping, RuleSet, SourceConfig,
    TargetDirectory, TargetEntry,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsSettings {
    /// An administrator's classification rule file; empty: the rules civitas ships with.
    pub rules_file: String,
    /// Largest NDJSON body `POST /api/v1/alerts/{source}/bulk` accepts, in bytes.
    pub bulk_max_bytes: usize,
    pub sources: Vec<AlertSourceSettings>,
    pub agencies: Vec<AgencyEntry>,
    /// Core and critical systems (`[[alerts.targets]]`): alerts aimed at them score higher.
    pub targets: Vec<TargetEntry>,
    /// Syslog listeners `civitas serve` starts (`crate::syslog`).
    pub listeners: Vec<crate::syslog::ListenerSettings>,
}

impl Default for AlertsSettings {
    fn default() -> Self {
        AlertsSettings {
            rules_file: String::new(),
            bulk_max_bytes: 16 * 1024 * 1024,
            sources: Vec::new(),
            agencies: Vec::new(),
            targets: Vec::new(),
            listeners: Vec::new(),
        }
    }
}

/// One `[[alerts.sources]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSourceSettings {
    pub name: String,
    /// suricata, wazuh, wazuh-ecs, cef, syslog5424, syslog3164 or json.
    pub kind: String,
    /// The zone of times written without an offset: "+08:00", "-0600", "UTC"; empty: Taipei.
    pub zone: String,
    /// For kind = "json" only: where each alert field is found.
    pub mapping: Option<GenericMapping>,
}

/// The command line and the configuration say `json`; the domain names the kind `generic-json`.
pub fn kind_name(kind: &str) -> &str {
    match kind.trim() {
        "json" => "generic-json",
        other => other,
    }
}

impl AlertSourceSettings {
    pub fn source(&self) -> Result<SourceConfig, String> {
        let zone = Some(self.zone.trim()).filter(|z| !z.is_empty());
        SourceConfig::from_settings(
            &self.name,
            kind_name(&self.kind),
            zone,
            self.mapping.clone(),
        )
        .map_err(|e| format!("alerts.sources: {}", e.en))
    }
}

impl AlertsSettings {
    /// The domain's settings, or what is wrong with the configuration.
    pub fn domain(&self) -> Result<AlertSettings, String> {
        let mut names = BTreeSet::new();
        let mut sources = Vec::new();
        for entry in &self.sources {
            let source = entry.source()?;
            if !names.insert(source.name.clone()) {
                return Err(format!(
                    "alerts.sources: the name \"{}\" is used twice",
                    source.name.as_str()
                ));
            }
            sources.push(source);
        }
        let agencies = AgencyDirectory::from_entries(&self.agencies)
            .map_err(|e| format!("alerts.agencies: {}", e.en))?;
        let targets = TargetDirectory::from_entries(&self.targets)
            .map_err(|e| format!("alerts.targets: {}", e.en))?;
        let (rules, rules_text) = match self.rules_file.trim() {
            "" => (None, None),
            path => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("alerts.rules_file: cannot read {path}: {e}"))?;
                let rules = RuleSet::parse(&text)
                    .map_err(|e| format!("alerts.rules_file {path}: {}", e.message.en))?;
                (Some(Arc::new(rules)), Some(text))
            }
        };
        Ok(AlertSettings {
            sources,
            agencies,
            targets,
            rules,
            rules_text,
            ..AlertSettings::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_become_the_domains_directory_and_a_bad_one_names_its_key() {
        let target = |criticality: &str| TargetEntry {
            name: "119 救災救護派遣系統".into(),
            criticality: criticality.into(),
            ranges: vec!["10.32.1.0/24".into()],
            hosts: Vec::new(),
        };
        let good = AlertsSettings {
            targets: vec![target("critical")],
            ..AlertsSettings::default()
        };
        assert!(!good.domain().unwrap().targets.is_empty());
        let bad = AlertsSettings {
            targets: vec![target("important")],
            ..AlertsSettings::default()
        };
        let err = bad.domain().unwrap_err();
        assert!(
            err.starts_with("alerts.targets:") && err.contains("\"important\""),
            "{err}"
        );
    }
}
