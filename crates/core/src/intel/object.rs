//! One STIX 2.1 object as civitas holds it: the raw JSON exactly as received (nothing lost,
//! unknown and custom properties included), the common properties read, and a typed view of
//! the types the city works with. Reading an object checks what STIX 2.1 requires of it.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::text::Text;

use super::id::StixId;
use super::pattern::{Matchability, Pattern};
use super::timestamp::StixTimestamp;
use super::tlp::Tlp;

/// Cyber-observable types of STIX 2.1 §6: they carry no `created`/`modified` and may omit
/// `spec_version`.
const OBSERVABLE_TYPES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

#[derive(Debug, Clone, PartialEq)]
pub struct StixObject {
    pub id: StixId,
    pub created: Option<StixTimestamp>,
    pub modified: Option<StixTimestamp>,
    pub revoked: bool,
    pub created_by_ref: Option<StixId>,
    pub object_marking_refs: Vec<StixId>,
    pub body: ObjectBody,
    /// The object as received; export writes this back unchanged.
    pub raw: Map<String, Value>,
}

/// The typed part of the object types civitas reads; every other type (incident, task,
/// infrastructure, observables, custom objects) is kept as `Other` with its raw JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectBody {
    Indicator(Indicator),
    Sighting(Sighting),
    ObservedData(ObservedData),
    Identity(Identity),
    Malware(Malware),
    Relationship(Relationship),
    CourseOfAction(CourseOfAction),
    MarkingDefinition(MarkingDefinition),
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub name: Option<String>,
    pub description: Option<String>,
    pub indicator_types: Vec<String>,
    pub pattern: String,
    pub pattern_type: String,
    pub valid_from: StixTimestamp,
    pub valid_until: Option<StixTimestamp>,
    /// Whether civitas can match the pattern, and if not, why.
    pub matchability: Matchability,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Sighting {
    pub sighting_of_ref: StixId,
    #[serde(default)]
    pub observed_data_refs: Vec<StixId>,
    #[serde(default)]
    pub where_sighted_refs: Vec<StixId>,
    pub first_seen: Option<StixTimestamp>,
    pub last_seen: Option<StixTimestamp>,
    pub count: Option<u64>,
    pub summary: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ObservedData {
    pub first_observed: StixTimestamp,
    pub last_observed: StixTimestamp,
    pub number_observed: u64,
    #[serde(default)]
    pub object_refs: Vec<StixId>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Identity {
    pub name: String,
    pub identity_class: Option<String>,
    #[serde(default)]
    pub sectors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Malware {
    pub name: Option<String>,
    pub is_family: bool,
    #[serde(default)]
    pub malware_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Relationship {
    pub relationship_type: String,
    pub source_ref: StixId,
    pub target_ref: StixId,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CourseOfAction {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MarkingDefinition {
    pub name: Option<String>,
    /// The TLP level, for the TLP 1.0 (`definition_type: tlp`) and TLP 2.0 (extension)
    /// definitions; `None` for statements and other markings.
    pub tlp: Option<Tlp>,
}

#[derive(Deserialize)]
struct IndicatorWire {
    name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    indicator_types: Vec<String>,
    pattern: String,
    pattern_type: String,
    valid_from: StixTimestamp,
    valid_until: Option<StixTimestamp>,
}

#[derive(Deserialize)]
struct Common {
    spec_version: Option<String>,
    created: Option<StixTimestamp>,
    modified: Option<StixTimestamp>,
    #[serde(default)]
    revoked: bool,
    created_by_ref: Option<StixId>,
    #[serde(default)]
    object_marking_refs: Vec<StixId>,
}

fn reason(zh: impl Into<String>, en: impl Into<String>) -> Text {
    Text::new(zh, en)
}

impl StixObject {
    pub fn object_type(&self) -> &str {
        self.id.object_type()
    }

    /// The version that decides between two copies of the object: `modified`, or `created`
    /// for objects that are never modified (marking definitions); `None` for observables.
    pub fn version(&self) -> Option<&StixTimestamp> {
        self.modified.as_ref().or(self.created.as_ref())
    }

    pub fn to_json(&self) -> Value {
        Value::Object(self.raw.clone())
    }

    pub fn as_indicator(&self) -> Option<&Indicator> {
        match &self.body {
            ObjectBody::Indicator(indicator) => Some(indicator),
            _ => None,
        }
    }

    /// Reads one object, checking the properties STIX 2.1 requires of its type. The reason
    /// names the object and the property a person has to fix.
    pub fn from_json(value: Value) -> Result<StixObject, Text> {
        Self::read(value).map_err(|(why, _)| why)
    }

    /// As [`StixObject::from_json`], handing the value back with the reason when it is
    /// refused, so the import can keep it without copying every accepted object.
    pub fn read(value: Value) -> Result<StixObject, (Text, Value)> {
        let Value::Object(raw) = value else {
            return Err((reason("不是 JSON 物件", "not a JSON object"), value));
        };
        match checked(&raw) {
            Ok(Checked { id, common, body }) => Ok(StixObject {
                id,
                created: common.created,
                modified: common.modified,
                revoked: common.revoked,
                created_by_ref: common.created_by_ref,
                object_marking_refs: common.object_marking_refs,
                body,
                raw,
            }),
            Err(why) => Err((why, Value::Object(raw))),
        }
    }
}

struct Checked {
    id: StixId,
    common: Common,
    body: ObjectBody,
}

fn checked(raw: &Map<String, Value>) -> Result<Checked, Text> {
    let Some(object_type) = raw.get("type").and_then(Value::as_str) else {
        return Err(reason("缺少 type 屬性", "the type property is missing"));
    };
    let Some(id_text) = raw.get("id").and_then(Value::as_str) else {
        return Err(reason(
            format!("{object_type} 物件缺少 id 屬性"),
            format!("the {object_type} object has no id"),
        ));
    };
    let id = StixId::parse(id_text)?;
    if id.object_type() != object_type {
        return Err(reason(
            format!("識別碼 {id} 的類型與 type「{object_type}」不符"),
            format!("id {id} does not start with the object's type '{object_type}'"),
        ));
    }
    let within = |why: Text| reason(format!("{id}：{}", why.zh), format!("{id}: {}", why.en));
    let common: Common = typed(raw).map_err(within)?;
    let is_observable = OBSERVABLE_TYPES.contains(&object_type)
        || (!raw.contains_key("created") && !KNOWN_DOMAIN_TYPES.contains(&object_type));
    check_spec_version(common.spec_version.as_deref(), is_observable).map_err(within)?;
    if !is_observable {
        require(raw, "created").map_err(within)?;
        // Marking definitions are never modified, so they carry no `modified`.
        if object_type != "marking-definition" {
            require(raw, "modified").map_err(within)?;
        }
    }
    if let (Some(created), Some(modified)) = (&common.created, &common.modified)
        && modified < created
    {
        return Err(within(reason(
            format!("modified（{modified}）早於 created（{created}）"),
            format!("modified ({modified}) is earlier than created ({created})"),
        )));
    }
    if let Some(by) = &common.created_by_ref {
        expect_type(by, &["identity"], "created_by_ref").map_err(within)?;
    }
    for marking in &common.object_marking_refs {
        expect_type(marking, &["marking-definition"], "object_marking_refs").map_err(within)?;
    }
    let body = read_body(object_type, raw).map_err(within)?;
    Ok(Checked { id, common, body })
}

/// SDOs, SROs and meta objects that always carry `created`, so one without it is an error
/// rather than a custom observable.
const KNOWN_DOMAIN_TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
    "relationship",
    "sighting",
    "marking-definition",
    "language-content",
    "extension-definition",
];

fn check_spec_version(spec_version: Option<&str>, is_observable: bool) -> Result<(), Text> {
    match spec_version {
        Some("2.1") => Ok(()),
        None if is_observable => Ok(()),
        Some("2.0") | None => Err(reason(
            "這是 STIX 2.0 物件（spec_version 不是 2.1）；civitas 只讀取 STIX 2.1，請對方以 2.1 匯出",
            "this is a STIX 2.0 object (spec_version is not 2.1); civitas reads STIX 2.1 only, ask the sender for a 2.1 export",
        )),
        Some(other) => Err(reason(
            format!("不支援的 spec_version「{other}」；civitas 只讀取 STIX 2.1"),
            format!("unsupported spec_version '{other}'; civitas reads STIX 2.1 only"),
        )),
    }
}

fn require(raw: &Map<String, Value>, property: &str) -> Result<(), Text> {
    match raw.get(property) {
        Some(Value::Null) | None => Err(reason(
            format!("缺少必要屬性 {property}"),
            format!("the required property {property} is missing"),
        )),
        Some(_) => Ok(()),
    }
}

fn expect_type(id: &StixId, types: &[&str], property: &str) -> Result<(), Text> {
    if types.contains(&id.object_type()) {
        return Ok(());
    }
    let expected = types.join(" / ");
    Err(reason(
        format!("{property} 應指向 {expected}，卻是 {id}"),
        format!("{property} must refer to {expected}, not {id}"),
    ))
}

fn typed<T: for<'de> Deserialize<'de>>(raw: &Map<String, Value>) -> Result<T, Text> {
    // Deserialising from a borrowed map avoids copying large objects.
    T::deserialize(MapRef(raw)).map_err(|e| {
        reason(
            format!("屬性格式錯誤：{e}"),
            format!("a property has the wrong form: {e}"),
        )
    })
}

/// Lets serde read a `&Map` without cloning it into a `Value`.
struct MapRef<'a>(&'a Map<String, Value>);

impl<'de> serde::Deserializer<'de> for MapRef<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        serde::Deserializer::deserialize_any(
            serde::de::value::MapDeserializer::new(self.0.iter().map(|(k, v)| (k.as_str(), v))),
            visitor,
        )
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

fn read_body(object_type: &str, raw: &Map<String, Value>) -> Result<ObjectBody, Text> {
    let required: &[&str] = match object_type {
        "indicator" => &["pattern", "pattern_type", "valid_from"],
        "sighting" => &["sighting_of_ref"],
        "observed-data" => &["first_observed", "last_observed", "number_observed"],
        "identity" => &["name"],
        "malware" => &["is_family"],
        "relationship" => &["relationship_type", "source_ref", "target_ref"],
        "course-of-action" => &["name"],
        _ => &[],
    };
    for property in required {
        require(raw, property)?;
    }
    Ok(match object_type {
        "indicator" => ObjectBody::Indicator(read_indicator(raw)?),
        "sighting" => {
            let sighting: Sighting = typed(raw)?;
            check_sighting(&sighting)?;
            ObjectBody::Sighting(sighting)
        }
        "observed-data" => {
            let observed: ObservedData = typed(raw)?;
            if !(1..=999_999_999).contains(&observed.number_observed) {
                return Err(reason(
                    "number_observed 須介於 1 與 999,999,999 之間",
                    "number_observed must be between 1 and 999,999,999",
                ));
            }
            if observed.last_observed < observed.first_observed {
                return Err(reason(
                    "last_observed 早於 first_observed",
                    "last_observed is earlier than first_observed",
                ));
            }
            if observed.object_refs.is_empty() && !raw.contains_key("objects") {
                return Err(reason(
                    "缺少必要屬性 object_refs",
                    "the required property object_refs is missing",
                ));
            }
            ObjectBody::ObservedData(observed)
        }
        "identity" => ObjectBody::Identity(typed(raw)?),
        "malware" => {
            let malware: Malware = typed(raw)?;
            if malware.is_family && malware.name.is_none() {
                return Err(reason(
                    "惡意程式家族（is_family: true）必須有 name",
                    "a malware family (is_family: true) must have a name",
                ));
            }
            ObjectBody::Malware(malware)
        }
        "relationship" => ObjectBody::Relationship(typed(raw)?),
        "course-of-action" => ObjectBody::CourseOfAction(typed(raw)?),
        "marking-definition" => ObjectBody::MarkingDefinition(MarkingDefinition {
            name: raw.get("name").and_then(Value::as_str).map(str::to_string),
            tlp: Tlp::of_marking(raw),
        }),
        _ => ObjectBody::Other,
    })
}

fn read_indicator(raw: &Map<String, Value>) -> Result<Indicator, Text> {
    let wire: IndicatorWire = typed(raw)?;
    if let Some(until) = &wire.valid_until
        && until <= &wire.valid_from
    {
        return Err(reason(
            format!(
                "valid_until（{until}）必須晚於 valid_from（{}）",
                wire.valid_from
            ),
            format!(
                "valid_until ({until}) must be later than valid_from ({})",
                wire.valid_from
            ),
        ));
    }
    let matchability = if wire.pattern_type == "stix" {
        let pattern = Pattern::parse(&wire.pattern).map_err(|e| {
            reason(
                format!("pattern 無法解析：{}", e.reason.zh),
                format!("the pattern cannot be read: {}", e.reason.en),
            )
        })?;
        pattern.match_plan()
    } else {
        let kind = &wire.pattern_type;
        Matchability::Unsupported(Text::new(
            format!("不支援比對：pattern_type「{kind}」（civitas 只比對 STIX 樣式）"),
            format!(
                "not supported for matching: pattern_type '{kind}' (civitas matches STIX patterns only)"
            ),
        ))
    };
    Ok(Indicator {
        name: wire.name,
        description: wire.description,
        indicator_types: wire.indicator_types,
        pattern: wire.pattern,
        pattern_type: wire.pattern_type,
        valid_from: wire.valid_from,
        valid_until: wire.valid_until,
        matchability,
    })
}

fn check_sighting(sighting: &Sighting) -> Result<(), Text> {
    if sighting.count.is_some_and(|c| c > 999_999_999) {
        return Err(reason(
            "count 不得超過 999,999,999",
            "count must not exceed 999,999,999",
        ));
    }
    if let (Some(first), Some(last)) = (&sighting.first_seen, &sighting.last_seen)
        && last < first
    {
        return Err(reason(
            "last_seen 早於 first_seen",
            "last_seen is earlier than first_seen",
        ));
    }
    for observed in &sighting.observed_data_refs {
        expect_type(observed, &["observed-data"], "observed_data_refs")?;
    }
    for place in &sighting.where_sighted_refs {
        expect_type(place, &["identity", "location"], "where_sighted_refs")?;
    }
    Ok(())
}
