//! An incident and its follow-up actions as STIX 2.1, with the Incident Core extension suite
//! (oasis-open/cti-stix-common-objects: the incident property-extension and the `task` SDO), for
//! the regional exchange; and the way back, reading such a bundle into plain values.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::cases::actions::{Action, ActionStatus, Priority};
use crate::cases::incident::{Determination, Incident, IncidentOrigin, IncidentStatus};
use crate::intel::{BundleBuilder, CityIdentity, StixId, StixTimestamp};
use crate::text::Text;
use crate::time::Timestamp;

/// The Incident Core extension (a property-extension of `incident`).
pub const INCIDENT_CORE: &str = "extension-definition--ef765651-680c-498d-9894-99799f2fa126";
/// The Task extension (a new SDO, `task`).
pub const TASK_EXTENSION: &str = "extension-definition--2074a052-8be4-4932-849e-f5e7798e0030";

/// Where exported objects point back to civitas' own records.
const SOURCE_NAME: &str = "civitas";

fn determination(d: Determination) -> &'static str {
    match d {
        Determination::Suspected => "suspected",
        Determination::Confirmed => "successful-attempt",
        Determination::FalsePositive => "false-positive",
        Determination::BenignTruePositive => "low-value",
    }
}

fn investigation_status(s: IncidentStatus) -> &'static str {
    match s {
        IncidentStatus::New => "new",
        IncidentStatus::Closed => "closed",
        _ => "open",
    }
}

fn outcome(s: ActionStatus) -> &'static str {
    match s {
        ActionStatus::Planned => "pending",
        ActionStatus::InProgress
        | ActionStatus::DonePendingVerification
        | ActionStatus::SentBack => "ongoing",
        ActionStatus::Verified => "successful",
    }
}

fn priority(p: Priority) -> u8 {
    match p {
        Priority::High => 90,
        Priority::Medium => 60,
        Priority::Low => 30,
    }
}

/// Adds a property to a JSON object (the objects built here always are objects).
fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}

fn stamp(at: Timestamp) -> StixTimestamp {
    StixTimestamp::from_timestamp(at)
}

fn reference(kind: &str, id: &str) -> Value {
    json!([{ "source_name": SOURCE_NAME, "external_id": id, "description": kind }])
}

/// The STIX id civitas gives an incident or action: derived from its record id, so every
/// export of the same record names the same object.
pub fn incident_stix_id(incident: &Incident) -> StixId {
    StixId::derived("incident", &[incident.id.as_str()])
}

pub fn task_stix_id(action: &Action) -> StixId {
    StixId::derived("task", &[action.id.as_str()])
}

/// The bundle: the city's identity, the incident with the Incident Core extension listing its
/// tasks, and one `task` per action. `modified` is each record's last change, so exporting an
/// unchanged incident twice gives the same bundle.
pub fn export_incident(incident: &Incident, actions: &[Action], city: &CityIdentity) -> Value {
    let tasks: Vec<Value> = actions.iter().map(|a| task_object(a, city)).collect();
    let mut extension = json!({
        "extension_type": "property-extension",
        "determination": determination(incident.determination),
        "investigation_status": investigation_status(incident.status),
        "incident_types": [incident.category.rsit()],
        "detection_methods": [match incident.origin {
            IncidentOrigin::Alerts { .. } => "soc-monitoring",
            IncidentOrigin::Manual { .. } => "human-review",
        }],
    });
    if let Some(level) = incident.level() {
        set(
            &mut extension,
            "criticality",
            json!(u32::from(level.get()) * 25),
        );
    }
    if !tasks.is_empty() {
        set(
            &mut extension,
            "tasks",
            actions
                .iter()
                .map(|a| json!({ "task_ref": task_stix_id(a) }))
                .collect(),
        );
    }
    let mut object = json!({
        "type": "incident",
        "spec_version": "2.1",
        "id": incident_stix_id(incident),
        "created_by_ref": city.id,
        "created": stamp(incident.opened_at),
        "modified": stamp(incident.updated_at),
        "name": incident.title,
        "external_references": reference("incident", incident.id.as_str()),
        "extensions": { INCIDENT_CORE: extension },
    });
    if !incident.description.trim().is_empty() {
        set(&mut object, "description", json!(incident.description));
    }
    let mut builder = BundleBuilder::new();
    builder.push(city.to_stix());
    builder.push(object);
    for task in tasks {
        builder.push(task);
    }
    builder.into_bundle()
}

