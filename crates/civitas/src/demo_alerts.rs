//! The demo's security alerts: a year of Suricata alerts for Taoyuan's agencies whose
//! categories and severities reproduce the audit's 2024 table exactly (4,611 notifications:
//! 入侵嘗試 2,237 = 48.51%, 其他 844 = 18.30%, 資訊蒐集 583 = 12.64%; 高 75 = 1.63%, 中 4,301 =
//! 93.28%), one spike at the art museum in the last month, recurring attackers, and the real
//! Suricata samples from shared data (2015 and 2018) besides. Every alert is an EVE record
//! classified by the rules in force, like any sensor's: nothing is written to the tables
//! directly. The category of each template is the one the built-in rules give it; a test
//! checks that the generated year classifies to the audit's table.

use civitas_core::Platform;
use civitas_core::alerts::analysis::NewAlertNote;
use civitas_core::alerts::{Criticality, ScoreContext, SourceConfig, SourceFormat, SourceName};
use civitas_core::time::Timestamp;
use time::Duration;

use crate::alerts::{AlertSourceSettings, AlertsSettings};
use civitas_core::alerts::{AgencyEntry, TargetEntry};

/// The sensor every demo alert comes from.
pub const SOURCE: &str = "suricata-dmz";

/// Agencies that own address ranges in the demo (10.<n>.0.0/16), with how much of the city's
/// traffic they see (weights).
const AGENCIES: &[(&str, u8, u32)] = &[
    ("380330000E", 30, 14),  // 文化局
    ("TY-ARTMUSEUM", 31, 9), // 美術館
    ("380040000E", 40, 16),  // 教育局
    ("380130000C", 13, 10),  // 警察局
    ("380140000I", 14, 8),   // 衛生局
    ("380260000D", 26, 7),   // 地方稅務局
    ("380290000H", 29, 8),   // 交通局
    ("380020000A", 20, 6),   // 民政局
    ("380320000A", 32, 5),   // 消防局
    ("TY-SCDC", 50, 10),     // 智慧城鄉發展委員會
    ("380160000A", 16, 4),   // 地政局
    ("380120000J", 12, 3),   // 社會局
];

/// The city's core and critical systems in the demo (`[[alerts.targets]]`): the data centre's
/// shared core systems at the smart-city commission and the fire bureau's 119 dispatch.
/// (name, criticality, agency octet, third octet): each is `10.<agency>.<third>.0/24`.
const TARGETS: &[(&str, Criticality, u8, u64)] = &[
    ("市府資料中心核心系統", Criticality::Core, 50, 1),
    ("119 救災救護派遣系統", Criticality::Critical, 32, 1),
];

/// Whether a template's severity stays the same when its target is critical or its source
/// keeps coming back: the demo aims only such alerts at the critical systems and lets only
/// them come from the recurring attackers, so that the year still reproduces the audit's
/// table once targets and recurrence are weighed.
struct Judge {
    rules: std::sync::Arc<civitas_core::alerts::RuleSet>,
    source: SourceConfig,
}

impl Judge {
    fn new() -> Option<Judge> {
        let domain = settings().domain().ok()?;
        Some(Judge {
            rules: domain.shared_rule_set().ok()?,
            source: domain.source(SOURCE)?.clone(),
        })
    }

    fn stable(&self, template: &Template, criticality: Criticality, recurring: bool) -> bool {
        let at = Timestamp::parse_rfc3339("2024-06-01T00:00:00Z");
        let Some(at) = at else { return false };
        let line = eve_line(template, at, "198.51.100.7", "10.0.0.1", 1, 1_024);
        let batch = civitas_core::alerts::parse_batch(
            &self.source,
            line.as_bytes(),
            at.add(Duration::days(1)),
        );
        let Some(alert) = batch.alerts.first() else {
            return false;
        };
        let plain = self.rules.classify(alert, &ScoreContext::default());
        let weighed = self.rules.classify(
            alert,
            &ScoreContext {
                target_criticality: criticality,
                recurrence: if recurring { u32::MAX } else { 0 },
                ..ScoreContext::default()
            },
        );
        plain.severity == weighed.severity
    }
}

