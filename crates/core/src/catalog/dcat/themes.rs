//! `dcat:theme`: Taiwan's 18 service categories (服務分類, as data.gov.tw and the city portals
//! use them) mapped to the EU data themes, the vocabulary DCAT-AP requires. The original
//! category is kept as a concept of its own scheme too, so nothing is lost in the mapping.

use super::graph::{EN, Iri, Node, ZH, segment};
use super::vocabulary::concept;
use crate::text::Text;

pub const EU_THEME_SCHEME: &str = "http://publications.europa.eu/resource/authority/data-theme";

/// The EU data themes: code, Chinese label, English label (the EU's own).
const EU_THEMES: &[(&str, &str, &str)] = &[
    (
        "AGRI",
        "農業、漁業、林業與食品",
        "Agriculture, fisheries, forestry and food",
    ),
    ("ECON", "經濟與金融", "Economy and finance"),
    ("EDUC", "教育、文化與運動", "Education, culture and sport"),
    ("ENER", "能源", "Energy"),
    ("ENVI", "環境", "Environment"),
    ("GOVE", "政府與公部門", "Government and public sector"),
    ("HEAL", "健康", "Health"),
    ("INTR", "國際事務", "International issues"),
    (
        "JUST",
        "司法、法律制度與公共安全",
        "Justice, legal system and public safety",
    ),
    ("REGI", "區域與城市", "Regions and cities"),
    ("SOCI", "人口與社會", "Population and society"),
    ("TECH", "科學與技術", "Science and technology"),
    ("TRAN", "運輸", "Transport"),
];

struct Category {
    /// The name as written, with known misspellings (購屋及遷徒 is in Taoyuan's own list).
    names: &'static [&'static str],
    slug: &'static str,
    en: &'static str,
    /// The EU themes closest to what the category is about; a category can fit several.
    themes: &'static [&'static str],
}

#[rustfmt::skip]
const CATEGORIES: &[Category] = &[
    Category { names: &["生育保健"], slug: "maternity-health", en: "Maternity and child health", themes: &["HEAL"] },
    Category { names: &["出生及收養"], slug: "birth-adoption", en: "Birth and adoption", themes: &["SOCI"] },
    Category { names: &["求學及進修"], slug: "education", en: "Education and training", themes: &["EDUC"] },
    Category { names: &["服兵役"], slug: "military-service", en: "Military service", themes: &["GOVE"] },
    Category { names: &["求職及就業"], slug: "employment", en: "Jobs and employment", themes: &["ECON", "SOCI"] },
    Category { names: &["開創事業"], slug: "business", en: "Starting a business", themes: &["ECON"] },
    Category { names: &["婚姻"], slug: "marriage", en: "Marriage", themes: &["SOCI"] },
    Category { names: &["投資理財"], slug: "investment", en: "Investment and finance", themes: &["ECON"] },
    Category { names: &["休閒旅遊"], slug: "leisure-travel", en: "Leisure and travel", themes: &["EDUC"] },
    Category { names: &["交通及通訊"], slug: "transport-communications", en: "Transport and communications", themes: &["TRAN"] },
    Category { names: &["就醫"], slug: "medical-care", en: "Medical care", themes: &["HEAL"] },
    Category { names: &["購屋及遷徙", "購屋及遷徒"], slug: "housing-moving", en: "Housing and moving", themes: &["REGI"] },
    Category { names: &["選舉及投票"], slug: "elections", en: "Elections and voting", themes: &["GOVE"] },
    Category { names: &["生活安全及品質"], slug: "safety-quality-of-life", en: "Safety and quality of life", themes: &["JUST", "ENVI"] },
    Category { names: &["退休"], slug: "retirement", en: "Retirement", themes: &["SOCI"] },
    Category { names: &["老年安養"], slug: "elderly-care", en: "Care for the elderly", themes: &["SOCI"] },
    Category { names: &["生命禮儀"], slug: "funerals", en: "Funerals and memorials", themes: &["SOCI"] },
    Category { names: &["公共資訊"], slug: "public-information", en: "Public information", themes: &["GOVE"] },
];

/// The civitas scheme of service categories, under the export's base.
pub fn category_scheme_iri(base: &str) -> Iri {
    Iri::new(format!("{base}/catalog/categories"))
}

pub fn category_scheme(base: &str) -> Node {
    let mut node = Node::named(category_scheme_iri(base), &["skos:ConceptScheme"]);
    node.text("dct:title", "服務分類", ZH);
    node.text("dct:title", "Service categories", EN);
    node
}

pub fn eu_theme_scheme() -> Node {
    let mut node = Node::named(Iri::new(EU_THEME_SCHEME), &["skos:ConceptScheme"]);
    node.text("dct:title", "資料主題", ZH);
    node.text("dct:title", "Data theme", EN);
    node
}

/// The concepts for a category: the category itself, then its EU data themes. An unknown
/// category still gets a concept of its own (its IRI spelled from its name), without a theme.
pub fn themes(base: &str, category: &str) -> Vec<Node> {
    let name = category.trim();
    if name.is_empty() {
        return Vec::new();
    }
    let known = CATEGORIES.iter().find(|c| c.names.contains(&name));
    let (slug, label, codes) = match known {
        Some(c) => {
            let zh = c.names.first().copied().unwrap_or(name);
            (c.slug.to_string(), Text::new(zh, c.en), c.themes)
        }
        None => (segment(name), Text::new(name, ""), &[][..]),
    };
    let scheme = category_scheme_iri(base);
    let iri = Iri::new(format!("{}/{slug}", scheme.as_str()));
    let mut out = vec![concept(iri, &[], &label, scheme.as_str())];
    out.extend(codes.iter().filter_map(|code| eu_theme(code)));
    out
}

fn eu_theme(code: &str) -> Option<Node> {
    let (code, zh, en) = EU_THEMES.iter().find(|(known, _, _)| *known == code)?;
    let iri = Iri::new(format!("{EU_THEME_SCHEME}/{code}"));
    Some(concept(iri, &[], &Text::new(*zh, *en), EU_THEME_SCHEME))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iris(category: &str) -> Vec<String> {
        themes("https://civitas.example", category)
            .into_iter()
            .filter_map(|n| n.iri.map(|i| i.as_str().to_string()))
            .collect()
    }

    #[test]
    fn a_service_category_keeps_its_own_concept_and_gains_eu_themes() {
        assert_eq!(
            iris("公共資訊"),
            [
                "https://civitas.example/catalog/categories/public-information",
                "http://publications.europa.eu/resource/authority/data-theme/GOVE",
            ]
        );
        assert_eq!(iris("購屋及遷徒"), iris("購屋及遷徙"));
        assert_eq!(iris("生活安全及品質").len(), 3);
        assert_eq!(
            iris("其他"),
            ["https://civitas.example/catalog/categories/%E5%85%B6%E4%BB%96"]
        );
        assert!(iris(" ").is_empty());
        for c in CATEGORIES {
            for code in c.themes {
                assert!(eu_theme(code).is_some(), "{code}");
            }
        }
    }
}
