//! Importing STIX 2.1 bundles through the one import pipeline: parse (JSON, then each object
//! with what STIX requires of its type) → deduplicate against what is stored (same id and same
//! `modified` = duplicate; a newer `modified` = an update) → the objects to store and a report
//! where received = created + updated + unchanged + duplicates + rejected. A rejected object
//! keeps its position in `objects` (1-based, in the report's `line`) and a reason in zh + en.

use std::collections::HashMap;

use serde_json::Value;

use crate::import::ImportReport;
use crate::text::Text;

use super::id::StixId;
use super::object::StixObject;
use super::timestamp::StixTimestamp;

pub const REPORT_KIND: &str = "stix";
pub const BUNDLE_FORMAT: &str = "stix-2.1-bundle";

/// An object that passed the checks, with where it was in the bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedObject {
    /// 1-based position in the bundle's `objects`.
    pub position: u64,
    pub object: StixObject,
}

/// A bundle read and checked, not yet compared with what is stored.
#[derive(Debug, Clone)]
pub struct ParsedBundle {
    pub bundle_id: Option<StixId>,
    pub objects: Vec<ReceivedObject>,
    pub report: ImportReport,
}

/// The version of an object already stored: its `modified` (or `created` for marking
/// definitions), `None` for observables, which STIX does not version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion(pub Option<StixTimestamp>);

impl ObjectVersion {
    pub fn of(object: &StixObject) -> Self {
        ObjectVersion(object.version().cloned())
    }
}

/// What the store holds, asked by id; the integrator answers from its table for the ids
/// [`ParsedBundle::ids`] lists.
pub trait StoredVersions {
    fn stored_version(&self, id: &StixId) -> Option<ObjectVersion>;
}

impl StoredVersions for HashMap<StixId, ObjectVersion> {
    fn stored_version(&self, id: &StixId) -> Option<ObjectVersion> {
        self.get(id).cloned()
    }
}

/// For a first import, or tests.
pub struct NothingStored;

