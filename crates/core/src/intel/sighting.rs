//! The city's sightings: when an alert group (the SOC's 警訊通報) matches an indicator, a STIX
//! `sighting` says so, naming the city's identity as where it was seen. Its id is derived from
//! (indicator id, alert group key), so running the matching again over the same alerts finds
//! the same sighting and changes nothing; a group that grew updates it as a new version.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::time::Timestamp;

use super::id::StixId;
use super::timestamp::StixTimestamp;

/// STIX caps `count` at 999,999,999.
const MAX_COUNT: u64 = 999_999_999;

/// The city as a STIX identity: where sightings were seen and who made the city's indicators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CityIdentity {
    pub id: StixId,
    pub name: String,
    pub created: StixTimestamp,
}

impl CityIdentity {
    /// The id is derived from the name, so every export of the same city names the same
    /// identity.
    pub fn new(name: &str, created: Timestamp) -> Self {
        CityIdentity {
            id: StixId::derived("identity", &[name]),
            name: name.to_string(),
            created: StixTimestamp::from_timestamp(created),
        }
    }

    pub fn to_stix(&self) -> Value {
        json!({
            "type": "identity",
            "spec_version": "2.1",
            "id": self.id,
            "created": self.created,
            "modified": self.created,
            "name": self.name,
            "identity_class": "organization",
            "sectors": ["government-local"],
        })
    }
}

/// What one alert group tells about one indicator it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SightingObservation {
    pub indicator: StixId,
    /// The alert group's stable key (the integrator's grouping key, e.g. agency + signature +
    /// source /24 + window start).
    pub group_key: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// How many alerts of the group matched.
    pub count: u64,
    /// Observed-data objects the integrator holds for the group, if any.
    pub observed_data_refs: Vec<StixId>,
}

/// A sighting the city produced, as stored; [`CitySighting::to_stix`] writes the STIX object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitySighting {
    pub id: StixId,
    pub sighting_of_ref: StixId,
    pub group_key: String,
    pub where_sighted_ref: StixId,
    pub observed_data_refs: Vec<StixId>,
    pub first_seen: StixTimestamp,
    pub last_seen: StixTimestamp,
    pub count: u64,
    pub created: StixTimestamp,
    pub modified: StixTimestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SightingChange {
    /// The stored sighting already says all of it.
    Unchanged,
    Created(CitySighting),
    /// A new version: more alerts, a wider time span or more observed data.
    Updated(CitySighting),
}

/// The id a sighting of `indicator` by the alert group `group_key` has, so the integrator can
/// look up the stored one before calling [`record_sighting`].
pub fn sighting_id(indicator: &StixId, group_key: &str) -> StixId {
    StixId::derived("sighting", &[indicator.as_str(), group_key])
}

/// Merges an observation into the stored sighting (if any). Counts, first and last seen never
/// shrink: the group's totals are taken as they are, so re-running over the same alerts is
/// `Unchanged`.
pub fn record_sighting(
    existing: Option<&CitySighting>,
    observation: &SightingObservation,
    city: &CityIdentity,
    now: Timestamp,
) -> SightingChange {
    let first = StixTimestamp::from_timestamp(observation.first_seen.min(observation.last_seen));
    let last = StixTimestamp::from_timestamp(observation.last_seen.max(observation.first_seen));
    let count = observation.count.min(MAX_COUNT);
    let Some(existing) = existing else {
        let created = StixTimestamp::from_timestamp(now);
        let mut refs = observation.observed_data_refs.clone();
        refs.sort();
        refs.dedup();
        return SightingChange::Created(CitySighting {
            id: sighting_id(&observation.indicator, &observation.group_key),
            sighting_of_ref: observation.indicator.clone(),
            group_key: observation.group_key.clone(),
            where_sighted_ref: city.id.clone(),
            observed_data_refs: refs,
            first_seen: first,
            last_seen: last,
            count,
            created: created.clone(),
            modified: created,
        });
    };
    let mut next = existing.clone();
    next.first_seen = next.first_seen.clone().min(first);
    next.last_seen = next.last_seen.clone().max(last);
    next.count = next.count.max(count);
    next.observed_data_refs
        .extend(observation.observed_data_refs.iter().cloned());
    next.observed_data_refs.sort();
    next.observed_data_refs.dedup();
    if next == *existing {
        return SightingChange::Unchanged;
    }
    // A new version must be later than the one it replaces, even if the clock says otherwise.
    let after_previous = existing.modified.at().add(time::Duration::milliseconds(1));
    next.modified = StixTimestamp::from_timestamp(now.max(after_previous));
    SightingChange::Updated(next)
}

