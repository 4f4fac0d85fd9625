//! A person's notifications: newest first, each linking to its dataset, marked read one by
//! one or all at once. Everyone signed in has this page; it only ever shows their own.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use civitas_core::page::PageRequest;
use serde::{Deserialize, Serialize};

use super::{Chrome, Page, redirect_with_flash, render};
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ListForm {
    /// "1": unread only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread: Option<String>,
    #[serde(skip_serializing)]
    pub page: Option<u32>,
}

pub struct Row {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub when: String,
    pub read: Option<String>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    rows: Vec<Row>,
    unread_only: bool,
    page: u32,
    pages: u64,
    total: u64,
    base: String,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(f): ApiQuery<ListForm>,
) -> ApiResult<Response> {
    let unread_only = matches!(f.unread.as_deref(), Some("1" | "true"));
    let result = state
        .platform
        .notifications()
        .list(
            &page.caller,
            unread_only,
            PageRequest::new(f.page, Some(50)),
        )
        .await?;
    let chrome = page.chrome("notify.title");
    let lang = chrome.lang;
    let (page_no, pages, total) = (result.page, result.pages(), result.total);
    let rows = result
        .items
        .into_iter()
        .map(|n| Row {
            id: n.id,
            title: n.title.get(lang).to_string(),
            body: n.body.get(lang).to_string(),
            link: n.link,
            when: chrome.datetime(n.created_at),
            read: n.read_at.map(|t| chrome.datetime(t)),
        })
        .collect();
    render(&NotificationsPage {
        rows,
        unread_only,
        page: page_no,
        pages,
        total,
        base: if unread_only {
            "/notifications?unread=1&".into()
        } else {
            "/notifications?".into()
        },
        chrome,
    })
}

/// Back to where the person was reading, unread-only view included.
fn back(f: &ListForm) -> String {
    match serde_urlencoded::to_string(f) {
        Ok(q) if !q.is_empty() => format!("/notifications?{q}"),
        _ => "/notifications".into(),
    }
}

pub async fn read(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(f): ApiQuery<ListForm>,
) -> ApiResult<Response> {
    state
        .platform
        .notifications()
        .mark_read(&page.caller, id)
        .await?;
    Ok(Redirect::to(&back(&f)).into_response())
}

pub async fn read_all(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    let marked = state
        .platform
        .notifications()
        .mark_all_read(&page.caller)
        .await?;
    Ok(redirect_with_flash(
        "/notifications",
        "flash.notifications_read",
        &marked.to_string(),
        state.settings.cookie_secure,
    ))
}
