//! Traffic Light Protocol markings: the predefined STIX marking-definition objects for TLP 1.0
//! (STIX 2.1 §7.2.1.4) and TLP 2.0 (the OASIS extension
//! `extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d` in cti-stix-common-objects).
//! Their ids are fixed by the standards, so every producer refers to the same objects.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tlp {
    /// TLP 1.0 WHITE; TLP 2.0 renamed it CLEAR.
    White,
    Clear,
    Green,
    Amber,
    /// TLP 2.0 only.
    AmberStrict,
    Red,
}

/// Which version of the protocol a marking definition follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TlpVersion {
    V1,
    V2,
}

impl Tlp {
    /// The label as written in TLP, e.g. `TLP:AMBER+STRICT`.
    pub fn label(&self) -> &'static str {
        match self {
            Tlp::White => "TLP:WHITE",
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// The standard marking-definition id in the given version. TLP 1.0 has no AMBER+STRICT
    /// (the nearest stricter level, RED, is used); TLP 2.0 has no WHITE (CLEAR replaces it).
    pub fn marking_id(&self, version: TlpVersion) -> &'static str {
        match (version, self) {
            (TlpVersion::V1, Tlp::White | Tlp::Clear) => {
                "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
            }
            (TlpVersion::V1, Tlp::Green) => {
                "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
            }
            (TlpVersion::V1, Tlp::Amber) => {
                "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
            }
            (TlpVersion::V1, Tlp::AmberStrict | Tlp::Red) => {
                "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
            }
            (TlpVersion::V2, Tlp::White | Tlp::Clear) => {
                "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
            }
            (TlpVersion::V2, Tlp::Green) => {
                "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
            }
            (TlpVersion::V2, Tlp::Amber) => {
                "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
            }
            (TlpVersion::V2, Tlp::AmberStrict) => {
                "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
            }
            (TlpVersion::V2, Tlp::Red) => {
                "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
            }
        }
    }

    /// The level a standard marking-definition id stands for, in either version.
    pub fn from_marking_id(id: &str) -> Option<(Tlp, TlpVersion)> {
        const ALL: [Tlp; 6] = [
            Tlp::White,
            Tlp::Clear,
            Tlp::Green,
            Tlp::Amber,
            Tlp::AmberStrict,
            Tlp::Red,
        ];
        // WHITE before CLEAR and RED after AMBER+STRICT, so each id maps to its own name.
        let v1 = [Tlp::White, Tlp::Green, Tlp::Amber, Tlp::Red];
        if let Some(tlp) = v1.into_iter().find(|t| t.marking_id(TlpVersion::V1) == id) {
            return Some((tlp, TlpVersion::V1));
        }
        ALL.into_iter()
            .filter(|t| *t != Tlp::White)
            .find(|t| t.marking_id(TlpVersion::V2) == id)
            .map(|t| (t, TlpVersion::V2))
    }

    /// The level a marking-definition object declares: `definition_type: tlp` (TLP 1.0) or the
    /// TLP 2.0 extension's `tlp_2_0`.
    pub fn of_marking(raw: &Map<String, Value>) -> Option<Tlp> {
        if raw.get("definition_type").and_then(Value::as_str) == Some("tlp") {
            let level = raw.get("definition")?.get("tlp")?.as_str()?;
            return match level {
                "white" => Some(Tlp::White),
                "green" => Some(Tlp::Green),
                "amber" => Some(Tlp::Amber),
                "red" => Some(Tlp::Red),
                _ => None,
            };
        }
        let level = raw
            .get("extensions")?
            .get(TLP2_EXTENSION)?
            .get("tlp_2_0")?
            .as_str()?;
        match level {
            "clear" => Some(Tlp::Clear),
            "green" => Some(Tlp::Green),
            "amber" => Some(Tlp::Amber),
            "amber+strict" => Some(Tlp::AmberStrict),
            "red" => Some(Tlp::Red),
            _ => None,
        }
    }

    /// The standard marking-definition object, as published.
    pub fn marking_definition(&self, version: TlpVersion) -> Value {
        let id = self.marking_id(version);
        match version {
            TlpVersion::V1 => {
                let (name, level) = match self {
                    Tlp::White | Tlp::Clear => ("TLP:WHITE", "white"),
                    Tlp::Green => ("TLP:GREEN", "green"),
                    Tlp::Amber => ("TLP:AMBER", "amber"),
                    Tlp::AmberStrict | Tlp::Red => ("TLP:RED", "red"),
                };
                json!({
                    "type": "marking-definition",
                    "spec_version": "2.1",
                    "id": id,
                    "created": "2017-01-20T00:00:00.000Z",
                    "definition_type": "tlp",
                    "name": name,
                    "definition": { "tlp": level }
                })
            }
            TlpVersion::V2 => {
                let (name, level) = match self {
                    Tlp::White | Tlp::Clear => ("TLP:CLEAR", "clear"),
                    Tlp::Green => ("TLP:GREEN", "green"),
                    Tlp::Amber => ("TLP:AMBER", "amber"),
                    Tlp::AmberStrict => ("TLP:AMBER+STRICT", "amber+strict"),
                    Tlp::Red => ("TLP:RED", "red"),
                };
                json!({
                    "type": "marking-definition",
                    "spec_version": "2.1",
                    "id": id,
                    "created": "2022-10-01T00:00:00.000Z",
                    "name": name,
                    "extensions": {
                        TLP2_EXTENSION: {
                            "extension_type": "property-extension",
                            "tlp_2_0": level
                        }
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_standard_tlp_marking_reads_back_as_its_own_level() {
        for version in [TlpVersion::V1, TlpVersion::V2] {
            for tlp in [
                Tlp::Clear,
                Tlp::Green,
                Tlp::Amber,
                Tlp::AmberStrict,
                Tlp::Red,
            ] {
                let definition = tlp.marking_definition(version);
                let id = definition["id"].as_str().unwrap();
                let (read, read_version) = Tlp::from_marking_id(id).unwrap();
                assert_eq!(read_version, version);
                let Value::Object(raw) = &definition else {
                    panic!()
                };
                assert_eq!(Tlp::of_marking(raw), Some(read));
            }
        }
        assert_eq!(
            Tlp::from_marking_id("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"),
            Some((Tlp::Amber, TlpVersion::V1))
        );
        assert_eq!(
            Tlp::from_marking_id("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"),
            Some((Tlp::AmberStrict, TlpVersion::V2))
        );
    }
}