fn task_object(action: &Action, city: &CityIdentity) -> Value {
    let mut task = json!({
        "type": "task",
        "spec_version": "2.1",
        "id": task_stix_id(action),
        "created_by_ref": city.id,
        "created": stamp(action.created_at),
        "modified": stamp(action.updated_at),
        "name": action.recommendation,
        "description": action.closure_criteria,
        "task_types": ["remediation"],
        "outcome": outcome(action.status),
        "priority": priority(action.priority),
        "start_time": stamp(action.created_at),
        "external_references": reference("action", action.id.as_str()),
        "extensions": { TASK_EXTENSION: { "extension_type": "new-sdo" } },
    });
    if let Some(verified) = action.verified_at {
        set(&mut task, "end_time", json!(stamp(verified)));
    }
    task
}

/// A task read back from a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedTask {
    pub stix_id: String,
    pub name: String,
    pub description: Option<String>,
    pub outcome: String,
    pub priority: Option<u8>,
    pub start_time: Option<Timestamp>,
    pub end_time: Option<Timestamp>,
    /// civitas' own action id, when the task came from civitas.
    pub civitas_id: Option<String>,
}

/// An incident read back from a bundle, with its tasks in the order the incident lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedIncident {
    pub stix_id: String,
    pub name: String,
    pub description: Option<String>,
    pub created: Timestamp,
    pub modified: Timestamp,
    /// As written in STIX, and civitas' reading of it when there is one.
    pub determination: String,
    pub civitas_determination: Option<Determination>,
    pub investigation_status: String,
    pub incident_types: Vec<String>,
    pub criticality: Option<u8>,
    pub tasks: Vec<ImportedTask>,
    pub civitas_id: Option<String>,
}

const DETERMINATIONS: [&str; 6] = [
    "blocked",
    "failed-attempt",
    "false-positive",
    "low-value",
    "successful-attempt",
    "suspected",
];
const OUTCOMES: [&str; 6] = [
    "cancelled",
    "failed",
    "ongoing",
    "pending",
    "successful",
    "unknown",
];

