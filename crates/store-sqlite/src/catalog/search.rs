//! Catalogue search on SQLite: FTS5 over civitas' own tokens (two-character pieces for Chinese)
//! ranked by BM25, facet filters as semi-joins, and facet counts — from the totals kept at
//! write time when nothing narrows the catalogue, by one GROUP BY otherwise.

use civitas_core::catalog::{
    FACETS, Facet, FacetCount, SearchHit, SearchQuery, SearchResult, SortOrder, query_tokens,
};
use civitas_core::error::DomainResult;
use rusqlite::Connection;

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

pub(crate) fn search(conn: &Connection, q: &SearchQuery) -> DomainResult<SearchResult> {
    let matcher = match_expression(q);
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
                 JOIN datasets d ON d.id = p.id
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
                "SELECT {columns} FROM datasets d WHERE {cond} ORDER BY {order} LIMIT ?{limit} OFFSET ?{offset}"
            )
        }
    };
    let mut stmt = conn.prepare(&sql).map_err(db_err)?;
    let hits = stmt
        .query_map(param_refs(&params).as_slice(), |r| {
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
        })
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
