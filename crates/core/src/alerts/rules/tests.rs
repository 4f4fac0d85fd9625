use std::collections::BTreeMap;

use super::*;
use crate::alerts::parse::parse_batch;
use crate::alerts::severity::Criticality;
use crate::alerts::source::{SourceConfig, SourceFormat, SourceName};
use crate::time::Timestamp;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../fixtures/soc/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").unwrap()
}

fn eve_alerts() -> Vec<Alert> {
    let source = SourceConfig::new(SourceName::parse("eve").unwrap(), SourceFormat::Suricata);
    [
        "suricata-eve-alerts-honeypot-2018.json",
        "suricata-eve-alerts-wrccdc-2018.json",
        "suricata-eve-alerts-first-org-conf-2015.json",
    ]
    .iter()
    .flat_map(|f| parse_batch(&source, fixture(f).as_bytes(), now()).alerts)
    .collect()
}

fn label(c: &Classification) -> String {
    match c.sub_bucket {
        Some(sub) => format!("{}/{}", c.category.as_str(), sub.as_str()),
        None => c.category.as_str().to_string(),
    }
}

/// Expected category per signature family and EVE classtype description, decided by reading
/// the signatures (soc.md §7.2): reputation lists and scans are information gathering; exploits,
/// web-server and ATTACK_RESPONSE signatures intrusion attempts; POLICY/CHAT/P2P policy; the
/// SURICATA decoder family protocol anomalies. "*" = any classtype.
const GOLDEN: &[(&str, &str, &str)] = &[
    ("ET CINS", "*", "information-gathering"),
    ("ET COMPROMISED", "*", "information-gathering"),
    ("ET DROP", "*", "information-gathering"),
    ("ET TOR", "*", "information-gathering"),
    ("ET SCAN", "*", "information-gathering"),
    (
        "GPL SNMP",
        "Attempted Information Leak",
        "information-gathering",
    ),
    (
        "ET SNMP",
        "Potential Corporate Privacy Violation",
        "other/policy",
    ),
    ("ET ATTACK_RESPONSE", "*", "intrusion-attempt"),
    ("GPL ATTACK_RESPONSE", "*", "intrusion-attempt"),
    ("ET EXPLOIT", "*", "intrusion-attempt"),
    ("GPL EXPLOIT", "*", "intrusion-attempt"),
    ("ET NETBIOS", "*", "intrusion-attempt"),
    ("ET WEB_CLIENT", "*", "intrusion-attempt"),
    ("ET WEB_SERVER", "*", "intrusion-attempt"),
    ("GPL WEB_SERVER", "*", "intrusion-attempt"),
    ("ET CNC", "*", "malware"),
    ("ET MALWARE", "*", "malware"),
    ("ET TROJAN", "*", "malware"),
    ("ET WORM", "*", "malware"),
    // Exploit kits and coin-mining: the classtype says trojan.
    (
        "ET CURRENT_EVENTS",
        "A Network Trojan was detected",
        "malware",
    ),
    // CVE-2017-0199 and Heartbleed/HeartBeat: named vulnerabilities.
    (
        "ET CURRENT_EVENTS",
        "Attempted User Privilege Gain",
        "intrusion-attempt",
    ),
    (
        "ET CURRENT_EVENTS",
        "Potentially Bad Traffic",
        "intrusion-attempt",
    ),
    ("ET DOS", "*", "dos"),
    ("ET POLICY", "*", "other/policy"),
    ("ET CHAT", "*", "other/policy"),
    ("GPL CHAT", "*", "other/policy"),
    ("ET P2P", "*", "other/policy"),
    ("ET DNS", "Potentially Bad Traffic", "other/informational"),
    ("SURICATA", "*", "other/protocol-anomaly"),
];

fn golden(alert: &Alert) -> &'static str {
    let name = alert.signature();
    // ET POLICY "… Likely Lateral Movement": a foothold in use, not a policy matter.
    if name.to_lowercase().contains("lateral movement") {
        return "intrusion-attempt";
    }
    // Requests to a web shell (網頁木馬): the web application is already the attacker's.
    if name.to_lowercase().contains("webshell") {
        return "web-attack";
    }
    let category = alert.rule.category.as_deref().unwrap_or("");
    GOLDEN
        .iter()
        .find(|(prefix, classtype, _)| {
            name.starts_with(&format!("{prefix} ")) && (*classtype == "*" || *classtype == category)
        })
        .map(|(_, _, expected)| *expected)
        .unwrap_or_else(|| panic!("the golden table does not cover {name} ({category})"))
}

