//! The pure half of a TAXII 2.1 client (TAXII 2.1 §5.4 "Get Objects"): the request for one
//! page of a collection's objects, and the envelope read back into objects, the server's
//! paging cursor and the date-added range. The integrator sends the request and passes the
//! response's body and headers in; the objects then go through the bundle import pipeline.

use serde::Deserialize;
use serde_json::Value;

use crate::import::ImportReport;
use crate::text::Text;

use super::bundle::{ParsedBundle, REPORT_KIND, parse_objects};
use super::timestamp::StixTimestamp;

/// The media type of TAXII 2.1 requests and envelopes.
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
pub const ENVELOPE_FORMAT: &str = "taxii-2.1-envelope";

/// Which objects to ask a collection for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionQuery {
    /// The API root, e.g. `https://taxii.example.gov.tw/regional/`.
    pub api_root: String,
    pub collection_id: String,
    /// Only objects added after this instant (from the previous poll's last page).
    pub added_after: Option<StixTimestamp>,
    /// Page size asked for; the server may send fewer.
    pub limit: Option<u32>,
    /// The server's cursor from the previous page's `next`.
    pub next: Option<String>,
    /// Only these object types (`match[type]`), e.g. indicator.
    pub types: Vec<String>,
}

/// An HTTP GET to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxiiRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
}

impl CollectionQuery {
    pub fn new(api_root: &str, collection_id: &str) -> Self {
        CollectionQuery {
            api_root: api_root.to_string(),
            collection_id: collection_id.to_string(),
            added_after: None,
            limit: None,
            next: None,
            types: Vec::new(),
        }
    }

    /// `GET {api_root}/collections/{id}/objects/?…` with `Accept` set to the TAXII 2.1 media
    /// type. TAXII requires HTTPS; plain HTTP is allowed to the local machine only (a test
    /// server).
    pub fn request(&self) -> Result<TaxiiRequest, Text> {
        let root = self.api_root.trim_end_matches('/');
        let secure = root.starts_with("https://");
        let local = ["http://localhost", "http://127.0.0.1", "http://[::1]"]
            .iter()
            .any(|l| {
                root.strip_prefix(l)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
            });
        if !secure && !local {
            return Err(Text::new(
                format!("TAXII 伺服器位址必須以 https:// 開頭：{}", self.api_root),
                format!(
                    "a TAXII API root must start with https://: {}",
                    self.api_root
                ),
            ));
        }
        if self.collection_id.trim().is_empty() {
            return Err(Text::new(
                "未指定 TAXII collection",
                "no TAXII collection given",
            ));
        }
        let mut url = format!(
            "{root}/collections/{}/objects/",
            encode(&self.collection_id)
        );
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(after) = &self.added_after {
            query.push(("added_after", after.as_str().to_string()));
        }
        if let Some(limit) = self.limit {
            query.push(("limit", limit.to_string()));
        }
        if let Some(next) = &self.next {
            query.push(("next", next.clone()));
        }
        if !self.types.is_empty() {
            query.push(("match[type]", self.types.join(",")));
        }
        for (i, (key, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&encode(key));
            url.push('=');
            url.push_str(&encode(value));
        }
        Ok(TaxiiRequest {
            url,
            headers: vec![("Accept", TAXII_MEDIA_TYPE.to_string())],
        })
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One page of a collection.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub objects: Vec<Value>,
    /// The server has more objects for this query.
    pub more: bool,
    pub next: Option<String>,
    /// `X-TAXII-Date-Added-First` / `-Last`: when the first and last objects of the page were
    /// added to the collection.
    pub date_added_first: Option<StixTimestamp>,
    pub date_added_last: Option<StixTimestamp>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    more: bool,
    next: Option<String>,
    #[serde(default)]
    objects: Vec<Value>,
}

/// Reads a Get Objects response: the envelope body and the response headers (names compared
/// case-insensitively).
pub fn parse_envelope(body: &[u8], headers: &[(String, String)]) -> Result<Page, Text> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        Text::new(
            format!("TAXII 回應不是有效的 envelope：{e}"),
            format!("the TAXII response is not a valid envelope: {e}"),
        )
    })?;
    let header = |name: &str| -> Result<Option<StixTimestamp>, Text> {
        let Some((_, value)) = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else {
            return Ok(None);
        };
        StixTimestamp::parse(value.trim()).map(Some).map_err(|why| {
            Text::new(
                format!("標頭 {name}：{}", why.zh),
                format!("header {name}: {}", why.en),
            )
        })
    };
    let next = envelope.next.filter(|n| !n.is_empty());
    Ok(Page {
        objects: envelope.objects,
        more: envelope.more,
        next,
        date_added_first: header("X-TAXII-Date-Added-First")?,
        date_added_last: header("X-TAXII-Date-Added-Last")?,
    })
}

impl Page {
    /// The query for the following page, or `None` when this was the last. The server's `next`
    /// cursor is used when it gave one; otherwise paging continues after this page's last
    /// date added.
    pub fn next_query(&self, previous: &CollectionQuery) -> Option<CollectionQuery> {
        if !self.more {
            return None;
        }
        let mut query = previous.clone();
        if let Some(next) = &self.next {
            query.next = Some(next.clone());
        } else {
            // Without a cursor and without a date the server cannot be paged: stop rather
            // than ask for the same page forever.
            query.added_after = Some(self.date_added_last.clone()?);
            query.next = None;
        }
        Some(query)
    }

    /// Where the next poll starts once every page is read: after the last object added, or
    /// where this poll started when the collection had nothing new.
    pub fn resume_after(&self, previous: &CollectionQuery) -> Option<StixTimestamp> {
        self.date_added_last
            .clone()
            .or_else(|| previous.added_after.clone())
    }