/// Reads every incident carrying the Incident Core extension out of a bundle. A bundle without
/// one, an unknown determination or outcome, or a task the incident lists but the bundle lacks
/// is refused with the object named.
pub fn import_incidents(bytes: &[u8]) -> Result<Vec<ImportedIncident>, Text> {
    let bundle: Value = serde_json::from_slice(bytes).map_err(|e| {
        Text::new(
            format!("不是有效的 JSON：{e}"),
            format!("not valid JSON: {e}"),
        )
    })?;
    if bundle.get("type").and_then(Value::as_str) != Some("bundle") {
        return Err(Text::new("這不是 STIX bundle", "this is not a STIX bundle"));
    }
    let objects = bundle
        .get("objects")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let by_id = |id: &str| objects.iter().find(|o| str_of(o, "id") == Some(id));
    let mut out = Vec::new();
    for object in objects
        .iter()
        .filter(|o| str_of(o, "type") == Some("incident"))
    {
        let id = str_of(object, "id").unwrap_or_default().to_string();
        let Some(ext) = object.get("extensions").and_then(|e| e.get(INCIDENT_CORE)) else {
            continue;
        };
        let determination = str_of(ext, "determination").unwrap_or_default().to_string();
        if !DETERMINATIONS.contains(&determination.as_str()) {
            return Err(problem(&id, "determination", &determination));
        }
        let investigation_status = str_of(ext, "investigation_status")
            .ok_or_else(|| problem(&id, "investigation_status", ""))?
            .to_string();
        let mut tasks = Vec::new();
        for entry in ext
            .get("tasks")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let task_ref = str_of(entry, "task_ref").unwrap_or_default();
            let task = by_id(task_ref).ok_or_else(|| {
                Text::new(
                    format!("{id} 列出的工作 {task_ref} 不在此 bundle 中"),
                    format!("{id} lists task {task_ref}, which is not in the bundle"),
                )
            })?;
            tasks.push(read_task(task)?);
        }
        out.push(ImportedIncident {
            name: str_of(object, "name").unwrap_or_default().to_string(),
            description: str_of(object, "description").map(str::to_string),
            created: time_of(object, "created").ok_or_else(|| problem(&id, "created", ""))?,
            modified: time_of(object, "modified").ok_or_else(|| problem(&id, "modified", ""))?,
            civitas_determination: match determination.as_str() {
                "suspected" => Some(Determination::Suspected),
                "successful-attempt" => Some(Determination::Confirmed),
                "false-positive" => Some(Determination::FalsePositive),
                "low-value" => Some(Determination::BenignTruePositive),
                _ => None,
            },
            determination,
            investigation_status,
            incident_types: ext
                .get("incident_types")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            criticality: ext
                .get("criticality")
                .and_then(Value::as_u64)
                .and_then(|c| u8::try_from(c).ok()),
            tasks,
            civitas_id: civitas_id(object),
            stix_id: id,
        });
    }
    if out.is_empty() {
        return Err(Text::new(
            "bundle 中沒有帶 Incident Core 延伸的 incident 物件",
            "the bundle has no incident with the Incident Core extension",
        ));
    }
    Ok(out)
}

fn read_task(task: &Value) -> Result<ImportedTask, Text> {
    let id = str_of(task, "id").unwrap_or_default().to_string();
    if str_of(task, "type") != Some("task")
        || task
            .get("extensions")
            .and_then(|e| e.get(TASK_EXTENSION))
            .is_none()
    {
        return Err(problem(
            &id,
            "type",
            str_of(task, "type").unwrap_or_default(),
        ));
    }
    let outcome = str_of(task, "outcome").unwrap_or_default().to_string();
    if !OUTCOMES.contains(&outcome.as_str()) {
        return Err(problem(&id, "outcome", &outcome));
    }
    Ok(ImportedTask {
        name: str_of(task, "name").unwrap_or_default().to_string(),
        description: str_of(task, "description").map(str::to_string),
        outcome,
        priority: task
            .get("priority")
            .and_then(Value::as_u64)
            .and_then(|p| u8::try_from(p).ok()),
        start_time: time_of(task, "start_time"),
        end_time: time_of(task, "end_time"),
        civitas_id: civitas_id(task),
        stix_id: id,
    })
}

fn str_of<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

fn time_of(object: &Value, key: &str) -> Option<Timestamp> {
    str_of(object, key)
        .and_then(|t| StixTimestamp::parse(t).ok())
        .map(|t| t.at())
}

fn civitas_id(object: &Value) -> Option<String> {
    object
        .get("external_references")
        .and_then(Value::as_array)?
        .iter()
        .find(|r| str_of(r, "source_name") == Some(SOURCE_NAME))
        .and_then(|r| str_of(r, "external_id"))
        .map(str::to_string)
}

