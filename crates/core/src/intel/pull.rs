//! Pulling a TAXII 2.1 collection: page after page through the import pipeline (one import run
//! per page), resuming after the last object the previous poll read. The HTTP is a port
//! ([`TaxiiTransport`]) so the loop is the domain's and tests need no network.

use async_trait::async_trait;
use serde::Serialize;

use crate::error::{DomainError, DomainResult};
use crate::platform::Caller;
use crate::text::Text;

use super::service::{IntelImport, IntelService};
use super::taxii::{CollectionQuery, TaxiiRequest, parse_envelope};
use super::timestamp::StixTimestamp;

/// A server stuck saying "more" is not followed for ever.
const MAX_PAGES: u32 = 10_000;

/// One configured collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxiiCollection {
    pub name: String,
    pub api_root: String,
    pub collection_id: String,
    /// Only these object types (`match[type]`); empty: all.
    pub types: Vec<String>,
    /// Page size asked for.
    pub limit: Option<u32>,
}

impl TaxiiCollection {
    fn key(&self) -> String {
        format!(
            "{}|{}",
            self.api_root.trim_end_matches('/'),
            self.collection_id
        )
    }
}

/// A TAXII response: its body and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxiiResponse {
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

/// Sends a TAXII GET (the delivery crate's HTTP client, or a test's).
#[async_trait]
pub trait TaxiiTransport: Send + Sync {
    async fn get(&self, request: &TaxiiRequest) -> Result<TaxiiResponse, Text>;
}

/// What one poll did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaxiiPull {
    pub collection: String,
    /// Where this poll started (`added_after`), and where the next one will.
    pub started_after: Option<String>,
    pub resume_after: Option<String>,
    pub pages: Vec<IntelImport>,
}

impl IntelService<'_> {
    /// Reads every page the collection has added since the previous poll, importing each.
    pub async fn pull(
        &self,
        caller: &Caller,
        collection: &TaxiiCollection,
        transport: &dyn TaxiiTransport,
    ) -> DomainResult<TaxiiPull> {
        self.authorize_manage(caller)?;
        let key = collection.key();
        let stores = &self.platform().stores;
        let resume = match stores.intel.taxii_resume(&key).await? {
            Some(text) => {
                Some(StixTimestamp::parse(&text).map_err(|why| DomainError::store(why.en))?)
            }
            None => None,
        };
        let mut query = CollectionQuery::new(&collection.api_root, &collection.collection_id);
        query.added_after = resume.clone();
        query.limit = collection.limit;
        query.types = collection.types.clone();
        let mut pages = Vec::new();
        let mut resume_after = resume.clone();
        for number in 1..=MAX_PAGES {
            let request = query
                .request()
                .map_err(|why| DomainError::invalid("intel.taxii.api_root", why))?;
            let response = transport.get(&request).await.map_err(|why| {
                DomainError::invalid(
                    "intel.taxii",
                    Text::new(
                        format!("TAXII {}：{}", request.url, why.zh),
                        format!("TAXII {}: {}", request.url, why.en),
                    ),
                )
            })?;
            let page = parse_envelope(&response.body, &response.headers)
                .map_err(|why| DomainError::invalid("intel.taxii", why))?;
            let next = page.next_query(&query);
            resume_after = page.resume_after(&query).or(resume_after);
            let label = format!("taxii:{} page {number}", collection.name);
            pages.push(self.import_parsed(caller, page.parse(&label)).await?);
            match next {
                Some(q) => query = q,
                None => break,
            }
        }
        if let Some(after) = &resume_after
            && Some(after) != resume.as_ref()
        {
            stores
                .intel
                .save_taxii_resume(&key, after.as_str(), self.platform().now())
                .await?;
        }
        Ok(TaxiiPull {
            collection: collection.name.clone(),
            started_after: resume.map(|r| r.as_str().to_string()),
            resume_after: resume_after.map(|r| r.as_str().to_string()),
            pages,
        })
    }
}