    /// The page's objects through the STIX import checks; positions count within the page.
    pub fn parse(self, source: &str) -> ParsedBundle {
        parse_objects(
            self.objects,
            ImportReport::new(REPORT_KIND, ENVELOPE_FORMAT, source),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intel::bundle::NothingStored;
    use crate::intel::test_support::fixture;

    fn headers(first: &str, last: &str) -> Vec<(String, String)> {
        vec![
            ("Content-Type".into(), TAXII_MEDIA_TYPE.into()),
            ("x-taxii-date-added-first".into(), first.into()),
            ("X-TAXII-Date-Added-Last".into(), last.into()),
        ]
    }

    /// A page of the C2 bundle's objects as a TAXII server would send them.
    fn envelope(objects: &[Value], more: bool, next: Option<&str>) -> Vec<u8> {
        let mut body = serde_json::json!({ "more": more, "objects": objects });
        if let Some(next) = next {
            body["next"] = next.into();
        }
        body.to_string().into_bytes()
    }

    fn c2_objects() -> Vec<Value> {
        let bundle: Value =
            serde_json::from_slice(&fixture("stix21-indicators-for-C2-with-COA.json")).unwrap();
        bundle["objects"].as_array().unwrap().clone()
    }

    #[test]
    fn the_first_request_asks_for_a_page_of_objects_added_after_the_last_poll() {
        let mut query = CollectionQuery::new(
            "https://taxii.example.gov.tw/regional/",
            "91a7b528-80eb-42ed-a74d-c6fbd5a26116",
        );
        query.added_after = Some(StixTimestamp::parse("2024-06-01T00:00:00.000Z").unwrap());
        query.limit = Some(100);
        query.types = vec!["indicator".into(), "sighting".into()];
        let request = query.request().unwrap();
        assert_eq!(
            request.url,
            "https://taxii.example.gov.tw/regional/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/\
             ?added_after=2024-06-01T00%3A00%3A00.000Z&limit=100&match%5Btype%5D=indicator%2Csighting"
        );
        assert_eq!(request.headers, [("Accept", TAXII_MEDIA_TYPE.to_string())]);
    }

    #[test]
    fn plain_http_to_another_machine_is_refused() {
        let why = CollectionQuery::new("http://taxii.example/api/", "c")
            .request()
            .unwrap_err();
        assert!(why.en.contains("https://"), "{}", why.en);
        assert!(
            CollectionQuery::new("http://127.0.0.1:8080/api/", "c")
                .request()
                .is_ok()
        );
        assert!(
            CollectionQuery::new("http://localhost.evil.example/", "c")
                .request()
                .is_err()
        );
    }

    #[test]
    fn a_collection_is_read_page_by_page_until_the_server_has_no_more() {
        let objects = c2_objects();
        let mut query = CollectionQuery::new("https://taxii.example/api1/", "c2");
        query.limit = Some(5);

        // Page 1: five objects, a server cursor.
        let first = parse_envelope(
            &envelope(&objects[..5], true, Some("cursor-2")),
            &headers("2024-06-01T00:00:00.000Z", "2024-06-01T00:00:04.000Z"),
        )
        .unwrap();
        assert!(first.more);
        let query2 = first.next_query(&query).unwrap();
        assert_eq!(query2.next.as_deref(), Some("cursor-2"));
        assert!(
            query2
                .request()
                .unwrap()
                .url
                .ends_with("?limit=5&next=cursor-2")
        );
        let parsed = first.parse("taxii c2 page 1");
        assert_eq!(parsed.report.received, 5);
        assert_eq!(parsed.report.format, ENVELOPE_FORMAT);

        // Page 2: the rest, no more.
        let last = parse_envelope(
            &envelope(&objects[5..], false, None),
            &headers("2024-06-01T00:00:05.000Z", "2024-06-01T00:00:07.500Z"),
        )
        .unwrap();
        assert_eq!(last.next_query(&query2), None);
        assert_eq!(
            last.resume_after(&query2).unwrap().as_str(),
            "2024-06-01T00:00:07.500Z"
        );
        let import = last.parse("taxii c2 page 2").plan(&NothingStored);
        assert_eq!(import.report.created, 3);
    }

    #[test]
    fn without_a_server_cursor_paging_continues_after_the_last_date_added() {
        let query = CollectionQuery::new("https://taxii.example/api1/", "c2");
        let page = parse_envelope(
            &envelope(&c2_objects()[..2], true, None),
            &headers("2024-06-01T00:00:00.000Z", "2024-06-01T00:00:01.000Z"),
        )
        .unwrap();
        let next = page.next_query(&query).unwrap();
        assert_eq!(
            next.added_after.unwrap().as_str(),
            "2024-06-01T00:00:01.000Z"
        );
        // Neither a cursor nor a date: stop instead of asking for the same page again.
        let stuck = parse_envelope(&envelope(&[], true, None), &[]).unwrap();
        assert_eq!(stuck.next_query(&query), None);
    }

    #[test]
    fn an_empty_collection_and_a_broken_envelope_are_told_apart() {
        let empty = parse_envelope(b"{}", &[]).unwrap();
        assert!(empty.objects.is_empty() && !empty.more);
        let broken = parse_envelope(b"<html>502 Bad Gateway</html>", &[]).unwrap_err();
        assert!(broken.en.contains("not a valid envelope"), "{}", broken.en);
        let bad_header = parse_envelope(b"{}", &headers("yesterday", "today")).unwrap_err();
        assert!(
            bad_header.en.contains("X-TAXII-Date-Added-First"),
            "{}",
            bad_header.en
        );
    }
}
