//! Which agency of the organisation tree a harvested record belongs to: the names and codes
//! the tree itself holds (Chinese, English, short name, code), then a source's own alias table
//! (an organisation's slug, title or publisher IRI → agency code). civitas never guesses: a
//! name found in neither is no agency, and the record is rejected naming it.

use std::collections::{BTreeMap, HashMap};

use super::sources::ckan::AgencyHint;
use super::tokens::fold;
use crate::agencies::{Agency, AgencyCode};
use crate::text::Text;

#[derive(Debug, Clone, Default)]
pub struct AgencyMap {
    /// Folded name or code → agency; aliases override the tree.
    by_key: HashMap<String, AgencyCode>,
    /// For a source run for one agency: used only when the record names no agency at all.
    default: Option<AgencyCode>,
}

/// Case, full-width letters, 台/臺 and runs of spaces do not make a different agency.
fn key(text: &str) -> String {
    fold(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

impl AgencyMap {
    /// The tree's agencies by code and name, then `aliases` (name or code as the source writes
    /// it → agency code). An alias to an agency the tree lacks is refused, naming both.
    pub fn new(
        agencies: &[Agency],
        aliases: &BTreeMap<String, String>,
        default: Option<&str>,
    ) -> Result<Self, Text> {
        let mut by_key = HashMap::new();
        let by_code: HashMap<&str, &Agency> =
            agencies.iter().map(|a| (a.code.as_str(), a)).collect();
        // A retired agency's datasets belong to its successor, when it has one.
        let current = |a: &Agency| -> AgencyCode {
            let mut at = a;
            for _ in 0..8 {
                match at.successor.as_ref().and_then(|s| by_code.get(s.as_str())) {
                    Some(next) if !at.active => at = next,
                    _ => break,
                }
            }
            at.code.clone()
        };
        for a in agencies {
            let code = current(a);
            let names = [
                Some(a.code.as_str()),
                Some(a.name_zh.as_str()),
                a.name_en.as_deref(),
                a.short_name_zh.as_deref(),
            ];
            for name in names.into_iter().flatten() {
                let k = key(name);
                if !k.is_empty() {
                    // Active agencies win a shared name over retired ones.
                    if a.active || !by_key.contains_key(&k) {
                        by_key.insert(k, code.clone());
                    }
                }
            }
        }
        let lookup = |code: &str| -> Result<AgencyCode, Text> {
            by_code.get(code.trim()).map(|a| current(a)).ok_or_else(|| {
                Text::new(
                    format!("對應表中的機關代碼 {code} 不在機關清單中"),
                    format!(
                        "the agency code {code} in the alias table is not in the organisation tree"
                    ),
                )
            })
        };
        for (alias, code) in aliases {
            let code = lookup(code)?;
            by_key.insert(key(alias), code);
        }
        let default = default.map(lookup).transpose()?;
        Ok(AgencyMap { by_key, default })
    }

    /// The agency a source's hint names, if any: its code, then its name, then its id.
    pub fn resolve(&self, hint: &AgencyHint) -> Option<AgencyCode> {
        let stated = [&hint.code, &hint.name, &hint.id];
        if stated.iter().all(|s| s.is_none()) {
            return self.default.clone();
        }
        stated
            .into_iter()
            .flatten()
            .find_map(|s| self.by_key.get(&key(s)).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agencies::AgencyKind;
    use crate::time::Timestamp;

    fn agency(code: &str, zh: &str, en: &str, active: bool, successor: Option<&str>) -> Agency {
        Agency {
            code: AgencyCode::parse(code).unwrap(),
            name_zh: zh.into(),
            name_en: Some(en.into()),
            short_name_zh: None,
            parent: None,
            kind: AgencyKind::Bureau,
            active,
            retired_at: None,
            successor: successor.map(|s| AgencyCode::parse(s).unwrap()),
            created_at: Timestamp::from_millis(0).unwrap(),
            updated_at: Timestamp::from_millis(0).unwrap(),
        }
    }

    fn hint(code: Option<&str>, name: Option<&str>) -> AgencyHint {
        AgencyHint {
            code: code.map(str::to_string),
            name: name.map(str::to_string),
            id: None,
        }
    }

    #[test]
    fn a_publisher_is_found_by_its_chinese_or_english_name_its_code_or_an_alias() {
        let tree = [
            agency(
                "380290000H",
                "桃園市政府交通局",
                "Department of Transportation",
                true,
                None,
            ),
            agency(
                "380330000E",
                "桃園市政府文化局",
                "Department of Cultural Affairs",
                true,
                None,
            ),
        ];
        let aliases = BTreeMap::from([("eidc".to_string(), "380330000E".to_string())]);
        let map = AgencyMap::new(&tree, &aliases, None).unwrap();
        let code = |c: &str| Some(AgencyCode::parse(c).unwrap());
        assert_eq!(
            map.resolve(&hint(None, Some("桃園市政府交通局"))),
            code("380290000H")
        );
        assert_eq!(
            map.resolve(&hint(None, Some("台園市政府交通局"))),
            None,
            "a different name is no match"
        );
        assert_eq!(
            map.resolve(&hint(None, Some("department of  transportation"))),
            code("380290000H")
        );
        assert_eq!(
            map.resolve(&hint(Some("380290000H"), None)),
            code("380290000H")
        );
        assert_eq!(
            map.resolve(&hint(
                Some("EIDC"),
                Some("Environmental Information Data Centre")
            )),
            code("380330000E")
        );
        assert_eq!(
            map.resolve(&hint(None, Some("Colchester Borough Council"))),
            None
        );
        assert_eq!(map.resolve(&AgencyHint::default()), None);
    }

    #[test]
    fn a_retired_agency_s_name_leads_to_its_successor_and_a_bad_alias_is_refused() {
        let tree = [
            agency(
                "380000001A",
                "舊局",
                "Old Bureau",
                false,
                Some("380000002A"),
            ),
            agency("380000002A", "新局", "New Bureau", true, None),
        ];
        let map = AgencyMap::new(&tree, &BTreeMap::new(), Some("380000002A")).unwrap();
        let new = Some(AgencyCode::parse("380000002A").unwrap());
        assert_eq!(map.resolve(&hint(None, Some("舊局"))), new);
        assert_eq!(
            map.resolve(&AgencyHint::default()),
            new,
            "a record naming nobody goes to the source's agency"
        );
        let bad = BTreeMap::from([("x".to_string(), "399999999Z".to_string())]);
        let err = AgencyMap::new(&tree, &bad, None).unwrap_err();
        assert!(err.en.contains("399999999Z"), "{}", err.en);
    }
}