impl StoredVersions for NothingStored {
    fn stored_version(&self, _: &StixId) -> Option<ObjectVersion> {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    /// A newer version of a stored object: replace it.
    Update,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedObject {
    pub position: u64,
    pub action: Action,
    pub object: StixObject,
}

/// The outcome: what to store, in order, and the report.
#[derive(Debug, Clone)]
pub struct BundleImport {
    pub bundle_id: Option<StixId>,
    pub to_store: Vec<PlannedObject>,
    pub report: ImportReport,
}

/// Parses and checks a bundle file. A file that is not a STIX bundle at all is one rejected
/// record at position 0, like any unreadable import.
pub fn parse_bundle(bytes: &[u8], source: &str) -> ParsedBundle {
    let report = ImportReport::new(REPORT_KIND, BUNDLE_FORMAT, source);
    let unreadable = |report: ImportReport, why: Text| ParsedBundle {
        bundle_id: None,
        objects: Vec::new(),
        report: report.unreadable(why),
    };
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(e) => {
            return unreadable(
                report,
                Text::new(
                    format!(
                        "不是有效的 JSON（第 {} 行第 {} 欄）：{e}",
                        e.line(),
                        e.column()
                    ),
                    format!(
                        "not valid JSON (line {}, column {}): {e}",
                        e.line(),
                        e.column()
                    ),
                ),
            );
        }
    };
    let Value::Object(mut bundle) = value else {
        return unreadable(
            report,
            Text::new(
                "不是 STIX bundle（應為 JSON 物件）",
                "not a STIX bundle (expected a JSON object)",
            ),
        );
    };
    if bundle.get("type").and_then(Value::as_str) != Some("bundle") {
        return unreadable(
            report,
            Text::new(
                "不是 STIX bundle（type 不是 \"bundle\"）",
                "not a STIX bundle (type is not \"bundle\")",
            ),
        );
    }
    let bundle_id = match bundle.get("id").and_then(Value::as_str).map(StixId::parse) {
        Some(Ok(id)) if id.object_type() == "bundle" => id,
        _ => {
            return unreadable(
                report,
                Text::new(
                    "bundle 的 id 不是「bundle--UUID」",
                    "the bundle's id is not bundle--UUID",
                ),
            );
        }
    };
    let objects = match bundle.remove("objects") {
        None => Vec::new(),
        Some(Value::Array(objects)) => objects,
        Some(_) => {
            return unreadable(
                report,
                Text::new(
                    "bundle 的 objects 不是陣列",
                    "the bundle's objects is not an array",
                ),
            );
        }
    };
    // STIX 2.0 bundles carry spec_version on the bundle; 2.1 bundles must not.
    let bundle_version = bundle.get("spec_version").and_then(Value::as_str);
    let mut parsed = if let Some(version) = bundle_version.filter(|v| *v != "2.1") {
        let mut report = report;
        for (index, object) in objects.iter().enumerate() {
            report.received += 1;
            report.reject(
                position(index),
                Text::new(
                    format!("bundle 的 spec_version 為 {version}；civitas 只讀取 STIX 2.1，請對方以 2.1 匯出"),
                    format!("the bundle is STIX {version}; civitas reads STIX 2.1 only, ask the sender for a 2.1 export"),
                ),
                &object.to_string(),
            );
        }
        ParsedBundle {
            bundle_id: None,
            objects: Vec::new(),
            report,
        }
    } else {
        parse_objects(objects, report)
    };
    parsed.bundle_id = Some(bundle_id);
    parsed
}

fn position(index: usize) -> u64 {
    u64::try_from(index).unwrap_or(u64::MAX).saturating_add(1)
}

/// Checks a list of objects (a bundle's, or a TAXII envelope's) into a parsed bundle.
pub fn parse_objects(objects: Vec<Value>, mut report: ImportReport) -> ParsedBundle {
    let mut accepted = Vec::with_capacity(objects.len());
    for (index, value) in objects.into_iter().enumerate() {
        report.received += 1;
        match StixObject::read(value) {
            Ok(object) => accepted.push(ReceivedObject {
                position: position(index),
                object,
            }),
            Err((why, value)) => report.reject(
                position(index),
                Text::new(
                    format!("第 {} 個物件：{}", position(index), why.zh),
                    format!("object {}: {}", position(index), why.en),
                ),
                &value.to_string(),
            ),
        }
    }
    ParsedBundle {
        bundle_id: None,
        objects: accepted,
        report,
    }
}

impl ParsedBundle {
    /// The ids whose stored versions [`ParsedBundle::plan`] needs.
    pub fn ids(&self) -> Vec<&StixId> {
        self.objects.iter().map(|o| &o.object.id).collect()
    }

