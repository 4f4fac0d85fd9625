//! Catalogue search on SQLite: FTS5 over civitas' own tokens (two-character pieces for Chinese)
//! ranked by BM25, facet filters as semi-joins, and facet counts — from the totals kept at
//! write time when nothing narrows the catalogue, by one GROUP BY otherwise. With the
//! in-memory index (index.rs, the default) only the page's rows are read here.

use civitas_core::catalog::{
    FACETS, Facet, FacetCount, SearchHit, SearchQuery, SearchResult, SortOrder, query_tokens,
};
use civitas_core::error::DomainResult;
use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, Row};

use super::index::SearchIndex;
use crate::convert::{Params, db_err, opt_ts, param_refs, ts};

/// The FTS5 expression for the query's words, or `None` when there are none.
fn match_expression(q: &SearchQuery) -> Option<String> {
    let tokens = query_tokens(q.text.as_deref().unwrap_or(""));
    if tokens.is_empty() {
        return None;
    }
    let terms: Vec<String> = tokens
        .iter()
        .map(|t| {
            // Tokens are letters and digits only, so quoting is enough to keep them literal.
            let quoted = format!("\"{}\"", t.text.replace('"', ""));
            let term = if t.prefix {
                format!("{quoted}*")
            } else {
                quoted
            };
            if q.fields_only {
                format!("fields : {term}")
            } else {
                term
            }
        })
        .collect();
    Some(terms.join(" AND "))
}

/// `WHERE` conditions selecting the matching datasets, leaving out one facet's filter when
/// counting that facet (so its other values still show how many they would give).
fn conditions(
    q: &SearchQuery,
    matcher: Option<&str>,
    except: Option<Facet>,
    params: &mut Params,
) -> String {
    let mut conds: Vec<String> = Vec::new();
    if !q.include_withdrawn {
        conds.push("d.status = 'active'".into());
    }
    if let Some(m) = matcher {
        params.push(Box::new(m.to_string()));
        conds.push(format!(
            "d.id IN (SELECT rowid FROM dataset_search WHERE dataset_search MATCH ?{})",
            params.len()
        ));
    }
    for facet in FACETS {
        if Some(facet) == except {
            continue;
        }
        let values: Vec<&String> = q
            .filters
            .iter()
            .filter(|(f, _)| *f == facet)
            .map(|(_, v)| v)
            .collect();
        if values.is_empty() {
            continue;
        }
        params.push(Box::new(facet.code()));
        let facet_param = params.len();
        let mut marks = Vec::new();
        for v in values {
            params.push(Box::new(v.clone()));
            marks.push(format!("?{}", params.len()));
        }
        conds.push(format!(
            "d.id IN (SELECT dataset_id FROM dataset_facets WHERE facet = ?{facet_param} AND value IN ({}))",
            marks.join(", ")
        ));
    }
    if conds.is_empty() {
        "1 = 1".into()
    } else {
        conds.join(" AND ")
    }
}

fn counts(
    conn: &Connection,
    sql: &str,
    params: &Params,
) -> DomainResult<Vec<(String, String, u64)>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_err)?;
    let rows = stmt
        .query_map(param_refs(params).as_slice(), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)?;
    Ok(rows
        .into_iter()
        .map(|(f, v, c)| (f, v, u64::try_from(c).unwrap_or(0)))
        .collect())
}

fn group(rows: Vec<(String, String, u64)>) -> Vec<(Facet, Vec<FacetCount>)> {
    FACETS
        .into_iter()
        .map(|facet| {
            let mut values: Vec<FacetCount> = rows
                .iter()
                .filter(|(f, _, c)| f == facet.code() && *c > 0)
                .map(|(_, v, c)| FacetCount {
                    value: v.clone(),
                    count: *c,
                })
                .collect();
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            (facet, values)
        })
        .collect()
}

const HIT_COLUMNS: &str = "d.id, d.identifier, d.title_zh, d.title_en, d.agency, d.description_zh, d.formats, d.frequency,
     d.freshness_state, d.access_level, d.updated_at, d.status = 'withdrawn',
     d.data_updated_at, d.freshness_due_at, d.freshness_explanation_zh, d.freshness_explanation_en";

fn hit(r: &Row<'_>) -> rusqlite::Result<SearchHit> {
    let formats: String = r.get(6)?;
    Ok(SearchHit {
        id: r.get(0)?,
        identifier: r.get(1)?,
        title_zh: r.get(2)?,
        title_en: r.get(3)?,
        agency: r.get(4)?,
        description_zh: r.get(5)?,
        formats: formats
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect(),
        frequency: r.get(7)?,
        freshness: r.get(8)?,
        access: r.get(9)?,
        updated_at: ts(r.get(10)?)?,
        withdrawn: r.get(11)?,
        data_updated_at: opt_ts(r.get(12)?)?,
        due_at: opt_ts(r.get(13)?)?,
        freshness_explanation: match (
            r.get::<_, Option<String>>(14)?,
            r.get::<_, Option<String>>(15)?,
        ) {
            (Some(zh), Some(en)) => Some(civitas_core::text::Text::new(zh, en)),
            _ => None,
        },
    })
}