/// One kind of alert: its EVE signature, the classtype description EVE writes, the priority.
struct Template {
    signature: &'static str,
    sid: u32,
    class: &'static str,
    priority: u8,
    dest_port: u16,
}

const fn t(
    signature: &'static str,
    sid: u32,
    class: &'static str,
    priority: u8,
    dest_port: u16,
) -> Template {
    Template {
        signature,
        sid,
        class,
        priority,
        dest_port,
    }
}

/// (templates, how many alerts) per cell of the audit's table.
fn cells() -> Vec<(Vec<Template>, u32)> {
    let admin = "Attempted Administrator Privilege Gain";
    let web = "Web Application Attack";
    let recon = "Attempted Information Leak";
    let bad = "Potentially Bad Traffic";
    let trojan = "A Network Trojan was detected";
    let dos = "Detection of a Denial of Service Attack";
    let privacy = "Potential Corporate Privacy Violation";
    let decode = "Generic Protocol Command Decode";
    let misc = "Misc activity";
    vec![
        // 入侵嘗試 2,237: high 60 (evidence the attack worked), medium 2,177.
        (
            vec![
                t(
                    "ET ATTACK_RESPONSE Output of id command from HTTP server",
                    2_019_284,
                    bad,
                    1,
                    80,
                ),
                t(
                    "ET ATTACK_RESPONSE Possible /etc/passwd via HTTP (linux style)",
                    2_002_034,
                    bad,
                    1,
                    443,
                ),
            ],
            60,
        ),
        (
            vec![
                t(
                    "ET EXPLOIT Apache log4j RCE Attempt (CVE-2021-44228)",
                    2_034_647,
                    admin,
                    1,
                    443,
                ),
                t(
                    "ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT",
                    2_006_446,
                    web,
                    1,
                    80,
                ),
                t(
                    "ET EXPLOIT Fortinet FortiOS SSL VPN Path Traversal (CVE-2018-13379)",
                    2_029_985,
                    admin,
                    1,
                    443,
                ),
                t(
                    "ET WEB_SPECIFIC_APPS Possible WordPress Plugin Exploit Attempt",
                    2_011_768,
                    web,
                    2,
                    80,
                ),
                t(
                    "ET EXPLOIT Possible Microsoft Exchange RCE (CVE-2021-26855)",
                    2_032_130,
                    admin,
                    1,
                    443,
                ),
                t(
                    "ET WEB_SERVER Possible XSS Attempt in URI",
                    2_009_714,
                    web,
                    2,
                    443,
                ),
            ],
            2_177,
        ),
        // 其他 844: medium 700 (informational), low 144 (policy, protocol anomalies).
        (
            vec![
                t(
                    "ET INFO Executable Download from dotted-quad Host",
                    2_016_141,
                    bad,
                    2,
                    80,
                ),
                t(
                    "ET INFO Observed DNS Query to .top TLD",
                    2_023_883,
                    bad,
                    2,
                    53,
                ),
                t(
                    "ET USER_AGENTS Suspicious User Agent (python-requests)",
                    2_017_515,
                    misc,
                    2,
                    443,
                ),
            ],
            700,
        ),
        (
            vec![
                t(
                    "ET POLICY Outgoing Basic Auth Base64 HTTP Password detected unencrypted",
                    2_006_380,
                    privacy,
                    1,
                    80,
                ),
                t(
                    "SURICATA HTTP unable to match response to request",
                    2_221_010,
                    decode,
                    3,
                    80,
                ),
                t(
                    "ET POLICY Remote Desktop (RDP) Exposed to Internet",
                    2_023_753,
                    privacy,
                    2,
                    3389,
                ),
            ],
            144,
        ),
        // 資訊蒐集 583: medium 530, low 53.
        (
            vec![
                t(
                    "ET SCAN Suspicious inbound to mySQL port 3306",
                    2_010_937,
                    bad,
                    2,
                    3306,
                ),
                t(
                    "ET SCAN Nmap Scripting Engine User-Agent Detected (Nmap Scripting Engine)",
                    2_009_358,
                    recon,
                    2,
                    80,
                ),
                t(
                    "ET SCAN Zmap User-Agent (Inbound)",
                    2_024_364,
                    recon,
                    2,
                    443,
                ),
            ],
            530,
        ),
        (
            vec![t(
                "ET SCAN Potential VNC Scan 5900-5920",
                2_002_911,
                recon,
                3,
                5900,
            )],
            53,
        ),
        // 網頁攻擊 420: high 15 (a web shell answered), medium 405 (phishing pages).
        (
            vec![t(
                "ET WEB_SERVER WebShell Generic - China Chopper Request",
                2_021_212,
                web,
                1,
                80,
            )],
            15,
        ),
        (
            vec![
                t(
                    "ET PHISHING Suspicious Office 365 Login Page Hosted on Agency Web Server",
                    2_031_000,
                    bad,
                    2,
                    443,
                ),
                t(
                    "ET PHISHING Possible Credential Phish Landing Page",
                    2_029_656,
                    bad,
                    2,
                    80,
                ),
            ],
            405,
        ),
        // 惡意程式 260, 帳號密碼攻擊 187, 阻斷服務 80 (42 medium, 38 low).
        (
            vec![
                t(
                    "ET MALWARE Cobalt Strike Beacon Observed",
                    2_027_082,
                    trojan,
                    1,
                    443,
                ),
                t(
                    "ET TROJAN Possible Emotet Activity",
                    2_030_868,
                    trojan,
                    1,
                    8080,
                ),
                t(
                    "ET COINMINER Crypto Mining Pool Login",
                    2_024_792,
                    trojan,
                    2,
                    3333,
                ),
            ],
            260,
        ),
        (
            vec![
                t(
                    "ET SCAN Potential SSH Brute Force Login Attempt",
                    2_001_219,
                    bad,
                    2,
                    22,
                ),
                t(
                    "ET SCAN Possible RDP Brute Force Login Attempt",
                    2_027_270,
                    bad,
                    2,
                    3389,
                ),
            ],
            187,
        ),
        (
            vec![t(
                "ET DOS Possible NTP DDoS Inbound Frequent Un-Authed MON_LIST Requests",
                2_017_919,
                dos,
                2,
                123,
            )],
            42,
        ),
        (
            vec![t(
                "ET DOS Inbound Low Orbit Ion Cannon LOIC DDOS Tool desu string",
                2_012_049,
                dos,
                3,
                80,
            )],
            38,
        ),
    ]
}

