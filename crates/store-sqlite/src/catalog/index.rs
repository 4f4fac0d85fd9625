//! The catalogue's search index in memory: a copy of `dataset_search` (civitas' own tokens),
//! the facet values and the sort keys, so that a search over 100,000 datasets answers with
//! exact facet counts in milliseconds. SQLite stays the record: each search first applies the
//! changes logged in `search_changes` since the copy was made (by any process), and only the
//! page's rows are read from the database. Ranking reproduces FTS5's `bm25()` with the same
//! column weights, so both engines order results alike.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::RwLock;

use civitas_core::catalog::{FACETS, Facet, FacetCount, SearchQuery, SortOrder, query_tokens};
use civitas_core::error::{DomainError, DomainResult};
use rusqlite::Connection;
use rustc_hash::{FxHashMap, FxHasher};

use crate::convert::db_err;

/// FTS5 `bm25()` weights of dataset_search's columns: title, keywords, description, fields,
/// agency (as in search.rs).
const WEIGHTS: [u32; 5] = [10, 5, 2, 3, 1];
const FIELDS_COLUMN: usize = 3;
/// FTS5's bm25 constants.
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// More changed datasets than this share of the copy: build it again rather than patch it.
const REBUILD_SHARE: usize = 4;

/// The datasets one search selects, in order, with the facet counts and the total.
pub(crate) struct IndexAnswer {
    pub page: Vec<i64>,
    pub total: u64,
    pub facets: Vec<(Facet, Vec<FacetCount>)>,
}

/// Shared by every reader connection of one store.
#[derive(Default)]
pub(crate) struct SearchIndex {
    copy: RwLock<Option<Copy>>,
}

impl SearchIndex {
    /// Bring the copy up to date with the database as `conn` sees it, then answer `q`.
    pub(crate) fn search(&self, conn: &Connection, q: &SearchQuery) -> DomainResult<IndexAnswer> {
        // One read transaction: the change log and the rows read for it are one snapshot.
        let tx = conn.unchecked_transaction().map_err(db_err)?;
        let (newest, oldest) = tx
            .query_row(
                // Two subqueries: each is one b-tree seek, MIN and MAX together are a scan.
                "SELECT COALESCE((SELECT MAX(seq) FROM search_changes), 0),
                        COALESCE((SELECT MIN(seq) FROM search_changes), 0)",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )
            .map_err(db_err)?;
        let current = {
            let copy = self.copy.read().map_err(poisoned)?;
            copy.as_ref().is_some_and(|c| c.seq == newest)
        };
        if !current {
            let mut copy = self.copy.write().map_err(poisoned)?;
            let stale = copy.take();
            *copy = Some(match stale {
                Some(c) if c.seq == newest => c,
                Some(c) if c.seq + 1 >= oldest && c.seq <= newest => c.catch_up(&tx, newest)?,
                _ => Copy::build(&tx, newest)?,
            });
        }
        tx.finish().map_err(db_err)?;
        let copy = self.copy.read().map_err(poisoned)?;
        let copy = copy
            .as_ref()
            .ok_or_else(|| DomainError::store("the search index could not be built"))?;
        Ok(copy.answer(q))
    }
}

fn poisoned<T>(_: T) -> DomainError {
    DomainError::store("the search index lock was poisoned by a failed search")
}

/// One term's datasets (slots, ascending) and its weighted frequency in each.
#[derive(Default)]
struct Postings {
    slots: Vec<u32>,
    freq: Vec<u16>,
}

/// A term dictionary with its postings.
#[derive(Default)]
struct Terms {
    ids: FxHashMap<Box<str>, u32>,
    postings: Vec<Postings>,
}

impl Terms {
    fn id(&mut self, term: &str) -> u32 {
        if let Some(id) = self.ids.get(term) {
            return *id;
        }
        let id = u32::try_from(self.postings.len()).unwrap_or(u32::MAX);
        self.ids.insert(term.into(), id);
        self.postings.push(Postings::default());
        id
    }

    /// `(term id, weighted frequency)` pairs, sorted and summed per term, into the postings.
    fn add(&mut self, slot: u32, mut hits: Vec<(u32, u32)>) {
        hits.sort_unstable_by_key(|(term, _)| *term);
        let mut hits = hits.into_iter().peekable();
        while let Some((term, mut freq)) = hits.next() {
            while let Some((_, more)) = hits.next_if(|(t, _)| *t == term) {
                freq += more;
            }
            if let Some(p) = self.postings.get_mut(term as usize) {
                p.slots.push(slot);
                p.freq.push(u16::try_from(freq).unwrap_or(u16::MAX));
            }
        }
    }