#[test]
fn the_shipped_rules_load_with_their_version() {
    let rules = RuleSet::default_rules().unwrap();
    assert_eq!(rules.version(), "default-2026.1");
    assert!(rules.rule_ids().len() > 20);
}

#[test]
fn every_real_eve_alert_lands_in_the_category_the_golden_table_expects() {
    let rules = RuleSet::default_rules().unwrap();
    let alerts = eve_alerts();
    assert_eq!(alerts.len(), 387);
    let mut wrong = Vec::new();
    for alert in &alerts {
        let c = rules.classify(alert, &ScoreContext::default());
        if label(&c) != golden(alert) {
            wrong.push(format!(
                "{} → {} (expected {})",
                alert.signature(),
                label(&c),
                golden(alert)
            ));
        }
        assert!(
            c.matched_rule_id.is_some(),
            "{} matched no rule",
            alert.signature()
        );
        assert_eq!(c.rule_set_version, "default-2026.1");
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn most_real_alerts_are_intrusion_attempts_or_information_gathering_and_decoder_noise_is_apart() {
    let rules = RuleSet::default_rules().unwrap();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for alert in eve_alerts() {
        *counts
            .entry(label(&rules.classify(&alert, &ScoreContext::default())))
            .or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = [
        ("intrusion-attempt", 119),
        ("information-gathering", 117),
        ("other/policy", 65),
        ("other/protocol-anomaly", 52),
        ("malware", 25),
        ("other/informational", 4),
        ("dos", 3),
        ("web-attack", 2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(counts, expected);
    let attacks = counts["intrusion-attempt"] + counts["information-gathering"];
    assert!(attacks * 2 > 387, "{attacks} of 387");
    // Every SURICATA decoder/app-layer event is a protocol anomaly.
    for alert in eve_alerts()
        .iter()
        .filter(|a| a.signature().starts_with("SURICATA "))
    {
        let c = rules.classify(alert, &ScoreContext::default());
        assert_eq!(c.sub_bucket, Some(SubBucket::ProtocolAnomaly));
        assert_eq!(c.severity, Severity::Low);
    }
}

#[test]
fn loud_signatures_alone_are_not_high_severity() {
    // Suricata priority 1 is 38% of the samples; "priority 1 = high" would drown the SOC.
    let rules = RuleSet::default_rules().unwrap();
    let alerts = eve_alerts();
    let high: Vec<_> = alerts
        .iter()
        .map(|a| (a, rules.classify(a, &ScoreContext::default())))
        .filter(|(_, c)| c.severity == Severity::High)
        .collect();
    // Only the alerts that show success reach high without context.
    assert!(!high.is_empty());
    for (alert, c) in &high {
        assert!(c.rsit.starts_with("intrusions:"), "{}", alert.signature());
    }
    assert!(
        high.len() * 20 < alerts.len(),
        "{} high of {}",
        high.len(),
        alerts.len()
    );
}

#[test]
fn every_rsit_code_the_rules_use_exists_in_the_published_taxonomy() {
    let file: serde_json::Value =
        serde_json::from_str(&fixture("rsit-taxonomy-machinev1.json")).unwrap();
    let mut published = std::collections::HashSet::new();
    for class in file["values"].as_array().unwrap() {
        let predicate = class["predicate"].as_str().unwrap();
        for entry in class["entry"].as_array().unwrap() {
            published.insert(format!("{predicate}:{}", entry["value"].as_str().unwrap()));
        }
    }
    let rules = RuleSet::default_rules().unwrap();
    for rule in &rules.rules {
        assert!(
            published.contains(&rule.rsit),
            "rule {} uses {}",
            rule.id,
            rule.rsit
        );
    }
    for category in Category::ALL {
        assert!(published.contains(category.default_rsit()), "{category:?}");
    }
    assert!(published.contains("other:undetermined"));
}

#[test]
fn the_classtype_table_agrees_with_suricatas_classification_config() {
    let rules = RuleSet::default_rules().unwrap();
    let mut checked = 0;
    for line in fixture("suricata-classification.config").lines() {
        let Some(rest) = line.strip_prefix("config classification:") else {
            continue;
        };
        let parts: Vec<&str> = rest.split(',').map(str::trim).collect();
        let (short, description) = (parts[0], parts[1]);
        assert!(rules.classtypes.contains(short), "{short}");
        assert_eq!(
            rules
                .classtype_by_description
                .get(&description.to_lowercase())
                .map(String::as_str),
            Some(short)
        );
        checked += 1;
    }
    assert_eq!(checked, 34);
}

#[test]
fn the_reasons_name_the_rule_and_every_score_term() {
    let rules = RuleSet::default_rules().unwrap();
    let alert = eve_alerts()
        .into_iter()
        .find(|a| {
            a.signature().starts_with("ET ATTACK_RESPONSE")
                && a.rule.category.as_deref() == Some("Successful Administrator Privilege Gain")
        })
        .unwrap();
    let context = ScoreContext {
        target_criticality: Criticality::Critical,
        intel_match: true,
        recurrence: 4,
        success_evidence: false,
        ..Default::default()
    };
    let c = rules.classify(&alert, &context);
    assert_eq!(c.matched_rule_id.as_deref(), Some("et-attack-response"));
    assert_eq!(c.rsit, "intrusions:system-compromise");
    // priority 1 (+2), success (+3), critical target (+2), intel (+2), recurrence (+1)
    assert_eq!(c.score, 10);
    assert_eq!(c.severity, Severity::High);
    let en: Vec<&str> = c.reasons.iter().map(|r| r.en.as_str()).collect();
    assert!(
        en[0].starts_with("rule et-attack-response (rule set default-2026.1)"),
        "{en:?}"
    );
    assert!(
        en.contains(&"+2: source severity Suricata priority 1"),
        "{en:?}"
    );
    assert!(en.contains(&"+3: evidence that the attack succeeded"));
    assert!(en.contains(&"+2: the target is critical infrastructure or holds secrets"));
    assert!(en.contains(&"+2: matches a threat-intelligence indicator"));
    assert!(
        en.contains(&"+1: the same source address was seen 4 times in 30 days (this one included)")
    );
    // A named system is named in the reason.
    let named = rules.classify(
        &alert,
        &ScoreContext {
            target_criticality: Criticality::Core,
            target: Some("市府公文系統 (10.30.0.5)".into()),
            ..Default::default()
        },
    );
    assert!(
        named
            .reasons
            .iter()
            .any(|r| r.zh == "+1：目標為核心資通系統：市府公文系統 (10.30.0.5)"),
        "{:?}",
        named.reasons
    );
    assert_eq!(
        *en.last().unwrap(),
        "score 10 (high ≥ 5, medium ≥ 1) → high"
    );
    assert!(c.reasons.iter().all(|r| !r.zh.is_empty()));
}

#[test]
fn blocked_traffic_and_policy_caps_lower_the_severity_with_a_reason() {
    let rules = RuleSet::default_rules().unwrap();
    let alerts = eve_alerts();
    let mut scan = alerts
        .iter()
        .find(|a| a.signature() == "ET SCAN Potential SSH Scan")
        .unwrap()
        .clone();
    assert_eq!(
        rules.classify(&scan, &ScoreContext::default()).severity,
        Severity::Medium
    );
    scan.action = crate::alerts::model::Action::Blocked;
    let blocked = rules.classify(&scan, &ScoreContext::default());
    assert_eq!(blocked.score, -1);
    assert_eq!(blocked.severity, Severity::Low);
    assert!(
        blocked
            .reasons
            .iter()
            .any(|r| r.en == "-2: the sensor blocked the traffic")
    );

    let policy = alerts
        .iter()
        .find(|a| {
            a.signature().starts_with("ET POLICY")
                && a.rule.category.as_deref() == Some("Potential Corporate Privacy Violation")
        })
        .unwrap();
    let context = ScoreContext {
        intel_match: true,
        target_criticality: Criticality::Critical,
        ..Default::default()
    };
    let c = rules.classify(policy, &context);
    assert_eq!(c.score, 6);
    assert_eq!(c.severity, Severity::Low);
    assert!(
        c.reasons
            .iter()
            .any(|r| r.en == "this kind of rule is capped at low")
    );
}

#[test]
fn wazuh_alerts_are_classified_by_their_groups_and_forwarded_suricata_by_its_signature() {
    use crate::alerts::parse::parse_batch;
    let rules = RuleSet::default_rules().unwrap();
    let wazuh = SourceConfig::new(SourceName::parse("wazuh").unwrap(), SourceFormat::Wazuh);
    let classify = |line: &str| {
        let batch = parse_batch(&wazuh, line.as_bytes(), now());
        rules.classify(&batch.alerts[0], &ScoreContext::default())
    };
    let brute = classify(crate::alerts::parse::wazuh_samples::SSHD_BRUTE_FORCE);
    assert_eq!(brute.category, Category::CredentialAttack);
    assert_eq!(brute.rsit, "intrusion-attempts:brute-force");
    assert_eq!(brute.matched_rule_id.as_deref(), Some("wazuh-credential"));
    assert_eq!(brute.severity, Severity::Medium); // level 10: +1

    let forwarded = classify(crate::alerts::parse::wazuh_samples::SURICATA_FORWARDED);
    assert_eq!(forwarded.category, Category::InformationGathering);
    assert_eq!(forwarded.matched_rule_id.as_deref(), Some("et-recon"));

    let defaced = classify(crate::alerts::parse::wazuh_samples::SYSCHECK_WEB_ROOT);
    assert_eq!(defaced.category, Category::WebAttack);
    assert_eq!(defaced.severity, Severity::Medium); // level 7 (0) + success (+3)

    let ecs = SourceConfig::new(SourceName::parse("wazuh5").unwrap(), SourceFormat::WazuhEcs);
    let batch = parse_batch(
        &ecs,
        crate::alerts::parse::wazuh_samples::SSH_BRUTE_FORCE_FINDING.as_bytes(),
        now(),
    );
    let finding = rules.classify(&batch.alerts[0], &ScoreContext::default());
    assert_eq!(finding.category, Category::CredentialAttack);
}

#[test]
fn cef_and_syslog_with_low_source_severity_are_informational() {
    let rules = RuleSet::default_rules().unwrap();
    let cef = SourceConfig::new(SourceName::parse("cef").unwrap(), SourceFormat::Cef);
    let palo = parse_batch(&cef, fixture("metron-cef-palo.cef").as_bytes(), now());
    let c = rules.classify(&palo.alerts[0], &ScoreContext::default());
    assert_eq!(c.matched_rule_id.as_deref(), Some("cef-low"));
    let waf = parse_batch(&cef, fixture("metron-cef-waf.cef").as_bytes(), now());
    let c = rules.classify(&waf.alerts[0], &ScoreContext::default());
    assert_eq!(c.sub_bucket, Some(SubBucket::Unclassified));
    assert_eq!(c.matched_rule_id, None);
    assert!(c.reasons[0].en.contains("no rule"));
    assert_eq!(c.severity, Severity::Medium); // CEF High: +1
    let asa = SourceConfig::new(SourceName::parse("asa").unwrap(), SourceFormat::Syslog3164);
    let lines = parse_batch(&asa, fixture("metron-syslog3164-raw.log").as_bytes(), now());
    for a in &lines.alerts {
        let c = rules.classify(a, &ScoreContext::default());
        assert_eq!(c.sub_bucket, Some(SubBucket::Informational), "{}", a.raw);
    }
}

#[test]
fn an_admins_rule_file_is_refused_naming_the_rule_and_field_at_fault() {
    let base = "version = \"city-1\"\n[severity]\nhigh_from = 5\nmedium_from = 1\nsuccess = 3\ncore_target = 1\ncritical_target = 2\nintel_match = 2\nrecurrence = 1\nrecurrence_from = 3\nblocked = -2\n[classtypes]\nattempted-recon = \"Attempted Information Leak\"\n";
    let with = |rule: &str| format!("{base}[[rule]]\n{rule}\n");
    let cases = [
        (
            "id = \"r1\"\nsignature_prefixes = [\"ET SCAN\"]\ncategory = \"hacking\"",
            Some("r1"),
            "category",
        ),
        (
            "id = \"r2\"\nsignature_prefixes = [\"ET SCAN\"]\ncategory = \"other\"",
            Some("r2"),
            "sub_bucket",
        ),
        (
            "id = \"r3\"\nsignature_prefixes = [\"ET SCAN\"]\ncategory = \"malware\"\nsub_bucket = \"policy\"",
            Some("r3"),
            "sub_bucket",
        ),
        (
            "id = \"r4\"\nsignature_prefixes = [\"ET SCAN\"]\ncategory = \"malware\"\nrsit = \"malicious-code:virus\"",
            Some("r4"),
            "rsit",
        ),
        (
            "id = \"r5\"\nclasstypes = [\"made-up\"]\ncategory = \"malware\"",
            Some("r5"),
            "classtypes",
        ),
        (
            "id = \"r6\"\nsources = [\"suricata\"]\ncategory = \"malware\"",
            Some("r6"),
            "conditions",
        ),
        (
            "id = \"r7\"\nsources = [\"snort\"]\nname_contains = [\"x\"]\ncategory = \"malware\"",
            Some("r7"),
            "sources",
        ),
        (
            "id = \"r8\"\nnative_severity = [\"1\"]\ncategory = \"malware\"",
            Some("r8"),
            "severity_scale",
        ),
        (
            "id = \"r9\"\nname_contains = []\ncategory = \"malware\"",
            Some("r9"),
            "conditions",
        ),
        (
            "id = \"r10\"\nname_contains = [\"x\"]\ncategory = \"malware\"\nseverity_cap = \"huge\"",
            Some("r10"),
            "severity_cap",
        ),
        (
            "id = \"r11\"\nname_contains = [\"x\"]\ncategory = \"malware\"\ncolour = \"red\"",
            Some("r11"),
            "colour",
        ),
    ];
    for (rule, id, field) in cases {
        let err = RuleSet::parse(&with(rule)).unwrap_err();
        assert_eq!(err.rule.as_deref(), id, "{rule}: {err}");
        assert!(err.to_string().contains(field), "{rule}: {err}");
        assert!(
            err.message.zh.contains(id.unwrap()),
            "{rule}: {:?}",
            err.message
        );
    }
    let twice = format!(
        "{}[[rule]]\nid = \"a\"\nname_contains = [\"y\"]\ncategory = \"dos\"\n",
        with("id = \"a\"\nname_contains = [\"x\"]\ncategory = \"dos\"")
    );
    assert!(
        RuleSet::parse(&twice)
            .unwrap_err()
            .to_string()
            .contains("twice")
    );
    let inverted = base.replace("high_from = 5", "high_from = 1");
    assert!(
        RuleSet::parse(&inverted)
            .unwrap_err()
            .to_string()
            .contains("high_from")
    );
    assert!(RuleSet::parse("not toml at all [").is_err());
    let good = RuleSet::parse(&with(
        "id = \"scan\"\nclasstypes = [\"attempted-recon\"]\ncategory = \"information-gathering\"",
    ))
    .unwrap();
    assert_eq!(good.version(), "city-1");
}

#[test]
fn a_changed_rule_set_reclassifies_and_records_which_version_did_it() {
    let shipped = RuleSet::default_rules().unwrap();
    // The city decides Tor relay traffic is a policy matter, not reconnaissance.
    let edited_text = DEFAULT_RULES
        .replace("version = \"default-2026.1\"", "version = \"city-2026.2\"")
        .replace(", \"ET COMPROMISED\", \"ET TOR\"]", ", \"ET COMPROMISED\"]")
        .replace(
            "signature_prefixes = [\"ET POLICY\",",
            "signature_prefixes = [\"ET TOR\", \"ET POLICY\",",
        );
    let edited = RuleSet::parse(&edited_text).unwrap();
    let tor = eve_alerts()
        .into_iter()
        .find(|a| a.signature().starts_with("ET TOR"))
        .unwrap();
    let before = shipped.classify(&tor, &ScoreContext::default());
    let after = edited.classify(&tor, &ScoreContext::default());
    assert_eq!(before.category, Category::InformationGathering);
    assert_eq!(after.sub_bucket, Some(SubBucket::Policy));
    assert_eq!(after.rule_set_version, "city-2026.2");
    assert_eq!(after.matched_rule_id.as_deref(), Some("et-policy"));
}