/// The demo's `[alerts]` settings when the configuration names none: one Suricata sensor, the
/// agencies' ranges, and the real samples' networks (the WRCCDC competition network to the
/// culture bureau, the honeypot to the police).
pub fn settings() -> AlertsSettings {
    let mut agencies: Vec<AgencyEntry> = AGENCIES
        .iter()
        .map(|(code, octet, _)| AgencyEntry {
            agency: (*code).into(),
            ranges: vec![format!("10.{octet}.0.0/16")],
            hosts: Vec::new(),
            agents: Vec::new(),
        })
        .collect();
    if let Some(culture) = agencies.iter_mut().find(|a| a.agency == "380330000E") {
        culture.ranges.push("10.47.0.0/16".into());
    }
    if let Some(police) = agencies.iter_mut().find(|a| a.agency == "380130000C") {
        police.ranges.push("172.16.0.0/12".into());
    }
    let targets = TARGETS
        .iter()
        .map(|(name, criticality, octet, third)| TargetEntry {
            name: (*name).into(),
            criticality: match criticality {
                Criticality::Critical => "critical",
                _ => "core",
            }
            .into(),
            ranges: vec![format!("10.{octet}.{third}.0/24")],
            hosts: Vec::new(),
        })
        .collect();
    AlertsSettings {
        targets,
        sources: vec![AlertSourceSettings {
            name: SOURCE.into(),
            kind: "suricata".into(),
            zone: String::new(),
            mapping: None,
        }],
        agencies,
        ..AlertsSettings::default()
    }
}