/// The rows of `page`'s datasets, in its order.
fn hits_in_order(conn: &Connection, page: &[i64]) -> DomainResult<Vec<SearchHit>> {
    let mut hits = Vec::with_capacity(page.len());
    if !page.is_empty() {
        let marks: Vec<String> = (1..=page.len()).map(|i| format!("?{i}")).collect();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {HIT_COLUMNS} FROM datasets_assessed d WHERE d.id IN ({})",
                marks.join(", ")
            ))
            .map_err(db_err)?;
        let mut found: HashMap<i64, SearchHit> = stmt
            .query_map(rusqlite::params_from_iter(page.iter()), hit)
            .map_err(db_err)?
            .map(|h| h.map(|h| (h.id, h)))
            .collect::<rusqlite::Result<_>>()
            .map_err(db_err)?;
        hits.extend(page.iter().filter_map(|id| found.remove(id)));
    }
    Ok(hits)
}

/// The in-memory index decides what matches, the order and the counts; the page's rows come
/// from the database.
pub(crate) fn search_indexed(
    conn: &Connection,
    index: &SearchIndex,
    q: &SearchQuery,
) -> DomainResult<SearchResult> {
    let answer = index.search(conn, q)?;
    Ok(SearchResult {
        hits: hits_in_order(conn, &answer.page)?,
        total: answer.total,
        page: q.page,
        facets: answer.facets,
    })
}

