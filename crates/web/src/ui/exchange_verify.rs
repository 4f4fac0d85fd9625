//! `/exchange/verify`: a person uploads an X-Road message container (`.asice`) and sees, check
//! by check, whether it holds: the same verification as `civitas exchange verify` and
//! `POST /api/v1/exchange/verify`.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use civitas_core::authz::Permission;
use civitas_core::time::{Language, Timestamp};

use super::{Chrome, Page, render};
use crate::api::exchange_verify::{VerifyDto, verify_bytes};
use crate::error::ApiResult;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "exchange/verify.html")]
struct VerifyPage {
    chrome: Chrome,
    /// The uploaded file's name and the verdict, after an upload.
    result: Option<Verdict>,
}

struct Verdict {
    name: String,
    valid: bool,
    signer: Option<String>,
    signing_time: String,
    timestamp_time: String,
    checks: Vec<CheckRow>,
    warnings: Vec<String>,
}

struct CheckRow {
    key: String,
    status: String,
    label: String,
    reason: String,
    code: Option<String>,
    detail: Option<String>,
}

impl Verdict {
    fn new(chrome: &Chrome, name: String, r: VerifyDto) -> Verdict {
        let zh = chrome.lang == Language::ZhTw;
        let pick = |zh_text: String, en_text: String| if zh { zh_text } else { en_text };
        Verdict {
            name,
            valid: r.valid,
            signer: r.signer,
            signing_time: local(chrome, r.signing_time.as_deref()),
            timestamp_time: local(chrome, r.timestamp_time.as_deref()),
            checks: r
                .checks
                .into_iter()
                .map(|c| CheckRow {
                    key: c.key,
                    status: c.status,
                    label: pick(c.label_zh, c.label_en),
                    reason: pick(
                        c.reason_zh.unwrap_or_default(),
                        c.reason_en.unwrap_or_default(),
                    ),
                    code: c.code,
                    detail: c.detail,
                })
                .collect(),
            warnings: if zh { r.warnings_zh } else { r.warnings_en },
        }
    }
}

/// In the reader's date style (民國 years by default), Taipei time.
fn local(chrome: &Chrome, t: Option<&str>) -> String {
    t.and_then(Timestamp::parse_rfc3339)
        .map(|t| chrome.datetime(t))
        .unwrap_or_default()
}

pub async fn form(page: Page) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadExchange)?;
    render(&VerifyPage {
        chrome: page.chrome("exchange.verify_title"),
        result: None,
    })
}

pub async fn upload(
    State(state): State<AppState>,
    page: Page,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    // Refuse before reading a body the caller may not send.
    page.require_somewhere(Permission::ReadExchange)?;
    let multipart = super::agencies::multipart_of(request, &state).await?;
    let (name, bytes, _) =
        super::agencies::read_upload(multipart, state.settings.max_upload_bytes).await?;
    let report: VerifyDto = verify_bytes(&state, &page.caller, bytes).await?.into();
    let chrome = page.chrome("exchange.verify_title");
    let result = Some(Verdict::new(&chrome, name, report));
    render(&VerifyPage { chrome, result })
}