/// A small deterministic generator: the demo is the same every time.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// Recurring attackers: a few sources come back month after month.
/// A Tor exit node that comes back all year (an analyst's note names it).
const TOR_EXIT: &str = "185.220.101.34";

const RECURRING: &[&str] = &[
    TOR_EXIT,
    "45.155.205.233",
    "193.32.162.157",
    "103.145.13.201",
    "61.177.172.140",
];

fn eve_line(
    template: &Template,
    at: Timestamp,
    src: &str,
    dest: &str,
    flow: u64,
    src_port: u64,
) -> String {
    let local = at.in_taipei();
    let timestamp = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+0800",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute(),
        local.second(),
        local.microsecond()
    );
    serde_json::json!({
        "timestamp": timestamp,
        "flow_id": flow,
        "in_iface": "eth1",
        "event_type": "alert",
        "src_ip": src,
        "src_port": src_port,
        "dest_ip": dest,
        "dest_port": template.dest_port,
        "proto": if template.dest_port == 123 || template.dest_port == 53 { "UDP" } else { "TCP" },
        "alert": {
            "action": "allowed",
            "gid": 1,
            "signature_id": template.sid,
            "rev": 3,
            "signature": template.signature,
            "category": template.class,
            "severity": template.priority,
        },
        "host": "ids-dmz-01",
    })
    .to_string()
}

/// The year's alerts as EVE lines, grouped by Taipei month (`YYYY-MM`), for the 12 months up
/// to `now` (the current month up to yesterday).
pub fn year(now: Timestamp) -> Vec<(String, Vec<String>)> {
    let today = now.taipei_date();
    let this_month = civitas_core::alerts::analysis::month_of(now);
    let first_month = civitas_core::alerts::analysis::months_back(&this_month, 11)
        .unwrap_or_else(|| this_month.clone());
    let first_day =
        civitas_core::time::parse_iso_date(&format!("{first_month}-01")).unwrap_or(today);
    let days: Vec<time::Date> = (0..400)
        .filter_map(|n| first_day.checked_add(Duration::days(n)))
        .filter(|d| *d < today)
        .collect();
    let spike_day = today.checked_sub(Duration::days(9)).unwrap_or(today);
    let weight_total: u32 = AGENCIES.iter().map(|a| a.2).sum();
    let mut rng = Lcg(20_241_231);
    let mut months: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut flow: u64 = 1_234_567_890_123_456;
    let mut spike_left = 24;
    let judge = Judge::new();
    let stable = |template: &Template, criticality: Criticality, recurring: bool| {
        judge
            .as_ref()
            .is_some_and(|j| j.stable(template, criticality, recurring))
    };
    for (templates, count) in cells() {
        let may_recur: Vec<bool> = templates
            .iter()
            .map(|t| stable(t, Criticality::Ordinary, true))
            .collect();
        for i in 0..count {
            let Some(template) = templates.get((i as usize) % templates.len()) else {
                continue;
            };
            // The art museum's bad day: two dozen exploit attempts from many networks.
            let spike =
                spike_left > 0 && template.signature.starts_with("ET EXPLOIT") && i % 7 == 0;
            let (agency_octet, day) = if spike {
                spike_left -= 1;
                (31, spike_day)
            } else {
                let mut pick = rng.below(u64::from(weight_total)) as u32;
                let mut octet = AGENCIES.first().map(|a| a.1).unwrap_or(30);
                for (_, o, w) in AGENCIES {
                    if pick < *w {
                        octet = *o;
                        break;
                    }
                    pick -= w;
                }
                let Some(mut day) = days.get(rng.below(days.len() as u64) as usize).copied() else {
                    continue;
                };
                // Weekends are quieter: move most of them to the Monday before.
                if day.weekday().number_from_monday() >= 6 && rng.below(3) != 0 {
                    let back = i64::from(day.weekday().number_from_monday()) - 1;
                    if let Some(monday) = day.checked_sub(Duration::days(back))
                        && monday >= first_day
                    {
                        day = monday;
                    }
                }
                (octet, day)
            };
            let second_of_day = rng.below(86_400);
            let at = Timestamp::taipei_midnight(day)
                .add(Duration::seconds(second_of_day as i64))
                .add(Duration::microseconds(rng.below(1_000_000) as i64));
            let recurs = may_recur
                .get((i as usize) % templates.len())
                .copied()
                .unwrap_or(false);
            let src = if !spike && rng.below(5) == 0 && recurs {
                RECURRING
                    .get(rng.below(RECURRING.len() as u64) as usize)
                    .copied()
                    .unwrap_or(TOR_EXIT)
                    .to_string()
            } else {
                format!(
                    "{}.{}.{}.{}",
                    [45, 89, 103, 118, 141, 176, 185, 194, 211, 222]
                        .get(rng.below(10) as usize)
                        .copied()
                        .unwrap_or(45),
                    rng.below(254) + 1,
                    rng.below(254) + 1,
                    rng.below(254) + 1
                )
            };
            let mut third = rng.below(8) + 1;
            let fourth = rng.below(250) + 2;
            if let Some((_, criticality, _, _)) = TARGETS
                .iter()
                .find(|(_, _, octet, t)| *octet == agency_octet && *t == third)
                && !stable(template, *criticality, RECURRING.contains(&src.as_str()))
            {
                // Not this kind of alert at a critical system: the next subnet instead.
                third = 9;
            }
            let dest = format!("10.{agency_octet}.{third}.{fourth}");
            flow += 1 + rng.below(1_000_000);
            let line = eve_line(template, at, &src, &dest, flow, 1_024 + rng.below(60_000));
            months
                .entry(civitas_core::alerts::analysis::month_of(at))
                .or_default()
                .push(line);
        }
    }
    months.into_iter().collect()
}