/// Words ranked by relevance, the common case: one pass over the matches' facet rows (read from
/// the covering index in dataset order) decides which datasets pass the filters and counts every
/// facet, the scores come from one BM25 pass, and only the page's rows are read. Filtered
/// facets are counted without their own filter, as in the general path.
fn search_ranked(conn: &Connection, q: &SearchQuery, matcher: &str) -> DomainResult<SearchResult> {
    let active = if q.include_withdrawn {
        ""
    } else {
        "d.status = 'active' AND"
    };
    // Each dataset's facet values, in dataset order.
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT f.dataset_id, f.facet, f.value FROM dataset_facets f
             WHERE f.dataset_id IN (SELECT d.id FROM datasets d
                                    WHERE {active} d.id IN (SELECT rowid FROM dataset_search WHERE dataset_search MATCH ?1))
             ORDER BY f.dataset_id"
        ))
        .map_err(db_err)?;
    let mut rows = stmt.query([matcher]).map_err(db_err)?;
    let filtered: Vec<Facet> = FACETS
        .into_iter()
        .filter(|f| q.filters.iter().any(|(g, _)| g == f))
        .collect();
    let wanted = |facet: Facet, value: &str| {
        q.filters
            .iter()
            .any(|(f, v)| *f == facet && v.as_str() == value)
    };
    // (facet, value) → count, over datasets passing every filter, or all but that facet's own.
    let mut counted: HashMap<(Facet, String), u64> = HashMap::new();
    let mut passing: HashSet<i64> = HashSet::new();
    let mut current: Option<i64> = None;
    let mut values: Vec<(Facet, String)> = Vec::new();
    let mut settle = |id: i64, values: &mut Vec<(Facet, String)>| {
        // Which filtered facets this dataset fails.
        let failed: Vec<Facet> = filtered
            .iter()
            .copied()
            .filter(|f| !values.iter().any(|(g, v)| g == f && wanted(*f, v)))
            .collect();
        if failed.is_empty() {
            passing.insert(id);
        }
        for (facet, value) in values.drain(..) {
            let counts = match failed.as_slice() {
                [] => true,
                [only] => *only == facet,
                _ => false,
            };
            if counts {
                *counted.entry((facet, value)).or_default() += 1;
            }
        }
    };
    while let Some(r) = rows.next().map_err(db_err)? {
        let id: i64 = r.get(0).map_err(db_err)?;
        let facet: String = r.get(1).map_err(db_err)?;
        let value: String = r.get(2).map_err(db_err)?;
        if current != Some(id) {
            if let Some(previous) = current {
                settle(previous, &mut values);
            }
            current = Some(id);
        }
        if let Some(facet) = Facet::parse(&facet) {
            values.push((facet, value));
        }
    }
    if let Some(last) = current {
        settle(last, &mut values);
    }

    // Rank the passing datasets and read the page.
    let mut scored: Vec<(f64, i64)> = Vec::with_capacity(passing.len());
    {
        let mut stmt = conn
            .prepare_cached(
                "SELECT rowid, bm25(dataset_search, 10.0, 5.0, 2.0, 3.0, 1.0) FROM dataset_search
                 WHERE dataset_search MATCH ?1",
            )
            .map_err(db_err)?;
        let mut rows = stmt.query([matcher]).map_err(db_err)?;
        while let Some(r) = rows.next().map_err(db_err)? {
            let id: i64 = r.get(0).map_err(db_err)?;
            if passing.contains(&id) {
                scored.push((r.get(1).map_err(db_err)?, id));
            }
        }
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let page: Vec<i64> = scored
        .iter()
        .skip(usize::try_from(q.page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(q.page.limit()).unwrap_or(0))
        .map(|(_, id)| *id)
        .collect();
    let hits = hits_in_order(conn, &page)?;
    Ok(SearchResult {
        hits,
        total: passing.len() as u64,
        page: q.page,
        facets: group(
            counted
                .into_iter()
                .map(|((f, v), c)| (f.code().to_string(), v, c))
                .collect(),
        ),
    })
}

pub(crate) fn search(conn: &Connection, q: &SearchQuery) -> DomainResult<SearchResult> {
    let matcher = match_expression(q);
    if let (Some(m), SortOrder::Relevance) = (&matcher, q.sort) {
        return search_ranked(conn, q, m);
    }
    let mut params: Params = Vec::new();
    let cond = conditions(q, matcher.as_deref(), None, &mut params);

    let total: i64 = conn
        .query_row(
            &format!("SELECT COUNT(*) FROM datasets d WHERE {cond}"),
            param_refs(&params).as_slice(),
            |r| r.get(0),
        )
        .map_err(db_err)?;

    let columns = "d.id, d.identifier, d.title_zh, d.title_en, d.agency, d.description_zh, d.formats, d.frequency,
                   d.freshness_state, d.access_level, d.updated_at, d.status = 'withdrawn',
                   d.data_updated_at, d.freshness_due_at, d.freshness_explanation_zh, d.freshness_explanation_en";
    let sql = match (&matcher, q.sort) {
        (Some(m), SortOrder::Relevance) => {
            // Rank the matches on the index alone and read the rows of one page only: the
            // rows are wide (the whole description), the matches can be thousands. The `+`
            // keeps SQLite from handing the id list to FTS5 as rowid lookups, which would run
            // the full-text match once per matching dataset.
            params.push(Box::new(m.clone()));
            let matched = params.len();
            params.push(Box::new(q.page.limit() as i64));
            let limit = params.len();
            params.push(Box::new(q.page.offset() as i64));
            let offset = params.len();
            format!(
                "SELECT {columns}
                 FROM (SELECT s.id, s.score
                       FROM (SELECT rowid AS id, bm25(dataset_search, 10.0, 5.0, 2.0, 3.0, 1.0) AS score
                             FROM dataset_search WHERE dataset_search MATCH ?{matched}) s
                       WHERE +s.id IN (SELECT d.id FROM datasets d WHERE {cond})
                       ORDER BY s.score, s.id LIMIT ?{limit} OFFSET ?{offset}) p
                 JOIN datasets_assessed d ON d.id = p.id
                 ORDER BY p.score, p.id"
            )
        }
        (_, sort) => {
            let order = match sort {
                SortOrder::Title => "d.title_zh, d.id",
                SortOrder::DueDate => "d.freshness_due_at IS NULL, d.freshness_due_at, d.id",
                _ => "d.updated_at DESC, d.id DESC",
            };
            params.push(Box::new(q.page.limit() as i64));
            let limit = params.len();
            params.push(Box::new(q.page.offset() as i64));
            let offset = params.len();
            format!(
                "SELECT {columns} FROM datasets_assessed d WHERE {cond} ORDER BY {order} LIMIT ?{limit} OFFSET ?{offset}"
            )
        }
    };
    let mut stmt = conn.prepare(&sql).map_err(db_err)?;
    let hits = stmt
        .query_map(param_refs(&params).as_slice(), hit)
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)?;

    let narrowed = matcher.is_some() || !q.filters.is_empty() || q.include_withdrawn;
    let facets = if !narrowed {
        group(counts(
            conn,
            "SELECT facet, value, count FROM dataset_facet_totals",
            &Vec::new(),
        )?)
    } else {
        let mut all = Vec::new();
        let mut p: Params = Vec::new();
        let base = conditions(q, matcher.as_deref(), None, &mut p);
        all.extend(counts(
            conn,
            &format!(
                "SELECT f.facet, f.value, COUNT(*) FROM dataset_facets f
                 WHERE f.dataset_id IN (SELECT d.id FROM datasets d WHERE {base}) GROUP BY f.facet, f.value"
            ),
            &p,
        )?);
        // A filtered facet is counted without its own filter, so its other values stay visible.
        for facet in FACETS {
            if !q.filters.iter().any(|(f, _)| *f == facet) {
                continue;
            }
            all.retain(|(f, _, _)| f != facet.code());
            let mut p: Params = Vec::new();
            let cond = conditions(q, matcher.as_deref(), Some(facet), &mut p);
            p.push(Box::new(facet.code()));
            let n = p.len();
            all.extend(counts(
                conn,
                &format!(
                    "SELECT f.facet, f.value, COUNT(*) FROM dataset_facets f
                     WHERE f.facet = ?{n} AND f.dataset_id IN (SELECT d.id FROM datasets d WHERE {cond})
                     GROUP BY f.facet, f.value"
                ),
                &p,
            )?);
        }
        group(all)
    };

    Ok(SearchResult {
        hits,
        total: u64::try_from(total).unwrap_or(0),
        page: q.page,
        facets,
    })
}
