//! An action's parameters as CKAN reads them: the query string on GET; a JSON object (or a
//! form) in the body on POST, with query parameters filling what the body leaves out. Values
//! arrive as JSON types or as strings, so each accessor accepts both.

use axum::http::{HeaderMap, Method, header};
use serde_json::{Map, Value};

use super::reply::{CkanError, CkanResult};

#[derive(Debug, Default)]
pub struct Params(Map<String, Value>);

fn from_pairs(pairs: Vec<(String, String)>) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in pairs {
        match map.get_mut(&k) {
            Some(Value::Array(list)) => list.push(Value::String(v)),
            Some(first) => {
                let first = first.take();
                map.insert(k, Value::Array(vec![first, Value::String(v)]));
            }
            None => {
                map.insert(k, Value::String(v));
            }
        }
    }
    map
}

fn pairs(text: &str) -> CkanResult<Vec<(String, String)>> {
    serde_urlencoded::from_str(text)
        .map_err(|e| CkanError::BadRequest(format!("unreadable parameters: {e}")))
}

impl Params {
    pub fn read(
        method: &Method,
        headers: &HeaderMap,
        query: Option<&str>,
        body: &[u8],
    ) -> CkanResult<Params> {
        let mut map = from_pairs(pairs(query.unwrap_or(""))?);
        if *method == Method::POST && !body.iter().all(u8::is_ascii_whitespace) {
            let form = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            let sent = if form {
                from_pairs(pairs(&String::from_utf8_lossy(body))?)
            } else {
                match serde_json::from_slice::<Value>(body) {
                    Ok(Value::Object(m)) => m,
                    Ok(other) => {
                        return Err(CkanError::BadRequest(format!(
                            "Request data JSON decoded to {other} but it needs to be a dictionary."
                        )));
                    }
                    Err(e) => return Err(CkanError::BadRequest(format!("JSON Error: {e}"))),
                }
            };
            map.extend(sent);
        }
        Ok(Params(map))
    }

    #[cfg(test)]
    pub fn of(value: Value) -> Params {
        match value {
            Value::Object(m) => Params(m),
            _ => Params::default(),
        }
    }

    /// A single text value (numbers and booleans as written).
    pub fn text(&self, key: &str) -> CkanResult<Option<String>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(CkanError::invalid(key, "Must be a single value")),
        }
    }

    /// A whole number; CKAN says "Invalid integer" for anything else.
    pub fn integer(&self, key: &str) -> CkanResult<Option<i64>> {
        match self.text(key)? {
            None => Ok(None),
            Some(t) if t.trim().is_empty() => Ok(None),
            Some(t) => t
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| CkanError::invalid(key, "Invalid integer")),
        }
    }

    pub fn natural(&self, key: &str) -> CkanResult<Option<usize>> {
        match self.integer(key)? {
            None => Ok(None),
            Some(n) => usize::try_from(n)
                .map(Some)
                .map_err(|_| CkanError::invalid(key, "Must be a natural number")),
        }
    }

    /// CKAN's boolean: yes, true, 1, on (any case) are true; any other value is false.
    pub fn flag(&self, key: &str) -> CkanResult<Option<bool>> {
        Ok(self.text(key)?.map(|t| {
            matches!(
                t.trim().to_ascii_lowercase().as_str(),
                "yes" | "true" | "1" | "on"
            )
        }))
    }

    /// A list: a JSON array, a string holding one (`["tags","res_format"]`), a repeated
    /// query parameter, or a single value.
    pub fn list(&self, key: &str) -> CkanResult<Vec<String>> {
        let strings = |items: &[Value]| -> CkanResult<Vec<String>> {
            items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(CkanError::invalid(key, "Must be a list of strings")),
                })
                .collect()
        };
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => strings(items),
            Some(Value::String(s)) if s.trim_start().starts_with('[') => {
                match serde_json::from_str::<Value>(s) {
                    Ok(Value::Array(items)) => strings(&items),
                    _ => Err(CkanError::invalid(key, "Could not parse as valid JSON")),
                }
            }
            Some(_) => Ok(self.text(key)?.into_iter().collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_come_as_json_text_or_repeated_parameters() {
        let get = Params::read(
            &Method::GET,
            &HeaderMap::new(),
            Some("facet.field=%5B%22tags%22%2C%22res_format%22%5D&fq_list=a&fq_list=b"),
            b"",
        )
        .unwrap();
        assert_eq!(get.list("facet.field").unwrap(), vec!["tags", "res_format"]);
        assert_eq!(get.list("fq_list").unwrap(), vec!["a", "b"]);
        let post = Params::of(json!({"rows": 5, "facet.field": ["tags"], "include_private": true}));
        assert_eq!(post.natural("rows").unwrap(), Some(5));
        assert_eq!(post.list("facet.field").unwrap(), vec!["tags"]);
        assert_eq!(post.flag("include_private").unwrap(), Some(true));
    }

    #[test]
    fn a_bad_number_is_a_validation_error_naming_the_parameter() {
        let p = Params::of(json!({"rows": "ten", "start": -1}));
        assert_eq!(
            p.natural("rows").unwrap_err(),
            CkanError::invalid("rows", "Invalid integer")
        );
        assert_eq!(
            p.natural("start").unwrap_err(),
            CkanError::invalid("start", "Must be a natural number")
        );
    }

    #[test]
    fn a_post_body_must_be_a_json_object() {
        let e = Params::read(&Method::POST, &HeaderMap::new(), None, b"[1]").unwrap_err();
        assert!(matches!(e, CkanError::BadRequest(_)));
        let ok = Params::read(
            &Method::POST,
            &HeaderMap::new(),
            Some("rows=3"),
            b"{\"q\":\"x\"}",
        )
        .unwrap();
        assert_eq!(ok.text("q").unwrap().as_deref(), Some("x"));
        assert_eq!(ok.natural("rows").unwrap(), Some(3));
    }
}