/// The real Suricata samples shipped as fixtures (MIT), imported as they are.
const SAMPLES: [(&str, &[u8]); 3] = [
    (
        "suricata-eve-alerts-wrccdc-2018.json",
        include_bytes!("../../../fixtures/soc/suricata-eve-alerts-wrccdc-2018.json"),
    ),
    (
        "suricata-eve-alerts-honeypot-2018.json",
        include_bytes!("../../../fixtures/soc/suricata-eve-alerts-honeypot-2018.json"),
    ),
    (
        "suricata-eve-alerts-first-org-conf-2015.json",
        include_bytes!("../../../fixtures/soc/suricata-eve-alerts-first-org-conf-2015.json"),
    ),
];

/// Imports the demo year and the real samples, and leaves two analysts' notes.
pub async fn replay(
    p: &Platform,
    clock: &civitas_core::clock::ManualClock,
    now: Timestamp,
) -> anyhow::Result<()> {
    let err = |e: civitas_core::DomainError| anyhow::anyhow!("{e}");
    let op = crate::runtime::operator();
    let source = SourceConfig::new(
        SourceName::parse(SOURCE).map_err(|e| anyhow::anyhow!("{}", e.en))?,
        SourceFormat::Suricata,
    );
    // The sensor posted each month as it went; here they arrive now, all in the past.
    clock.set(now);
    for (month, lines) in year(now) {
        let body = lines.join("\n");
        let done = p
            .alerts()
            .import(
                &op,
                &source,
                body.as_bytes(),
                &format!("demo/eve-{month}.json"),
            )
            .await
            .map_err(err)?;
        anyhow::ensure!(
            done.report.rejected.is_empty(),
            "demo alerts of {month} rejected: {:?}",
            done.report.rejected
        );
    }
    for (name, bytes) in SAMPLES {
        p.alerts()
            .import(&op, &source, bytes, &format!("fixtures/soc/{name}"))
            .await
            .map_err(err)?;
    }
    clock.set(now.sub(Duration::days(3)));
    let analyst = crate::demo::caller_named(p, "lin.soc").await?;
    for (dimension, value, agency, cause, countermeasure) in [
        (
            "category",
            "information-gathering",
            Some("380330000E"),
            "文化局對外網站主機開放 3306 與 5900 埠，成為掃描目標。",
            "已關閉資料庫與遠端桌面對外連線，改由 VPN 進入；防火牆封鎖重複來源。",
        ),
        (
            "source_ip",
            TOR_EXIT,
            None,
            "此位址為 Tor 出口節點，一年內多次對各機關進行攻擊嘗試。",
            "已列入全市防火牆黑名單，並分享至區域聯防情資平台。",
        ),
    ] {
        p.alerts()
            .add_note(
                &analyst,
                NewAlertNote {
                    dimension: dimension.into(),
                    value: value.into(),
                    agency: agency
                        .map(civitas_core::agencies::AgencyCode::parse)
                        .transpose()
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                    cause: cause.into(),
                    countermeasure: countermeasure.into(),
                },
            )
            .await
            .map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use civitas_core::alerts::{Category, Severity, parse_batch};
    use std::collections::BTreeMap;

    #[test]
    fn the_demo_year_classifies_to_the_audits_table() {
        let now = Timestamp::parse_rfc3339("2026-11-28T04:00:00Z").unwrap();
        let settings = settings().domain().unwrap();
        let rules = settings.rule_set().unwrap();
        let source = settings.source(SOURCE).unwrap();
        let mut categories: BTreeMap<Category, u32> = BTreeMap::new();
        let mut severities: BTreeMap<Severity, u32> = BTreeMap::new();
        let mut placed = 0;
        let months = year(now);
        assert_eq!(months.len(), 12, "twelve months up to this one");
        assert_eq!(months[0].0, "2025-12");
        let mut all = Vec::new();
        for (_, lines) in &months {
            let batch = parse_batch(source, lines.join("\n").as_bytes(), now);
            assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
            all.extend(batch.alerts);
        }
        // Weighed as the import weighs them: the critical systems and how often each source
        // came back within 30 days (the months are imported in order, so every earlier alert
        // is stored by then).
        let refs: Vec<&civitas_core::alerts::Alert> = all.iter().collect();
        let recurrence = civitas_core::alerts::recurrence::counts(&refs, &Default::default());
        let (mut at_targets, mut recurred) = (0, 0);
        for (alert, recurrence) in all.iter().zip(recurrence) {
            assert!(alert.observed_at < now);
            let target = settings.targets.resolve(alert);
            let context = ScoreContext {
                target_criticality: target.as_ref().map(|t| t.criticality).unwrap_or_default(),
                target: target.map(|t| t.label),
                recurrence,
                ..ScoreContext::default()
            };
            let c = rules.classify(alert, &context);
            let plain = rules.classify(alert, &ScoreContext::default());
            if c.score != plain.score {
                if context.target.is_some() {
                    at_targets += 1;
                }
                if recurrence >= 3 {
                    recurred += 1;
                }
            }
            *categories.entry(c.category).or_default() += 1;
            *severities.entry(c.severity).or_default() += 1;
            if settings.agencies.resolve(alert).agency.is_some() {
                placed += 1;
            }
        }
        assert!(
            at_targets > 20,
            "the critical systems are attacked: {at_targets}"
        );
        assert!(recurred > 300, "attackers come back: {recurred}");
        let total: u32 = categories.values().sum();
        assert_eq!(total, 4_611);
        assert_eq!(placed, 4_611, "every demo alert falls in an agency's range");
        assert_eq!(categories[&Category::IntrusionAttempt], 2_237);
        assert_eq!(categories[&Category::Other], 844);
        assert_eq!(categories[&Category::InformationGathering], 583);
        assert_eq!(severities[&Severity::High], 75);
        assert_eq!(severities[&Severity::Medium], 4_301);
        assert_eq!(severities[&Severity::Low], 235);
    }
}