    /// The live datasets holding `term` (every term starting with it when `prefix`), with the
    /// summed weighted frequency, ascending by slot.
    fn matches(&self, term: &str, prefix: bool, docs: &[Doc]) -> Vec<(u32, u32)> {
        let lists: Vec<&Postings> = if prefix {
            // Only one-character Chinese words are prefixes: a pass over the dictionary.
            self.ids
                .iter()
                .filter(|(t, _)| t.starts_with(term))
                .filter_map(|(_, id)| self.postings.get(*id as usize))
                .collect()
        } else {
            self.ids
                .get(term)
                .and_then(|id| self.postings.get(*id as usize))
                .into_iter()
                .collect()
        };
        let live = |slot: u32| docs.get(slot as usize).is_some_and(|d| d.live);
        let mut out: Vec<(u32, u32)> = Vec::new();
        for p in &lists {
            for (slot, freq) in p.slots.iter().zip(&p.freq) {
                if live(*slot) {
                    out.push((*slot, u32::from(*freq)));
                }
            }
        }
        if lists.len() > 1 {
            out.sort_unstable_by_key(|(slot, _)| *slot);
            out.dedup_by(|later, first| {
                if later.0 == first.0 {
                    first.1 += later.1;
                    true
                } else {
                    false
                }
            });
        }
        out
    }

    fn shrink(&mut self) {
        for p in &mut self.postings {
            p.slots.shrink_to_fit();
            p.freq.shrink_to_fit();
        }
    }
}

/// One dataset as searches see it.
struct Doc {
    id: i64,
    /// False once a newer slot holds the dataset, or it is gone.
    live: bool,
    active: bool,
    updated_at: i64,
    due_at: Option<i64>,
    title: Box<str>,
    /// Facet value ids.
    values: Box<[u32]>,
    /// Tokens in all columns, for bm25's length normalisation.
    tokens: u32,
    text_hash: u64,
}

/// What one dataset's rows hold.
struct Row {
    active: bool,
    updated_at: i64,
    due_at: Option<i64>,
    title: String,
    columns: [String; 5],
}

impl Row {
    fn text_hash(&self) -> u64 {
        let mut h = FxHasher::default();
        self.columns.hash(&mut h);
        h.finish()
    }
}

struct Copy {
    seq: i64,
    docs: Vec<Doc>,
    slot_of: FxHashMap<i64, u32>,
    terms: Terms,
    /// The same terms in the field-names column only (searching by field name).
    field_terms: Terms,
    values: Vec<(Facet, String)>,
    value_of: FxHashMap<(Facet, String), u32>,
    live: u64,
    live_tokens: u64,
    dead: usize,
}

const DOC_COLUMNS: &str = "d.id, d.status = 'active', d.updated_at, a.due_at, d.title_zh, s.title, s.keywords, s.description, s.fields, s.agency";
/// Each dataset with its text and its assessment.
const DOC_FROM: &str = "datasets d LEFT JOIN dataset_search s ON s.rowid = d.id LEFT JOIN dataset_freshness a ON a.dataset_id = d.id";

fn doc_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Row)> {
    let text = |i: usize| -> rusqlite::Result<String> {
        Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
    };
    Ok((
        r.get(0)?,
        Row {
            active: r.get(1)?,
            updated_at: r.get(2)?,
            due_at: r.get(3)?,
            title: r.get(4)?,
            columns: [text(5)?, text(6)?, text(7)?, text(8)?, text(9)?],
        },
    ))
}

impl Copy {
    fn empty(seq: i64) -> Copy {
        Copy {
            seq,
            docs: Vec::new(),
            slot_of: FxHashMap::default(),
            terms: Terms::default(),
            field_terms: Terms::default(),
            values: Vec::new(),
            value_of: FxHashMap::default(),
            live: 0,
            live_tokens: 0,
            dead: 0,
        }
    }

