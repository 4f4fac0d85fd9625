//! The inventory's rules as plain functions: which words a demand is looked up by, how search
//! hits become suggestions, which demands are gaps, the agency × agency matrix, and the
//! benefit arithmetic (a cost nobody entered stays unknown; nothing is divided by zero).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::model::{
    BenefitRow, DataPlatform, Demand, DemandStatus, MatrixCell, PlatformCost, PlatformUse,
    Suggestion, UnusedDataset,
};
use crate::agencies::AgencyCode;
use crate::catalog::SearchHit;
use crate::time::Timestamp;

/// The most words one demand is looked up by.
pub const MAX_WORDS: usize = 8;
/// The most suggestions shown for one demand.
pub const MAX_SUGGESTIONS: usize = 10;

/// The words a demand is looked up by: its search words, or else its title, split on spaces
/// and the punctuation people type between words (、，,;；/).
pub fn search_words(demand: &Demand) -> Vec<String> {
    let source = if demand.input.search_words.trim().is_empty() {
        demand.input.title.as_str()
    } else {
        demand.input.search_words.as_str()
    };
    let mut words: Vec<String> = Vec::new();
    for w in source.split(|c: char| c.is_whitespace() || "、，,;；/／".contains(c)) {
        let w = w.trim();
        if !w.is_empty() && !words.iter().any(|x| x == w) {
            words.push(w.to_string());
        }
        if words.len() == MAX_WORDS {
            break;
        }
    }
    words
}

/// Merge the hits of each word's search (best first within each) into suggestions: datasets
/// found by more words first, the likely holder's before others, then by the best rank any
/// word gave. The needing agency's own datasets and datasets already confirmed are left out.
pub fn suggestions_from(demand: &Demand, hits_per_word: &[Vec<SearchHit>]) -> Vec<Suggestion> {
    struct Seen {
        hit: SearchHit,
        words: usize,
        best_rank: usize,
    }
    let confirmed: HashSet<i64> = demand.matches.iter().map(|m| m.dataset_id).collect();
    let own = demand.input.needing_agency.as_str();
    let mut seen: HashMap<i64, Seen> = HashMap::new();
    for hits in hits_per_word {
        let mut counted: HashSet<i64> = HashSet::new();
        for (rank, hit) in hits.iter().enumerate() {
            if hit.withdrawn
                || hit.agency == own
                || confirmed.contains(&hit.id)
                || !counted.insert(hit.id)
            {
                continue;
            }
            let entry = seen.entry(hit.id).or_insert_with(|| Seen {
                hit: hit.clone(),
                words: 0,
                best_rank: rank,
            });
            entry.words += 1;
            entry.best_rank = entry.best_rank.min(rank);
        }
    }
    let holder = demand.input.likely_holder.as_ref().map(AgencyCode::as_str);
    let mut list: Vec<Seen> = seen.into_values().collect();
    list.sort_by(|a, b| {
        b.words
            .cmp(&a.words)
            .then_with(|| {
                let a_holder = Some(a.hit.agency.as_str()) == holder;
                let b_holder = Some(b.hit.agency.as_str()) == holder;
                b_holder.cmp(&a_holder)
            })
            .then(a.best_rank.cmp(&b.best_rank))
            .then(a.hit.id.cmp(&b.hit.id))
    });
    list.into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|s| Suggestion {
            dataset_id: s.hit.id,
            title: s.hit.title_zh,
            agency: s.hit.agency,
            words_hit: s.words,
            access: s.hit.access,
        })
        .collect()
}

/// Gaps: demands still open with no confirmed dataset and nothing suggested by the catalogue.
/// `suggested` holds how many suggestions each demand has.
pub fn gaps<'a>(demands: &'a [Demand], suggested: &HashMap<i64, usize>) -> Vec<&'a Demand> {
    demands
        .iter()
        .filter(|d| d.is_unmatched() && suggested.get(&d.id).copied().unwrap_or(0) == 0)
        .collect()
}

/// The city-wide matrix: one cell per (needing agency, holding agency) with its counts. A
/// demand with matches in two agencies counts in both cells; withdrawn demands are left out.
pub fn demand_matrix(demands: &[Demand], gap_ids: &HashSet<i64>) -> Vec<MatrixCell> {
    let mut cells: BTreeMap<(AgencyCode, Option<AgencyCode>), MatrixCell> = BTreeMap::new();
    for d in demands {
        if d.status == DemandStatus::Withdrawn {
            continue;
        }
        for holder in d.holders() {
            let cell = cells
                .entry((d.input.needing_agency.clone(), holder.clone()))
                .or_insert_with(|| MatrixCell {
                    needing: d.input.needing_agency.clone(),
                    holder,
                    demands: 0,
                    matched: 0,
                    met: 0,
                    gaps: 0,
                });
            match d.status {
                DemandStatus::Met => cell.met += 1,
                DemandStatus::Matched => {
                    cell.demands += 1;
                    cell.matched += 1;
                }
                DemandStatus::Open => {
                    cell.demands += 1;
                    if gap_ids.contains(&d.id) {
                        cell.gaps += 1;
                    }
                }
                DemandStatus::Withdrawn => {}
            }
        }
    }
    cells.into_values().collect()
}