fn problem(id: &str, field: &str, value: &str) -> Text {
    Text::new(
        format!("{id} 的 {field}「{value}」不符合 Incident Core 延伸的規定"),
        format!("{id}: {field} '{value}' is not what the Incident Core extension allows"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::UserName;
    use crate::agencies::AgencyCode;
    use crate::cases::actions::{NewAction, RecurrenceBasis};
    use crate::cases::clocks::RuleBook;
    use crate::cases::id::{NotificationRef, RecordId};
    use crate::cases::incident::{IncidentCategory, NewIncident, TimelineKind};
    use crate::cases::level::{AssetClass, Effect, Impact, Sensitivity, Severity};
    use crate::intel::test_support::{TempBundle, fixture, validate, warnings};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn user(name: &str) -> UserName {
        UserName::parse(name).unwrap()
    }

    /// The defaced website, contained, with one verified and one planned action.
    fn website_incident() -> (Incident, Vec<Action>) {
        let soc = user("soc.lin");
        let (mut incident, _) = Incident::open(
            NewIncident {
                id: RecordId::parse("INC-2025-0047").unwrap(),
                title: "勞動局官網遭植入廣告連結".into(),
                agency: AgencyCode::parse("TY-LABOR").unwrap(),
                category: IncidentCategory::MaliciousWebContent,
                origin: IncidentOrigin::Alerts {
                    notifications: vec![NotificationRef::parse("grp-881").unwrap()],
                },
                assets: vec![],
                occurred_at: None,
                aware_at: t("2025-07-01T08:00:00+08:00"),
                people: vec![],
                description: "CMS 外掛遭利用，首頁被植入博弈廣告連結".into(),
            },
            &RuleBook::embedded().unwrap(),
            &soc,
            t("2025-07-01T08:05:00+08:00"),
        )
        .unwrap();
        incident
            .assess_level(
                vec![Effect {
                    asset: "勞動局官方網站".into(),
                    class: AssetClass::Core,
                    sensitivity: Sensitivity::Ordinary,
                    impact: Impact::SystemTampered {
                        severity: Severity::Minor,
                    },
                }],
                None,
                &soc,
                t("2025-07-01T08:30:00+08:00"),
            )
            .unwrap();
        incident
            .record(
                TimelineKind::Contained,
                t("2025-07-01T12:00:00+08:00"),
                None,
                &soc,
                t("2025-07-01T12:00:00+08:00"),
            )
            .unwrap();
        incident
            .determine(
                Determination::Confirmed,
                "鑑識確認",
                &soc,
                t("2025-07-02T09:00:00+08:00"),
            )
            .unwrap();
        let plan = |id: &str, text: &str, priority| {
            Action::plan(
                NewAction {
                    id: RecordId::parse(id).unwrap(),
                    incident: incident.id.clone(),
                    finding: None,
                    recommendation: text.into(),
                    owner_agency: AgencyCode::parse("TY-LABOR").unwrap(),
                    owner: user("web.chen"),
                    due_at: t("2025-08-01T17:00:00+08:00"),
                    priority,
                    closure_criteria: "弱點掃描無高風險弱點".into(),
                    basis: RecurrenceBasis::default(),
                },
                &soc,
                t("2025-07-03T09:00:00+08:00"),
            )
            .unwrap()
            .0
        };
        let mut patched = plan("ACT-2025-0077", "更新 CMS 與外掛", Priority::High);
        let owner = user("web.chen");
        patched
            .start(&owner, t("2025-07-04T09:00:00+08:00"))
            .unwrap();
        patched
            .add_evidence(
                "patch.log",
                b"plugin 2.3.1",
                None,
                &owner,
                t("2025-07-10T09:00:00+08:00"),
            )
            .unwrap();
        patched
            .submit("done", &owner, t("2025-07-10T09:05:00+08:00"))
            .unwrap();
        patched
            .verify("ok", &soc, t("2025-07-11T09:00:00+08:00"))
            .unwrap();
        let waf = plan("ACT-2025-0078", "官網前加設 WAF 規則", Priority::Medium);
        (incident, vec![patched, waf])
    }

    fn city() -> CityIdentity {
        CityIdentity::new(
            "桃園市政府 Taoyuan City Government",
            t("2024-01-01T00:00:00Z"),
        )
    }

    #[test]
    fn an_incident_with_its_tasks_exports_as_incident_core_validates_and_reimports_with_its_tasks()
    {
        let (incident, actions) = website_incident();
        let bundle = export_incident(&incident, &actions, &city());
        let objects = bundle["objects"].as_array().unwrap();
        assert_eq!(objects.len(), 4, "identity, incident, two tasks");
        let exported = &objects[1];
        let ext = &exported["extensions"][INCIDENT_CORE];
        assert_eq!(ext["determination"], "successful-attempt");
        assert_eq!(ext["investigation_status"], "open");
        assert_eq!(ext["criticality"], 50, "level 2");
        assert_eq!(ext["tasks"].as_array().unwrap().len(), 2);

        let file = TempBundle::new("incident-core.json", &bundle);
        let report = validate(&[&file]);
        assert!(report.contains(": valid,"), "{report}");
        for warning in warnings(&report) {
            // Only the SHOULD civitas does not follow by design: derived, not random, ids.
            assert!(
                warning.contains("{103}") && warning.contains("not a valid UUIDv4"),
                "{warning}"
            );
        }

        // The intel capability's importer stores it as it stores any bundle from the exchange.
        let stored = crate::intel::bundle::import_bundle(
            bundle.to_string().as_bytes(),
            "incident-core.json",
            &crate::intel::bundle::NothingStored,
        );
        assert_eq!(stored.report.created, 4, "{:?}", stored.report.rejected);

        let back = import_incidents(bundle.to_string().as_bytes()).unwrap();
        assert_eq!(back.len(), 1);
        let back = &back[0];
        assert_eq!(back.name, incident.title);
        assert_eq!(back.civitas_id.as_deref(), Some("INC-2025-0047"));
        assert_eq!(back.civitas_determination, Some(Determination::Confirmed));
        assert_eq!(
            back.incident_types,
            vec!["information-content-security:unauthorised-information-modification"]
        );
        assert_eq!(back.created, t("2025-07-01T08:05:00+08:00"));
        assert_eq!(
            back.modified,
            t("2025-07-02T09:00:00+08:00"),
            "the determination was the last change"
        );
        let tasks: Vec<(&str, &str, Option<u8>)> = back
            .tasks
            .iter()
            .map(|t| {
                (
                    t.civitas_id.as_deref().unwrap(),
                    t.outcome.as_str(),
                    t.priority,
                )
            })
            .collect();
        assert_eq!(
            tasks,
            [
                ("ACT-2025-0077", "successful", Some(90)),
                ("ACT-2025-0078", "pending", Some(60))
            ]
        );
        assert_eq!(back.tasks[0].end_time, Some(t("2025-07-11T09:00:00+08:00")));
        assert_eq!(back.tasks[1].end_time, None);
    }

    #[test]
    fn exporting_an_unchanged_incident_twice_gives_the_same_bundle() {
        let (incident, actions) = website_incident();
        assert_eq!(
            export_incident(&incident, &actions, &city()),
            export_incident(&incident, &actions, &city())
        );
    }

    #[test]
    fn a_bundle_whose_incident_lists_a_missing_task_is_refused_with_the_task_named() {
        let (incident, actions) = website_incident();
        let mut bundle = export_incident(&incident, &actions, &city());
        let objects = bundle["objects"].as_array_mut().unwrap();
        let missing = objects.pop().unwrap()["id"].as_str().unwrap().to_string();
        let err = import_incidents(bundle.to_string().as_bytes()).unwrap_err();
        assert!(err.en.contains(&missing), "{}", err.en);
    }

    #[test]
    fn the_oasis_task_example_alone_has_no_incident_to_import_and_a_made_up_determination_is_refused()
     {
        let err = import_incidents(&fixture("stix21-incident-core-task-perform-patching.json"))
            .unwrap_err();
        assert!(err.en.contains("no incident"));
        let (incident, actions) = website_incident();
        let mut bundle = export_incident(&incident, &actions, &city());
        bundle["objects"][1]["extensions"][INCIDENT_CORE]["determination"] = json!("probably");
        let err = import_incidents(bundle.to_string().as_bytes()).unwrap_err();
        assert!(err.en.contains("determination 'probably'"), "{}", err.en);
    }
}