    fn build(conn: &Connection, seq: i64) -> DomainResult<Copy> {
        let mut copy = Copy::empty(seq);
        // Facet values first (interned), then each dataset's rows as they stream past.
        let mut facets: FxHashMap<i64, Vec<u32>> = FxHashMap::default();
        {
            let mut stmt = conn
                .prepare("SELECT dataset_id, facet, value FROM dataset_facets")
                .map_err(db_err)?;
            let mut found = stmt.query([]).map_err(db_err)?;
            while let Some(r) = found.next().map_err(db_err)? {
                let facet: String = r.get(1).map_err(db_err)?;
                let Some(facet) = Facet::parse(&facet) else {
                    continue;
                };
                let value: String = r.get(2).map_err(db_err)?;
                let id = copy.value_id(facet, &value);
                facets
                    .entry(r.get(0).map_err(db_err)?)
                    .or_default()
                    .push(id);
            }
        }
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {DOC_COLUMNS} FROM {DOC_FROM} ORDER BY d.id"
            ))
            .map_err(db_err)?;
        let found = stmt.query_map([], doc_row).map_err(db_err)?;
        for row in found {
            let (id, row) = row.map_err(db_err)?;
            let values = facets.remove(&id).unwrap_or_default().into_boxed_slice();
            copy.append(id, &row, values);
        }
        copy.terms.shrink();
        copy.field_terms.shrink();
        Ok(copy)
    }

    /// Apply the changes logged after this copy was made.
    fn catch_up(mut self, conn: &Connection, newest: i64) -> DomainResult<Copy> {
        let changed: Vec<i64> = {
            let mut stmt = conn
                .prepare_cached("SELECT DISTINCT dataset_id FROM search_changes WHERE seq > ?1")
                .map_err(db_err)?;
            stmt.query_map([self.seq], |r| r.get(0))
                .map_err(db_err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db_err)?
        };
        let live = usize::try_from(self.live).unwrap_or(usize::MAX);
        if changed.len() > live / REBUILD_SHARE + 100 {
            return Copy::build(conn, newest);
        }
        let mut read_row = conn
            .prepare_cached(&format!(
                "SELECT {DOC_COLUMNS} FROM {DOC_FROM} WHERE d.id = ?1"
            ))
            .map_err(db_err)?;
        let mut read_facets = conn
            .prepare_cached("SELECT facet, value FROM dataset_facets WHERE dataset_id = ?1")
            .map_err(db_err)?;
        for id in changed {
            let mut rows = read_row.query_map([id], doc_row).map_err(db_err)?;
            let row = rows.next().transpose().map_err(db_err)?;
            drop(rows);
            match row {
                None => self.retire(id),
                Some((_, row)) => {
                    let facets: Vec<(String, String)> = read_facets
                        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
                        .map_err(db_err)?
                        .collect::<rusqlite::Result<_>>()
                        .map_err(db_err)?;
                    let values = facets
                        .iter()
                        .filter_map(|(f, v)| Facet::parse(f).map(|f| self.value_id(f, v)))
                        .collect();
                    self.replace(id, &row, values);
                }
            }
        }
        self.seq = newest;
        // Slots left behind by rewritten texts are only skipped; start afresh when they pile up.
        if self.dead > self.docs.len() / 2 + 1000 {
            return Copy::build(conn, newest);
        }
        Ok(self)
    }

    fn value_id(&mut self, facet: Facet, value: &str) -> u32 {
        let key = (facet, value.to_string());
        if let Some(id) = self.value_of.get(&key) {
            return *id;
        }
        let id = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.values.push(key.clone());
        self.value_of.insert(key, id);
        id
    }

    /// A dataset's new rows: its text unchanged, only what describes it is replaced in place;
    /// otherwise it moves to a new slot (postings stay in slot order) and the old one retires.
    fn replace(&mut self, id: i64, row: &Row, values: Box<[u32]>) {
        let hash = row.text_hash();
        if let Some(doc) = self
            .slot_of
            .get(&id)
            .and_then(|slot| self.docs.get_mut(*slot as usize))
            .filter(|d| d.text_hash == hash)
        {
            doc.active = row.active;
            doc.updated_at = row.updated_at;
            doc.due_at = row.due_at;
            doc.title = row.title.clone().into_boxed_str();
            doc.values = values;
            return;
        }
        self.retire(id);
        self.append(id, row, values);
    }

    fn retire(&mut self, id: i64) {
        if let Some(doc) = self
            .slot_of
            .remove(&id)
            .and_then(|slot| self.docs.get_mut(slot as usize))
            .filter(|d| d.live)
        {
            doc.live = false;
            self.live = self.live.saturating_sub(1);
            self.live_tokens = self.live_tokens.saturating_sub(u64::from(doc.tokens));
            self.dead += 1;
        }
    }

    fn append(&mut self, id: i64, row: &Row, values: Box<[u32]>) {
        let slot = u32::try_from(self.docs.len()).unwrap_or(u32::MAX);
        let mut hits: Vec<(u32, u32)> = Vec::new();
        let mut field_hits: Vec<(u32, u32)> = Vec::new();
        let mut tokens = 0u32;
        for (column, text) in row.columns.iter().enumerate() {
            let weight = WEIGHTS.get(column).copied().unwrap_or(1);
            for token in text.split_whitespace() {
                tokens += 1;
                let token = fold(token);
                hits.push((self.terms.id(&token), weight));
                if column == FIELDS_COLUMN {
                    field_hits.push((self.field_terms.id(&token), weight));
                }
            }
        }
        self.terms.add(slot, hits);
        self.field_terms.add(slot, field_hits);
        self.docs.push(Doc {
            id,
            live: true,
            active: row.active,
            updated_at: row.updated_at,
            due_at: row.due_at,
            title: row.title.clone().into_boxed_str(),
            values,
            tokens,
            text_hash: row.text_hash(),
        });
        self.slot_of.insert(id, slot);
        self.live += 1;
        self.live_tokens += u64::from(tokens);
    }

    fn answer(&self, q: &SearchQuery) -> IndexAnswer {
        let tokens = query_tokens(q.text.as_deref().unwrap_or(""));
        // (slot, score) of the datasets whose text matches, or of every dataset without words.
        let candidates: Vec<(u32, f64)> = if tokens.is_empty() {
            self.docs
                .iter()
                .enumerate()
                .filter(|(_, d)| d.live)
                .map(|(slot, _)| (u32::try_from(slot).unwrap_or(u32::MAX), 0.0))
                .collect()
        } else {
            self.matching(q, &tokens)
        };

        // Filters: several values of one facet mean any of them; a facet's own filter is left
        // out when counting its values, so the others still show what they would give.
        let filtered: Vec<(Facet, HashSet<u32>)> = FACETS
            .into_iter()
            .filter_map(|facet| {
                let wanted: Vec<&String> = q
                    .filters
                    .iter()
                    .filter(|(f, _)| *f == facet)
                    .map(|(_, v)| v)
                    .collect();
                if wanted.is_empty() {
                    return None;
                }
                let ids = wanted
                    .into_iter()
                    .filter_map(|v| self.value_of.get(&(facet, v.clone())).copied())
                    .collect();
                Some((facet, ids))
            })
            .collect();
        let bit = |facet: Facet| -> u16 {
            filtered
                .iter()
                .position(|(f, _)| *f == facet)
                .map_or(0, |i| 1u16 << i)
        };
        let value_bits: Vec<u16> = self.values.iter().map(|(f, _)| bit(*f)).collect();
        let mut counts = vec![0u64; self.values.len()];
        let mut passing: Vec<(u32, f64)> = Vec::new();
        for (slot, score) in candidates {
            let Some(doc) = self.docs.get(slot as usize) else {
                continue;
            };
            if !q.include_withdrawn && !doc.active {
                continue;
            }
            let mut failed: u16 = 0;
            for (i, (_, wanted)) in filtered.iter().enumerate() {
                if !doc.values.iter().any(|v| wanted.contains(v)) {
                    failed |= 1 << i;
                }
            }
            for v in doc.values.iter() {
                let own = value_bits.get(*v as usize).copied().unwrap_or(0);
                if (failed == 0 || failed == own)
                    && let Some(c) = counts.get_mut(*v as usize)
                {
                    *c += 1;
                }
            }
            if failed == 0 {
                passing.push((slot, score));
            }
        }

        let total = passing.len() as u64;
        let offset = usize::try_from(q.page.offset()).unwrap_or(usize::MAX);
        let limit = usize::try_from(q.page.limit()).unwrap_or(0);
        let wanted = offset.saturating_add(limit).min(passing.len());
        let order = |a: &(u32, f64), b: &(u32, f64)| self.order(q, &tokens, a, b);
        if wanted > 0 && wanted < passing.len() {
            passing.select_nth_unstable_by(wanted - 1, order);
            passing.truncate(wanted);
        }
        passing.sort_unstable_by(order);
        let page = passing
            .iter()
            .skip(offset)
            .take(limit)
            .filter_map(|(slot, _)| self.docs.get(*slot as usize).map(|d| d.id))
            .collect();

        let facets = FACETS
            .into_iter()
            .map(|facet| {
                let mut values: Vec<FacetCount> = self
                    .values
                    .iter()
                    .zip(&counts)
                    .filter(|((f, _), c)| *f == facet && **c > 0)
                    .map(|((_, v), c)| FacetCount {
                        value: v.clone(),
                        count: *c,
                    })
                    .collect();
                values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                (facet, values)
            })
            .collect();
        IndexAnswer {
            page,
            total,
            facets,
        }
    }

    /// Datasets holding every word, scored as FTS5's bm25 scores them: per word,
    /// idf × f·(k1+1) / (f + k1·(1 − b + b·|D|/avgdl)), f the column-weighted frequency.
    fn matching(
        &self,
        q: &SearchQuery,
        tokens: &[civitas_core::catalog::QueryToken],
    ) -> Vec<(u32, f64)> {
        let terms = if q.fields_only {
            &self.field_terms
        } else {
            &self.terms
        };
        let mut lists: Vec<Vec<(u32, u32)>> = tokens
            .iter()
            .map(|t| terms.matches(&fold(&t.text), t.prefix, &self.docs))
            .collect();
        if lists.iter().any(Vec::is_empty) {
            return Vec::new();
        }
        lists.sort_by_key(Vec::len);
        let rows = self.live as f64;
        let average = if self.live == 0 {
            1.0
        } else {
            self.live_tokens as f64 / rows
        };
        let score = |hits: usize, freq: u32, doc_tokens: u32| {
            let hits = hits as f64;
            let mut idf = ((rows - hits + 0.5) / (hits + 0.5)).ln();
            if idf <= 0.0 {
                idf = 1e-6;
            }
            let f = f64::from(freq);
            idf * (f * (K1 + 1.0)) / (f + K1 * (1.0 - B + B * f64::from(doc_tokens) / average))
        };
        let tokens_of = |slot: u32| self.docs.get(slot as usize).map_or(0, |d| d.tokens);
        let mut lists = lists.into_iter();
        let Some(first) = lists.next() else {
            return Vec::new();
        };
        let hits = first.len();
        let mut found: Vec<(u32, f64)> = first
            .into_iter()
            .map(|(slot, f)| (slot, score(hits, f, tokens_of(slot))))
            .collect();
        for list in lists {
            let hits = list.len();
            let mut next = Vec::with_capacity(found.len().min(hits));
            let mut other = list.iter().peekable();
            for (slot, s) in found {
                while other.next_if(|(o, _)| *o < slot).is_some() {}
                if let Some((_, f)) = other.next_if(|(o, _)| *o == slot) {
                    next.push((slot, s + score(hits, *f, tokens_of(slot))));
                }
            }
            found = next;
            if found.is_empty() {
                break;
            }
        }
        found
    }

    fn order(
        &self,
        q: &SearchQuery,
        tokens: &[civitas_core::catalog::QueryToken],
        a: &(u32, f64),
        b: &(u32, f64),
    ) -> std::cmp::Ordering {
        let (Some(x), Some(y)) = (self.docs.get(a.0 as usize), self.docs.get(b.0 as usize)) else {
            return a.0.cmp(&b.0);
        };
        match q.sort {
            SortOrder::Relevance if !tokens.is_empty() => b.1.total_cmp(&a.1).then(x.id.cmp(&y.id)),
            SortOrder::Title => x.title.cmp(&y.title).then(x.id.cmp(&y.id)),
            SortOrder::DueDate => (x.due_at.is_none(), x.due_at)
                .cmp(&(y.due_at.is_none(), y.due_at))
                .then(x.id.cmp(&y.id)),
            _ => y.updated_at.cmp(&x.updated_at).then(y.id.cmp(&x.id)),
        }
    }
}

/// FTS5's unicode61 tokenizer folds case; civitas' tokens are mostly folded already.
fn fold(token: &str) -> std::borrow::Cow<'_, str> {
    let upper = if token.is_ascii() {
        token.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        token.chars().any(char::is_uppercase)
    };
    if upper {
        std::borrow::Cow::Owned(token.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(token)
    }
}