/// Whether a steward may move a demand from `current` to `wanted`. Matching happens by
/// confirming a dataset, so `matched` is never asked for directly; reopening a demand that
/// has confirmed datasets makes it matched again.
pub fn next_status(
    current: DemandStatus,
    wanted: DemandStatus,
    has_matches: bool,
) -> Result<DemandStatus, (&'static str, &'static str)> {
    use DemandStatus::*;
    match (current, wanted) {
        (a, b) if a == b => Err(("需求已經是這個狀態", "the demand already has this status")),
        (_, Matched) => Err((
            "請從建議清單確認一筆資料集，需求就會成為已媒合",
            "confirm a dataset from the suggestions to match the demand",
        )),
        (Open | Matched, Met | Withdrawn) => Ok(wanted),
        (Met | Withdrawn, Open) => Ok(if has_matches { Matched } else { Open }),
        (Met, Withdrawn) | (Withdrawn, Met) => Err(("請先重新開啟需求", "reopen the demand first")),
        _ => Err((
            "無法變更為這個狀態",
            "the demand cannot move to this status",
        )),
    }
}

/// Cost divided by a count: unknown when the cost was not entered or nothing was counted.
pub fn per_unit(cost: Option<i64>, count: u64) -> Option<f64> {
    match (cost, count) {
        (Some(c), n) if n > 0 => Some(c as f64 / n as f64),
        _ => None,
    }
}

/// The ROC year a moment falls in, in Taipei.
pub fn roc_year_of(at: Timestamp) -> i32 {
    at.taipei_date().year() - 1911
}

/// One row per platform and ROC year that has a cost or any use, in platform then year order.
/// `datasets` is how many datasets each platform holds now.
pub fn benefit_rows(
    platforms: &[DataPlatform],
    datasets: &HashMap<i64, u64>,
    costs: &[PlatformCost],
    uses: &[PlatformUse],
) -> Vec<BenefitRow> {
    let mut rows: BTreeMap<(i64, i32), BenefitRow> = BTreeMap::new();
    let known: HashSet<i64> = platforms.iter().map(|p| p.id).collect();
    let blank = |platform_id: i64, roc_year: i32| BenefitRow {
        platform_id,
        roc_year,
        datasets: datasets.get(&platform_id).copied().unwrap_or(0),
        used_datasets: 0,
        uses: 0,
        users: 0,
        agencies: 0,
        cost: None,
        cost_per_user: None,
        cost_per_use: None,
    };
    for c in costs.iter().filter(|c| known.contains(&c.platform_id)) {
        rows.entry((c.platform_id, c.roc_year))
            .or_insert_with(|| blank(c.platform_id, c.roc_year))
            .cost = Some(c.amount);
    }
    for u in uses.iter().filter(|u| known.contains(&u.platform_id)) {
        let row = rows
            .entry((u.platform_id, u.roc_year))
            .or_insert_with(|| blank(u.platform_id, u.roc_year));
        row.uses = u.views + u.downloads + u.api_calls;
        row.users = u.users;
        row.agencies = u.agencies;
        row.used_datasets = u.used_datasets;
    }
    rows.into_values()
        .map(|mut r| {
            r.cost_per_user = per_unit(r.cost, r.users);
            r.cost_per_use = per_unit(r.cost, r.uses);
            r
        })
        .collect()
}

