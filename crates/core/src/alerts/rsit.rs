//! The ENISA / TF-CSIRT Reference Security Incident Taxonomy (RSIT, machine version 1003):
//! the class:type codes exchanged with CSIRTs and ISACs. The city's alert categories each carry one.

/// Every `class:type` in RSIT machinev1 (enisaeu/Reference-Security-Incident-Taxonomy-Task-Force,
/// working_copy/machinev1, CC0). A test proves this list equals the published file.
pub const CODES: [&str; 39] = [
    "abusive-content:spam",
    "abusive-content:harmful-speech",
    "abusive-content:violence",
    "malicious-code:infected-system",
    "malicious-code:c2-server",
    "malicious-code:malware-distribution",
    "malicious-code:malware-configuration",
    "information-gathering:scanner",
    "information-gathering:sniffing",
    "information-gathering:social-engineering",
    "intrusion-attempts:ids-alert",
    "intrusion-attempts:brute-force",
    "intrusion-attempts:exploit",
    "intrusions:privileged-account-compromise",
    "intrusions:unprivileged-account-compromise",
    "intrusions:application-compromise",
    "intrusions:system-compromise",
    "intrusions:burglary",
    "availability:dos",
    "availability:ddos",
    "availability:misconfiguration",
    "availability:sabotage",
    "availability:outage",
    "information-content-security:unauthorised-information-access",
    "information-content-security:unauthorised-information-modification",
    "information-content-security:data-loss",
    "information-content-security:data-leak",
    "fraud:unauthorised-use-of-resources",
    "fraud:copyright",
    "fraud:masquerade",
    "fraud:phishing",
    "vulnerable:weak-crypto",
    "vulnerable:ddos-amplifier",
    "vulnerable:potentially-unwanted-accessible",
    "vulnerable:information-disclosure",
    "vulnerable:vulnerable-system",
    "other:other",
    "other:undetermined",
    "test:test",
];

pub fn is_known(code: &str) -> bool {
    CODES.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_codes_are_exactly_the_published_rsit_taxonomy() {
        let path = format!(
            "{}/../../fixtures/soc/rsit-taxonomy-machinev1.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(file["namespace"], "rsit");
        let mut published: Vec<String> = Vec::new();
        for class in file["values"].as_array().unwrap() {
            let predicate = class["predicate"].as_str().unwrap();
            for entry in class["entry"].as_array().unwrap() {
                published.push(format!("{predicate}:{}", entry["value"].as_str().unwrap()));
            }
        }
        let mut ours: Vec<String> = CODES.iter().map(|c| c.to_string()).collect();
        published.sort();
        ours.sort();
        assert_eq!(ours, published);
    }
}
