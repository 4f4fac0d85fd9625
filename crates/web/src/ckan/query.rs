//! The part of CKAN's Solr syntax civitas answers exactly, for `q`, `fq` and `sort`.
//! Terms are ANDed; `OR` joins field terms, as does `field:(a OR b)`; `+` is the default and
//! `-`/`NOT` exclude. Values may be quoted, `*` means "has any", and dates take ranges
//! (`metadata_modified:[2024-01-01T00:00:00Z TO *]`, what harvesters send). Words without a
//! field go to civitas' own text search (Chinese bigrams, 台/臺). A field civitas cannot filter
//! by is a Validation Error naming it, never silently ignored.

use std::ops::Bound;

use civitas_core::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Id,
    Name,
    Organization,
    OwnerOrg,
    ResFormat,
    Tags,
    LicenseId,
    MetadataModified,
    MetadataCreated,
    DatasetType,
    State,
    Private,
    Capacity,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name {
            "id" => Field::Id,
            "name" => Field::Name,
            "organization" => Field::Organization,
            "owner_org" => Field::OwnerOrg,
            "res_format" => Field::ResFormat,
            "tags" => Field::Tags,
            "license_id" => Field::LicenseId,
            "metadata_modified" => Field::MetadataModified,
            "metadata_created" => Field::MetadataCreated,
            "dataset_type" | "type" => Field::DatasetType,
            "state" => Field::State,
            "private" => Field::Private,
            "capacity" => Field::Capacity,
            _ => return None,
        })
    }

    fn is_date(self) -> bool {
        matches!(self, Field::MetadataModified | Field::MetadataCreated)
    }
}

/// Fields of CKAN's index that civitas has no exact answer for. In `q`, other `word:` prefixes
/// (such as `http:`) are just words; in `fq` every unknown field is refused.
const CKAN_ONLY_FIELDS: &[&str] = &[
    "title",
    "title_string",
    "notes",
    "groups",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "url",
    "version",
    "res_name",
    "res_description",
    "res_url",
    "res_type",
    "license",
    "num_resources",
    "num_tags",
    "site_id",
    "entity_type",
    "creator_user_id",
    "permission_labels",
    "index_id",
    "capacity_public",
    "urls",
    "ckan_url",
    "download_url",
];

#[derive(Debug, Clone, PartialEq)]
pub enum Wanted {
    /// `field:*`: has any value.
    Any,
    Is(String),
    Between(Bound<Timestamp>, Bound<Timestamp>),
}

/// One term: any of its alternatives matches, or, when negated, none does.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub negated: bool,
    pub any_of: Vec<(Field, Wanted)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub clauses: Vec<Clause>,
    /// Words for the text search, all of which must match.
    pub words: Vec<String>,
}

/// What could not be understood, for a Validation Error on the parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    Q,
    Fq,
}

fn tokens(input: &str) -> Result<Vec<String>, Unsupported> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = input.chars();
    while let Some(c) = chars.next() {
        let closers: &[char] = match c {
            '"' => &['"'],
            '[' | '{' => &[']', '}'],
            '(' => &[')'],
            c if c.is_whitespace() => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                continue;
            }
            '\\' => {
                current.push(c);
                current.extend(chars.next());
                continue;
            }
            _ => {
                current.push(c);
                continue;
            }
        };
        current.push(c);
        loop {
            match chars.next() {
                Some('\\') => {
                    current.push('\\');
                    current.extend(chars.next());
                }
                Some(x) if closers.contains(&x) => {
                    current.push(x);
                    break;
                }
                Some(x) => current.push(x),
                None => return Err(Unsupported(format!("unbalanced {c} in {input}"))),
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    Ok(out)
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

fn instant(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    Timestamp::parse_rfc3339(text)
        .or_else(|| Timestamp::parse_rfc3339(&format!("{text}Z")))
        .or_else(|| Timestamp::parse_rfc3339(&format!("{text}T00:00:00Z")))
}

fn bound(text: &str, inclusive: bool) -> Result<Bound<Timestamp>, Unsupported> {
    if text.trim() == "*" {
        return Ok(Bound::Unbounded);
    }
    let at = instant(text).ok_or_else(|| {
        Unsupported(format!(
            "{text}: dates are ISO 8601 (2024-01-31T00:00:00Z); date maths such as NOW-1DAY is not supported"
        ))
    })?;
    Ok(if inclusive {
        Bound::Included(at)
    } else {
        Bound::Excluded(at)
    })
}

fn values(field: Field, raw: &str) -> Result<Vec<Wanted>, Unsupported> {
    let first = raw.chars().next();
    if let (Some(open @ ('[' | '{')), Some(close)) = (first, raw.chars().last()) {
        let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let (from, to) = inner
            .split_once(" TO ")
            .ok_or_else(|| Unsupported(format!("{raw}: a range is [from TO to]")))?;
        if !field.is_date() {
            return Err(Unsupported(format!("{raw}: only dates take ranges")));
        }
        return Ok(vec![Wanted::Between(
            bound(from, open == '[')?,
            bound(to, close == ']')?,
        )]);
    }
    if field.is_date() && raw != "*" {
        return Err(Unsupported(format!(
            "{raw}: give dates as a range [from TO to]"
        )));
    }
    if first == Some('(') {
        let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let mut out = Vec::new();
        for t in tokens(inner)? {
            match t.as_str() {
                "OR" | "||" => {}
                "AND" | "&&" | "NOT" => {
                    return Err(Unsupported(format!(
                        "{raw}: only OR is supported inside ( )"
                    )));
                }
                _ => out.extend(values(field, &t)?),
            }
        }
        return Ok(out);
    }
    if raw == "*" {
        return Ok(vec![Wanted::Any]);
    }
    if has_wildcard(raw) {
        return Err(Unsupported(format!(
            "{raw}: wildcards inside values are not supported (field:* is)"
        )));
    }
    let value = unescape(
        raw.strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .unwrap_or(raw),
    );
    Ok(vec![Wanted::Is(value)])
}

/// An unescaped `*` or `?` outside quotes, which Solr would expand.
fn has_wildcard(raw: &str) -> bool {
    if raw.starts_with('"') {
        return false;
    }
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '*' | '?' => return true,
            _ => {}
        }
    }
    false
}