    /// Compares each object with the stored version and with earlier copies in the same
    /// bundle. An older version than the one held is counted unchanged: the newer one stays.
    pub fn plan(self, stored: &impl StoredVersions) -> BundleImport {
        let mut report = self.report;
        let mut latest: HashMap<StixId, ObjectVersion> = HashMap::new();
        let mut to_store = Vec::new();
        for received in self.objects {
            let object = received.object;
            let incoming = ObjectVersion::of(&object);
            let held = latest
                .get(&object.id)
                .cloned()
                .or_else(|| stored.stored_version(&object.id));
            let action = match held {
                None => Some(Action::Create),
                Some(held) if held == incoming => {
                    report.duplicates += 1;
                    None
                }
                Some(ObjectVersion(Some(held_at))) => match &incoming.0 {
                    Some(at) if *at > held_at => Some(Action::Update),
                    _ => {
                        report.unchanged += 1;
                        None
                    }
                },
                // An unversioned object already held: same id, nothing to compare.
                Some(ObjectVersion(None)) => {
                    report.duplicates += 1;
                    None
                }
            };
            if let Some(action) = action {
                match action {
                    Action::Create => report.created += 1,
                    Action::Update => report.updated += 1,
                }
                latest.insert(object.id.clone(), incoming);
                to_store.push(PlannedObject {
                    position: received.position,
                    action,
                    object,
                });
            }
        }
        BundleImport {
            bundle_id: self.bundle_id,
            to_store,
            report,
        }
    }
}

/// Parse and plan in one step.
pub fn import_bundle(bytes: &[u8], source: &str, stored: &impl StoredVersions) -> BundleImport {
    parse_bundle(bytes, source).plan(stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intel::object::ObjectBody;
    use crate::intel::pattern::Matchability;
    use crate::intel::test_support::fixture;

    fn stored_after(import: &BundleImport) -> HashMap<StixId, ObjectVersion> {
        import
            .to_store
            .iter()
            .map(|p| (p.object.id.clone(), ObjectVersion::of(&p.object)))
            .collect()
    }

    fn types(import: &BundleImport) -> Vec<&str> {
        import
            .to_store
            .iter()
            .map(|p| p.object.object_type())
            .collect()
    }

    #[test]
    fn each_of_the_six_oasis_bundles_imports_every_object() {
        for (file, count) in [
            ("stix21-incident-core-task-perform-patching.json", 3),
            ("stix21-indicator-for-malicious-url.json", 3),
            ("stix21-indicators-for-C2-with-COA.json", 8),
            ("stix21-sighting-of-an-indicator.json", 4),
            ("stix21-sighting-of-observed-data.json", 8),
            ("stix21-using-marking-definitions.json", 4),
        ] {
            let import = import_bundle(&fixture(file), file, &NothingStored);
            let r = &import.report;
            assert_eq!(r.received, count, "{file}");
            assert_eq!(r.created, count, "{file}: {:?}", r.rejected);
            assert!(
                r.rejected.is_empty() && r.duplicates == 0 && r.reconciles(),
                "{file}"
            );
            assert_eq!(import.to_store.len() as u64, count);
            assert!(import.bundle_id.is_some());
        }
    }

    #[test]
    fn the_c2_bundle_is_read_into_typed_objects_and_its_patterns_are_matchable() {
        let file = "stix21-indicators-for-C2-with-COA.json";
        let import = import_bundle(&fixture(file), file, &NothingStored);
        assert_eq!(
            types(&import),
            [
                "identity",
                "malware",
                "indicator",
                "indicator",
                "course-of-action",
                "relationship",
                "relationship",
                "relationship"
            ]
        );
        let indicators: Vec<_> = import
            .to_store
            .iter()
            .filter_map(|p| p.object.as_indicator())
            .collect();
        assert!(
            indicators
                .iter()
                .all(|i| matches!(i.matchability, Matchability::Matchable(_)))
        );
        assert_eq!(indicators[0].pattern, "[ipv4-addr:value = '10.0.0.0']");
        assert!(matches!(
            &import.to_store[1].object.body,
            ObjectBody::Malware(m) if m.is_family && m.name.as_deref() == Some("Poison Ivy")
        ));
    }

    #[test]
    fn the_marking_bundle_knows_its_tlp_amber_marking_and_keeps_the_statement_raw() {
        let file = "stix21-using-marking-definitions.json";
        let import = import_bundle(&fixture(file), file, &NothingStored);
        let indicator = &import.to_store[1].object;
        assert_eq!(indicator.object_marking_refs.len(), 2);
        let ObjectBody::MarkingDefinition(amber) = &import.to_store[2].object.body else {
            panic!()
        };
        assert_eq!(amber.tlp, Some(crate::intel::tlp::Tlp::Amber));
        let statement = &import.to_store[3].object;
        assert_eq!(
            statement.raw["definition"]["statement"],
            "Copyright (c) Stark Industries 2017."
        );
    }

    #[test]
    fn incident_core_tasks_and_observables_pass_through_with_every_property_kept() {
        let file = "stix21-incident-core-task-perform-patching.json";
        let import = import_bundle(&fixture(file), file, &NothingStored);
        let task = &import.to_store[0].object;
        assert_eq!(task.body, ObjectBody::Other);
        assert_eq!(task.raw["priority"], 30);
        assert_eq!(
            task.modified.as_ref().unwrap().as_str(),
            "2023-04-07T20:00:00.0002Z"
        );
        let original: Value = serde_json::from_slice(&fixture(file)).unwrap();
        assert_eq!(task.to_json(), original["objects"][0]);
    }

    #[test]
    fn re_importing_a_bundle_finds_only_duplicates() {
        let file = "stix21-sighting-of-observed-data.json";
        let first = import_bundle(&fixture(file), file, &NothingStored);
        let again = import_bundle(&fixture(file), file, &stored_after(&first));
        assert_eq!(again.report.received, 8);
        assert_eq!(again.report.duplicates, 8);
        assert_eq!(again.report.created + again.report.updated, 0);
        assert!(again.to_store.is_empty() && again.report.reconciles());
    }

    #[test]
    fn a_newer_modified_replaces_the_stored_object_and_an_older_one_is_ignored() {
        let file = "stix21-indicator-for-malicious-url.json";
        let first = import_bundle(&fixture(file), file, &NothingStored);
        let stored = stored_after(&first);
        let mut bundle: Value = serde_json::from_slice(&fixture(file)).unwrap();
        bundle["objects"][0]["modified"] = "2030-01-01T00:00:00.000Z".into();
        bundle["objects"][0]["revoked"] = true.into();
        bundle["objects"][1]["modified"] = "2000-01-01T00:00:00.000Z".into();
        bundle["objects"][1]["created"] = "2000-01-01T00:00:00.000Z".into();
        let newer = import_bundle(bundle.to_string().as_bytes(), file, &stored);
        let r = &newer.report;
        assert_eq!((r.updated, r.unchanged, r.duplicates), (1, 1, 1));
        assert!(r.reconciles());
        assert_eq!(newer.to_store[0].action, Action::Update);
        assert!(newer.to_store[0].object.revoked);
    }

    #[test]
    fn two_versions_of_one_object_in_one_bundle_create_then_update() {
        let indicator = |modified: &str| {
            serde_json::json!({
                "type": "indicator", "spec_version": "2.1",
                "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "created": "2024-01-01T00:00:00Z", "modified": modified,
                "pattern": "[domain-name:value = 'evil.example']", "pattern_type": "stix",
                "valid_from": "2024-01-01T00:00:00Z"
            })
        };
        let bundle = serde_json::json!({
            "type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "objects": [indicator("2024-01-02T00:00:00Z"), indicator("2024-01-03T00:00:00Z"), indicator("2024-01-02T00:00:00Z")]
        });
        let import = import_bundle(bundle.to_string().as_bytes(), "two.json", &NothingStored);
        let r = &import.report;
        assert_eq!((r.created, r.updated, r.unchanged), (1, 1, 1));
        assert_eq!(import.to_store.len(), 2);
    }

    #[test]
    fn a_file_that_is_not_json_is_one_rejection_saying_where_it_broke() {
        let import = import_bundle(
            b"{\"type\": \"bundle\", \"objects\": [",
            "broken.json",
            &NothingStored,
        );
        let r = &import.report;
        assert_eq!((r.received, r.rejected.len()), (1, 1));
        assert_eq!(r.rejected[0].line, 0);
        assert!(
            r.rejected[0].reason.en.contains("not valid JSON (line 1"),
            "{:?}",
            r.rejected
        );
        assert!(r.rejected[0].reason.zh.contains("不是有效的 JSON"));
        let not_bundle = import_bundle(br#"{"type": "indicator"}"#, "x.json", &NothingStored);
        assert!(
            not_bundle.report.rejected[0]
                .reason
                .en
                .contains("not a STIX bundle")
        );
    }

    #[test]
    fn a_stix_2_0_bundle_is_refused_object_by_object_asking_for_2_1() {
        let bundle = serde_json::json!({
            "type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "spec_version": "2.0",
            "objects": [{
                "type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
                "labels": ["malicious-activity"], "pattern": "[ipv4-addr:value = '10.0.0.1']",
                "valid_from": "2016-01-01T00:00:00Z"
            }, {
                "type": "identity", "id": "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
                "name": "ACME", "identity_class": "organization"
            }]
        });
        let import = import_bundle(bundle.to_string().as_bytes(), "old.json", &NothingStored);
        let r = &import.report;
        assert_eq!((r.received, r.rejected.len()), (2, 2));
        assert_eq!(r.rejected[1].line, 2);
        assert!(
            r.rejected[0].reason.en.contains("STIX 2.0"),
            "{:?}",
            r.rejected[0]
        );
        assert!(r.rejected[0].reason.zh.contains("2.1"));
        // A 2.0 object inside an otherwise 2.1 bundle has no spec_version: refused the same way.
        let mut mixed = bundle.clone();
        mixed.as_object_mut().unwrap().remove("spec_version");
        let import = import_bundle(mixed.to_string().as_bytes(), "mixed.json", &NothingStored);
        assert_eq!(import.report.rejected.len(), 2);
        assert!(import.report.rejected[0].reason.en.contains("STIX 2.0"));
    }

    #[test]
    fn bad_objects_are_rejected_one_by_one_with_their_position_and_a_reason() {
        let good = serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '192.0.2.1']", "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z"
        });
        let with = |key: &str, value: Value| {
            let mut object = good.clone();
            if value.is_null() {
                object.as_object_mut().unwrap().remove(key);
            } else {
                object[key] = value;
            }
            object
        };
        let cases: Vec<(Value, &str)> = vec![
            (
                with("id", "indicator--not-a-uuid".into()),
                "does not end in an RFC 4122 UUID",
            ),
            (
                with("id", "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f".into()),
                "does not start with the object's type",
            ),
            (
                with("pattern", Value::Null),
                "the required property pattern is missing",
            ),
            (
                with("pattern", "[ipv4-addr:value = '192.0.2.1'".into()),
                "the pattern cannot be read",
            ),
            (
                with("valid_from", "2024-01-01T08:00:00+08:00".into()),
                "RFC 3339 UTC timestamp ending in Z",
            ),
            (
                with("modified", Value::Null),
                "the required property modified is missing",
            ),
            (
                with("modified", "2023-01-01T00:00:00Z".into()),
                "earlier than created",
            ),
            (
                with("valid_until", "2023-01-01T00:00:00Z".into()),
                "must be later than valid_from",
            ),
            (
                with(
                    "created_by_ref",
                    "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f".into(),
                ),
                "created_by_ref must refer to identity",
            ),
            (
                with("spec_version", "2.2".into()),
                "unsupported spec_version '2.2'",
            ),
            (with("type", Value::Null), "the type property is missing"),
            (Value::String("indicator".into()), "not a JSON object"),
            (good.clone(), ""),
        ];
        let bundle = serde_json::json!({
            "type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "objects": cases.iter().map(|(o, _)| o.clone()).collect::<Vec<_>>()
        });
        let import = import_bundle(bundle.to_string().as_bytes(), "bad.json", &NothingStored);
        let r = &import.report;
        assert_eq!(r.received, cases.len() as u64);
        assert_eq!(r.created, 1);
        // The refused object is kept as received, for the quarantine.
        assert!(
            r.rejected[2].raw.contains("\"valid_from\""),
            "{}",
            r.rejected[2].raw
        );
        assert!(r.reconciles());
        for (rejected, (index, (_, expected))) in r.rejected.iter().zip(cases.iter().enumerate()) {
            assert_eq!(rejected.line, index as u64 + 1);
            assert!(
                rejected.reason.en.contains(expected),
                "object {}: expected '{expected}' in '{}'",
                index + 1,
                rejected.reason.en
            );
            assert!(
                rejected
                    .reason
                    .en
                    .starts_with(&format!("object {}:", index + 1))
            );
            assert!(!rejected.reason.zh.is_empty() && rejected.reason.zh != rejected.reason.en);
        }
    }

    #[test]
    fn indicators_in_other_pattern_languages_are_stored_but_not_matched() {
        let bundle = serde_json::json!({
            "type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "objects": [{
                "type": "indicator", "spec_version": "2.1",
                "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                "pattern": "alert tcp any any -> any 80 (msg:\"x\"; sid:1;)", "pattern_type": "snort",
                "valid_from": "2024-01-01T00:00:00Z"
            }]
        });
        let import = import_bundle(bundle.to_string().as_bytes(), "snort.json", &NothingStored);
        assert_eq!(import.report.created, 1);
        let indicator = import.to_store[0].object.as_indicator().unwrap();
        let Matchability::Unsupported(why) = &indicator.matchability else {
            panic!()
        };
        assert!(why.en.contains("pattern_type 'snort'"), "{}", why.en);
    }
}