/// Active datasets nobody used, grouped by the platform their source maps to (None: a source
/// no administrator has mapped yet). `datasets` is (id, source, title, agency).
pub fn unused_by_platform(
    datasets: &[(i64, String, String, String)],
    mapping: &HashMap<String, i64>,
    used: &HashSet<i64>,
) -> Vec<UnusedDataset> {
    let mut list: Vec<UnusedDataset> = datasets
        .iter()
        .filter(|(id, ..)| !used.contains(id))
        .map(|(id, source, title, agency)| UnusedDataset {
            platform_id: mapping.get(source).copied(),
            dataset_id: *id,
            title: title.clone(),
            agency: agency.clone(),
        })
        .collect();
    list.sort_by(|a, b| {
        a.platform_id
            .is_none()
            .cmp(&b.platform_id.is_none())
            .then(a.platform_id.cmp(&b.platform_id))
            .then(a.dataset_id.cmp(&b.dataset_id))
    });
    list
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::super::model::{DemandInput, DemandMatch, PlatformInput, PlatformStatus, Urgency};
    use super::*;

    fn code(c: &str) -> AgencyCode {
        AgencyCode::parse(c).unwrap()
    }

    fn demand(id: i64, needing: &str, holder: Option<&str>, status: DemandStatus) -> Demand {
        Demand {
            id,
            input: DemandInput {
                needing_agency: code(needing),
                title: "公有停車場 即時車位".into(),
                description: String::new(),
                fields: vec![],
                purpose: "停車管理".into(),
                legal_basis: None,
                urgency: Urgency::High,
                likely_holder: holder.map(code),
                search_words: String::new(),
            },
            status,
            created_by: "s".into(),
            created_at: Timestamp::from_millis(0).unwrap(),
            updated_at: Timestamp::from_millis(0).unwrap(),
            matches: vec![],
        }
    }

    fn hit(id: i64, agency: &str) -> SearchHit {
        SearchHit {
            id,
            identifier: format!("d{id}"),
            title_zh: format!("資料集{id}"),
            title_en: None,
            agency: agency.into(),
            description_zh: String::new(),
            formats: vec![],
            frequency: "每月".into(),
            freshness: None,
            access: "open".into(),
            updated_at: Timestamp::from_millis(0).unwrap(),
            withdrawn: false,
            data_updated_at: None,
            due_at: None,
            freshness_explanation: None,
        }
    }

    #[test]
    fn a_demand_is_looked_up_by_its_words_or_else_its_title() {
        let mut d = demand(1, "380130000C", None, DemandStatus::Open);
        assert_eq!(search_words(&d), vec!["公有停車場", "即時車位"]);
        d.input.search_words = "停車、車位, 停車 ".into();
        assert_eq!(search_words(&d), vec!["停車", "車位"]);
    }

    #[test]
    fn suggestions_put_datasets_found_by_more_words_and_the_likely_holder_first() {
        let mut d = demand(1, "380130000C", Some("380290000H"), DemandStatus::Open);
        d.matches.push(DemandMatch {
            dataset_id: 9,
            dataset_title: "x".into(),
            providing_agency: code("380290000H"),
            confirmed_by: "s".into(),
            confirmed_at: Timestamp::from_millis(0).unwrap(),
        });
        let word1 = vec![
            hit(3, "380330000E"),
            hit(2, "380290000H"),
            hit(5, "380130000C"),
            hit(9, "380290000H"),
        ];
        let word2 = vec![hit(4, "380330000E"), hit(2, "380290000H")];
        let s = suggestions_from(&d, &[word1, word2]);
        let ids: Vec<i64> = s.iter().map(|s| s.dataset_id).collect();
        // 2 is found by both words; 3 and 4 by one each, 3 ranked first; 5 is the needing
        // agency's own and 9 is already confirmed.
        assert_eq!(ids, vec![2, 3, 4]);
        assert_eq!(s[0].words_hit, 2);
        // With one word each, the likely holder's dataset comes first.
        let s = suggestions_from(&d, &[vec![hit(3, "380330000E"), hit(2, "380290000H")]]);
        assert_eq!(s[0].dataset_id, 2);
    }

    #[test]
    fn a_gap_is_an_open_demand_with_nothing_confirmed_and_nothing_suggested() {
        let mut matched = demand(2, "380130000C", None, DemandStatus::Matched);
        matched.matches.push(DemandMatch {
            dataset_id: 1,
            dataset_title: "x".into(),
            providing_agency: code("380290000H"),
            confirmed_by: "s".into(),
            confirmed_at: Timestamp::from_millis(0).unwrap(),
        });
        let demands = vec![
            demand(1, "380130000C", None, DemandStatus::Open),
            matched,
            demand(3, "380130000C", None, DemandStatus::Open),
            demand(4, "380130000C", None, DemandStatus::Withdrawn),
        ];
        let suggested = HashMap::from([(3, 2usize)]);
        let g: Vec<i64> = gaps(&demands, &suggested).iter().map(|d| d.id).collect();
        assert_eq!(g, vec![1]);
    }

    #[test]
    fn the_matrix_counts_each_demand_in_the_cell_of_whoever_holds_it() {
        let mut matched = demand(2, "380130000C", Some("380330000E"), DemandStatus::Matched);
        for (ds, agency) in [(1, "380290000H"), (2, "380330000E")] {
            matched.matches.push(DemandMatch {
                dataset_id: ds,
                dataset_title: "x".into(),
                providing_agency: code(agency),
                confirmed_by: "s".into(),
                confirmed_at: Timestamp::from_millis(0).unwrap(),
            });
        }
        let demands = vec![
            demand(1, "380130000C", None, DemandStatus::Open),
            matched,
            demand(3, "380130000C", Some("380290000H"), DemandStatus::Met),
            demand(4, "380130000C", Some("380290000H"), DemandStatus::Withdrawn),
        ];
        let cells = demand_matrix(&demands, &HashSet::from([1]));
        let find = |h: Option<&str>| {
            cells
                .iter()
                .find(|c| c.holder.as_ref().map(AgencyCode::as_str) == h)
                .unwrap()
                .clone()
        };
        assert_eq!(cells.len(), 3);
        let unknown = find(None);
        assert_eq!((unknown.demands, unknown.gaps), (1, 1));
        let transport = find(Some("380290000H"));
        assert_eq!(
            (transport.demands, transport.matched, transport.met),
            (1, 1, 1)
        );
        assert_eq!(find(Some("380330000E")).matched, 1);
    }

    #[test]
    fn status_moves_only_along_the_allowed_paths() {
        use DemandStatus::*;
        assert_eq!(next_status(Open, Met, false), Ok(Met));
        assert_eq!(next_status(Matched, Withdrawn, true), Ok(Withdrawn));
        assert_eq!(next_status(Withdrawn, Open, true), Ok(Matched));
        assert_eq!(next_status(Met, Open, false), Ok(Open));
        assert!(next_status(Open, Matched, false).is_err());
        assert!(next_status(Open, Open, false).is_err());
        assert!(next_status(Met, Withdrawn, true).is_err());
    }

    #[test]
    fn cost_per_use_is_unknown_without_a_cost_or_without_use() {
        assert_eq!(per_unit(Some(30_000_000), 1_500), Some(20_000.0));
        assert_eq!(per_unit(Some(30_000_000), 0), None);
        assert_eq!(per_unit(None, 100), None);
        assert_eq!(per_unit(Some(0), 4), Some(0.0));
    }

    #[test]
    fn the_benefit_report_joins_cost_and_use_by_platform_and_year() {
        let platform = |id| DataPlatform {
            id,
            input: PlatformInput {
                name_zh: "平台".into(),
                name_en: None,
                operator: code("380290000H"),
                since_year: None,
                status: PlatformStatus::Active,
                retired_year: None,
                note: None,
            },
            created_at: Timestamp::from_millis(0).unwrap(),
            updated_at: Timestamp::from_millis(0).unwrap(),
        };
        let costs = vec![
            PlatformCost {
                platform_id: 1,
                roc_year: 112,
                amount: 3_432_400,
                note: None,
            },
            PlatformCost {
                platform_id: 1,
                roc_year: 113,
                amount: 1_000,
                note: None,
            },
        ];
        let uses = vec![
            PlatformUse {
                platform_id: 1,
                roc_year: 113,
                views: 6,
                downloads: 3,
                api_calls: 1,
                users: 4,
                agencies: 2,
                used_datasets: 3,
            },
            PlatformUse {
                platform_id: 2,
                roc_year: 113,
                views: 7,
                users: 1,
                ..PlatformUse::default()
            },
            // A platform nobody registered is not reported.
            PlatformUse {
                platform_id: 99,
                roc_year: 113,
                views: 7,
                ..PlatformUse::default()
            },
        ];
        let rows = benefit_rows(
            &[platform(1), platform(2)],
            &HashMap::from([(1, 10), (2, 5)]),
            &costs,
            &uses,
        );
        assert_eq!(rows.len(), 3);
        let r112 = &rows[0];
        assert_eq!(
            (r112.roc_year, r112.uses, r112.cost),
            (112, 0, Some(3_432_400))
        );
        assert_eq!(r112.cost_per_use, None, "no use: no division by zero");
        let r113 = &rows[1];
        assert_eq!((r113.uses, r113.users, r113.datasets), (10, 4, 10));
        assert_eq!(r113.cost_per_use, Some(100.0));
        assert_eq!(r113.cost_per_user, Some(250.0));
        let other = &rows[2];
        assert_eq!(
            (other.platform_id, other.cost, other.cost_per_use),
            (2, None, None)
        );
    }

    #[test]
    fn unused_datasets_are_listed_under_their_platform_and_unmapped_sources_last() {
        let datasets = vec![
            (1, "a".to_string(), "一".to_string(), "X".to_string()),
            (2, "b".to_string(), "二".to_string(), "X".to_string()),
            (3, "a".to_string(), "三".to_string(), "X".to_string()),
        ];
        let list = unused_by_platform(
            &datasets,
            &HashMap::from([("a".to_string(), 7)]),
            &HashSet::from([3]),
        );
        let got: Vec<(Option<i64>, i64)> =
            list.iter().map(|u| (u.platform_id, u.dataset_id)).collect();
        assert_eq!(got, vec![(Some(7), 1), (None, 2)]);
    }
}
