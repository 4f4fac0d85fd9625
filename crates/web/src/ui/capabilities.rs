//! Pages for capabilities not built yet: they say plainly what is coming and show no data.

use askama::Template;
use axum::response::Response;
use civitas_core::authz::Permission;

use super::{Chrome, Page, render};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::i18n;

pub struct Capability {
    pub href: &'static str,
    /// i18n key prefix: `cap.<slug>.title`, `.summary`, `.p1`…`.p4`.
    pub slug: &'static str,
    pub nav_key: &'static str,
}

pub const DATA: &[Capability] = &[Capability {
    href: "/geo",
    slug: "geo",
    nav_key: "nav.geo",
}];

pub const SECURITY: &[Capability] = &[Capability {
    href: "/assets",
    slug: "assets",
    nav_key: "nav.assets",
}];

pub fn all() -> impl Iterator<Item = &'static Capability> {
    DATA.iter().chain(SECURITY.iter())
}

#[derive(Template)]
#[template(path = "capability.html")]
struct CapabilityPage {
    chrome: Chrome,
    title: &'static str,
    summary: &'static str,
    points: Vec<&'static str>,
}

pub async fn show(page: Page, ApiPath(slug): ApiPath<String>) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadDashboard)?;
    let Some(cap) = all().find(|c| c.href.trim_start_matches('/') == slug) else {
        return Err(ApiError::route_not_found());
    };
    let lang = page.ctx.lang;
    let key = |suffix: &str| format!("cap.{}.{suffix}", cap.slug);
    let points = (1..=4)
        .filter_map(|i| i18n::get(lang, &key(&format!("p{i}"))))
        .collect();
    render(&CapabilityPage {
        chrome: page.chrome(cap.nav_key),
        title: i18n::t(lang, &key("title")),
        summary: i18n::t(lang, &key("summary")),
        points,
    })
}