/// `field:value` when the text before the first unescaped `:` looks like a field name.
fn split_field(term: &str) -> Option<(&str, &str)> {
    let (name, value) = term.split_once(':')?;
    let plain = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !value.is_empty();
    plain.then_some((name, value))
}

pub fn parse(input: &str, param: Param) -> Result<Filter, Unsupported> {
    let mut filter = Filter::default();
    let mut join_next = false;
    let mut negate_next = false;
    let mut unknown: Vec<String> = Vec::new();
    for token in tokens(input)? {
        match token.as_str() {
            "OR" | "||" => {
                join_next = true;
                continue;
            }
            "AND" | "&&" => continue,
            "NOT" => {
                negate_next = true;
                continue;
            }
            "*:*" | "*" => continue,
            _ => {}
        }
        let (negated, term) = match token.strip_prefix(['-', '!']) {
            Some(rest) => (true, rest),
            None => (negate_next, token.strip_prefix('+').unwrap_or(&token)),
        };
        negate_next = false;
        let joined = std::mem::take(&mut join_next);
        let fielded =
            split_field(term).and_then(|(name, value)| match (Field::parse(name), param) {
                (Some(field), _) => Some(Ok((field, value))),
                (None, Param::Fq) => Some(Err(name)),
                (None, Param::Q) if name == "text" => None,
                (None, Param::Q)
                    if CKAN_ONLY_FIELDS.contains(&name)
                        || name.starts_with("extras_")
                        || name.starts_with("res_extras_") =>
                {
                    Some(Err(name))
                }
                (None, Param::Q) => None,
            });
        match fielded {
            Some(Err(name)) => unknown.push(name.to_string()),
            Some(Ok((field, value))) => {
                let any_of: Vec<(Field, Wanted)> = values(field, value)?
                    .into_iter()
                    .map(|w| (field, w))
                    .collect();
                match filter.clauses.last_mut() {
                    Some(last) if joined && !last.negated && !negated => last.any_of.extend(any_of),
                    _ if joined => {
                        return Err(Unsupported(format!("{input}: OR joins field terms only")));
                    }
                    _ => filter.clauses.push(Clause { negated, any_of }),
                }
            }
            None => {
                let word = match split_field(term) {
                    Some(("text", value)) => value,
                    _ => term,
                };
                if negated || joined {
                    return Err(Unsupported(format!(
                        "{token}: words can only be required (all must match)"
                    )));
                }
                filter.words.push(unescape(word.trim_matches('"')));
            }
        }
    }
    if unknown.is_empty() {
        Ok(filter)
    } else {
        unknown.sort();
        unknown.dedup();
        Err(Unsupported(format!(
            "unsupported field(s): {}; supported: id, name, organization, owner_org, res_format, tags, license_id, metadata_modified, metadata_created, dataset_type, state, private, capacity",
            unknown.join(", ")
        )))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Score,
    MetadataModified,
    MetadataCreated,
    Title,
    Name,
    Id,
}

pub const DEFAULT_SORT: &str = "score desc, metadata_modified desc";

/// `score desc, metadata_modified desc` → keys with `true` for descending.
pub fn parse_sort(text: &str) -> Result<Vec<(SortKey, bool)>, Unsupported> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut words = part.split_whitespace();
        let key = match words.next().unwrap_or("") {
            "score" => SortKey::Score,
            "metadata_modified" => SortKey::MetadataModified,
            "metadata_created" => SortKey::MetadataCreated,
            "title_string" => SortKey::Title,
            "name" => SortKey::Name,
            "id" => SortKey::Id,
            other => {
                return Err(Unsupported(format!(
                    "cannot sort by {other}; use score, metadata_modified, metadata_created, title_string, name or id"
                )));
            }
        };
        let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => return Err(Unsupported(format!("{other}: the order is asc or desc"))),
        };
        out.push((key, desc));
    }
    Ok(out)
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
