//! The `[alerts]` configuration: alert sources, the agencies' address ranges, hosts and
//! agents, the rule file and the bulk endpoint's size limit, turned into the domain's settings.

use std::collections::BTreeSet;
use std::sync::Arc;

use civitas_core::alerts::{
    AgencyDirectory, AgencyEntry, AlertSettings, GenericMapping, RuleSet, SourceConfig,
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
            rules,
            rules_text,
            ..AlertSettings::default()
        })
    }
}