impl CitySighting {
    /// The STIX object, created by the city and marked with `marking_refs` (TLP).
    pub fn to_stix(&self, marking_refs: &[&str]) -> Value {
        let mut object = json!({
            "type": "sighting",
            "spec_version": "2.1",
            "id": self.id,
            "created_by_ref": self.where_sighted_ref,
            "created": self.created,
            "modified": self.modified,
            "sighting_of_ref": self.sighting_of_ref,
            "where_sighted_refs": [self.where_sighted_ref],
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "count": self.count,
        });
        if let Some(map) = object.as_object_mut() {
            if !self.observed_data_refs.is_empty() {
                map.insert("observed_data_refs".into(), json!(self.observed_data_refs));
            }
            if !marking_refs.is_empty() {
                map.insert("object_marking_refs".into(), json!(marking_refs));
            }
        }
        object
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intel::object::{ObjectBody, StixObject};

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn city() -> CityIdentity {
        CityIdentity::new(
            "桃園市政府 Taoyuan City Government",
            at("2024-01-01T00:00:00Z"),
        )
    }

    fn observation(count: u64, last: &str) -> SightingObservation {
        SightingObservation {
            indicator: StixId::parse("indicator--53fe3b22-0201-47cf-85d0-97c02164528d").unwrap(),
            group_key: "tycg-police|ET SCAN|203.0.113.0/24|2024-06-01".into(),
            first_seen: at("2024-06-01T01:00:00Z"),
            last_seen: at(last),
            count,
            observed_data_refs: Vec::new(),
        }
    }

    #[test]
    fn the_first_match_of_an_alert_group_creates_a_sighting_by_the_city() {
        let SightingChange::Created(sighting) = record_sighting(
            None,
            &observation(3, "2024-06-01T02:00:00Z"),
            &city(),
            at("2024-06-01T03:00:00Z"),
        ) else {
            panic!()
        };
        assert_eq!(
            sighting.id,
            sighting_id(&sighting.sighting_of_ref, &sighting.group_key)
        );
        let stix = sighting.to_stix(&["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]);
        assert_eq!(stix["count"], 3);
        assert_eq!(stix["where_sighted_refs"][0], city().id.as_str());
        assert_eq!(stix["first_seen"], "2024-06-01T01:00:00.000Z");
        assert_eq!(stix["created"], "2024-06-01T03:00:00.000Z");
        assert!(stix.get("observed_data_refs").is_none());
        // Our own reader accepts what we write.
        let read = StixObject::from_json(stix).unwrap();
        assert!(matches!(read.body, ObjectBody::Sighting(s) if s.count == Some(3)));
    }

    #[test]
    fn running_the_matching_again_over_the_same_alerts_adds_nothing() {
        let obs = observation(3, "2024-06-01T02:00:00Z");
        let SightingChange::Created(stored) =
            record_sighting(None, &obs, &city(), at("2024-06-01T03:00:00Z"))
        else {
            panic!()
        };
        let again = record_sighting(Some(&stored), &obs, &city(), at("2024-06-02T00:00:00Z"));
        assert_eq!(again, SightingChange::Unchanged);
    }

    #[test]
    fn a_group_that_grew_updates_the_sighting_as_a_newer_version() {
        let SightingChange::Created(stored) = record_sighting(
            None,
            &observation(3, "2024-06-01T02:00:00Z"),
            &city(),
            at("2024-06-01T03:00:00Z"),
        ) else {
            panic!()
        };
        let mut grown = observation(7, "2024-06-01T05:00:00Z");
        grown.observed_data_refs =
            vec![StixId::parse("observed-data--cf8eaa41-6f4c-482e-89b9-9cd2d6a83cb1").unwrap()];
        // The clock reads earlier than the stored version: the new version is still later.
        let SightingChange::Updated(next) =
            record_sighting(Some(&stored), &grown, &city(), at("2024-06-01T02:59:00Z"))
        else {
            panic!()
        };
        assert_eq!(next.id, stored.id);
        assert_eq!(next.count, 7);
        assert_eq!(next.last_seen.as_str(), "2024-06-01T05:00:00.000Z");
        assert_eq!(next.created, stored.created);
        assert!(next.modified > stored.modified);
        assert_eq!(
            next.to_stix(&[])["observed_data_refs"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
}
