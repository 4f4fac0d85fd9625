//! One exchange service's traffic for people who are not engineers (issue 6, point 9): calls,
//! errors and latency per Taipei day over the last 7, 30 or 90 days, as charts with the table
//! beside them, read from the hourly traffic rollup (not the message log), so the page costs
//! the same however busy the service is.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use civitas_core::exchange::{LATENCY_BOUNDS_MS, TrafficHour};
use civitas_core::time::Timestamp;
use serde::Deserialize;

use super::{Chrome, Page, agency_names, render};
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

/// The periods offered, in days.
pub const PERIODS: [i64; 3] = [7, 30, 90];

#[derive(Debug, Deserialize)]
pub struct TrafficQuery {
    #[serde(default)]
    pub days: Option<i64>,
}

pub struct DayRow {
    /// `YYYY-MM-DD` (Taipei), for the chart.
    pub iso: String,
    /// The date as officials read it (ROC in Chinese).
    pub date: String,
    pub calls: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    pub p50: String,
    pub p95: String,
}

#[derive(Template)]
#[template(path = "exchange/traffic.html")]
struct TrafficPage {
    chrome: Chrome,
    id: i64,
    title: String,
    agency: String,
    path: String,
    disabled: bool,
    days: i64,
    periods: Vec<i64>,
    rows: Vec<DayRow>,
    calls: u64,
    client_errors: u64,
    server_errors: u64,
    error_rate: String,
    p50: String,
    p95: String,
    mean: String,
    /// `[[date, calls, clientErrors, serverErrors], …]`
    calls_json: String,
    /// `[[date, p50ms|null, p95ms|null], …]`, bucket bounds; above the last bound is null.
    latency_json: String,
    log_link: String,
}

/// A latency quantile as a reader sees it: "≤ 50 ms", "> 5000 ms" or "—".
fn quantile_text(t: &TrafficHour, q: f64) -> String {
    match t.latency_quantile_ms(q) {
        None => "—".into(),
        Some(Some(ms)) => format!("≤ {ms} ms"),
        Some(None) => format!("> {} ms", LATENCY_BOUNDS_MS.last().copied().unwrap_or(0)),
    }
}

fn quantile_json(t: &TrafficHour, q: f64) -> serde_json::Value {
    match t.latency_quantile_ms(q) {
        Some(Some(ms)) => serde_json::Value::from(ms),
        _ => serde_json::Value::Null,
    }
}

fn empty(at: Timestamp) -> TrafficHour {
    TrafficHour {
        hour: at,
        calls: 0,
        client_errors: 0,
        server_errors: 0,
        total_us: 0,
        latency: [0; 9],
    }
}

/// Hours summed into Taipei days, every day of the period present (zeros included), oldest
/// first.
pub fn by_taipei_day(hours: &[TrafficHour], first: time::Date, days: i64) -> Vec<TrafficHour> {
    let mut out: Vec<TrafficHour> = (0..days)
        .map(|i| empty(Timestamp::taipei_midnight(first + time::Duration::days(i))))
        .collect();
    for h in hours {
        let offset = (h.hour.taipei_date() - first).whole_days();
        if let Some(day) = usize::try_from(offset).ok().and_then(|i| out.get_mut(i)) {
            day.add(h);
        }
    }
    out
}

pub async fn traffic(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TrafficQuery>,
) -> ApiResult<Response> {
    let days = q.days.filter(|d| PERIODS.contains(d)).unwrap_or(30);
    let now = state.platform.now();
    let first = now.taipei_date() - time::Duration::days(days - 1);
    let from = Timestamp::taipei_midnight(first);
    let until = Timestamp::taipei_midnight(now.taipei_date() + time::Duration::days(1));
    let (service, hours) = state
        .platform
        .exchange()
        .service_traffic(&page.caller, id, from, until)
        .await?;
    let chrome = page.chrome("exchange.traffic_title");
    let daily = by_taipei_day(&hours, first, days);
    let mut total = empty(from);
    for d in &daily {
        total.add(d);
    }
    let rows: Vec<DayRow> = daily
        .iter()
        .map(|d| DayRow {
            iso: d.hour.taipei_date().to_string(),
            date: chrome.date(d.hour),
            calls: d.calls,
            client_errors: d.client_errors,
            server_errors: d.server_errors,
            p50: quantile_text(d, 0.5),
            p95: quantile_text(d, 0.95),
        })
        .collect();
    let calls_json = serde_json::Value::Array(
        daily
            .iter()
            .map(|d| {
                serde_json::json!([
                    d.hour.taipei_date().to_string(),
                    d.calls,
                    d.client_errors,
                    d.server_errors
                ])
            })
            .collect(),
    )
    .to_string();
    let latency_json = serde_json::Value::Array(
        daily
            .iter()
            .map(|d| {
                serde_json::json!([
                    d.hour.taipei_date().to_string(),
                    quantile_json(d, 0.5),
                    quantile_json(d, 0.95)
                ])
            })
            .collect(),
    )
    .to_string();
    let errors = total.client_errors + total.server_errors;
    let error_rate = if total.calls == 0 {
        "—".into()
    } else {
        format!("{:.1}%", errors as f64 * 100.0 / total.calls as f64)
    };
    let path = service.service_path();
    let log_query = serde_urlencoded::to_string([
        ("service", path.as_str()),
        ("from", first.to_string().as_str()),
    ])
    .unwrap_or_default();
    let names = agency_names(&state).await;
    render(&TrafficPage {
        id: service.id,
        title: service.title.clone(),
        agency: names
            .get(service.agency.as_str())
            .cloned()
            .unwrap_or_else(|| service.agency.to_string()),
        disabled: service.disabled_notice.is_some(),
        days,
        periods: PERIODS.to_vec(),
        rows,
        calls: total.calls,
        client_errors: total.client_errors,
        server_errors: total.server_errors,
        error_rate,
        p50: quantile_text(&total, 0.5),
        p95: quantile_text(&total, 0.95),
        mean: total
            .mean_ms()
            .map(|m| format!("{m:.1} ms"))
            .unwrap_or_else(|| "—".into()),
        calls_json,
        latency_json,
        log_link: format!("/exchange/log?{log_query}"),
        path,
        chrome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(at: &str, calls: u64, latency: [u64; 9]) -> TrafficHour {
        let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .map(Timestamp::from_offset);
        let Ok(t) = t else {
            unreachable!("test timestamps are valid")
        };
        TrafficHour {
            hour: t,
            calls,
            client_errors: 0,
            server_errors: 0,
            total_us: 0,
            latency,
        }
    }

    #[test]
    fn hours_fall_into_taipei_days_and_every_day_is_present() {
        let first = time::macros::date!(2026 - 11 - 01);
        // 15:00 UTC on 1 Nov is 23:00 in Taipei (1 Nov); 16:00 UTC is 00:00 on 2 Nov.
        let hours = [
            hour("2026-11-01T15:00:00Z", 2, [2, 0, 0, 0, 0, 0, 0, 0, 0]),
            hour("2026-11-01T16:00:00Z", 3, [0, 3, 0, 0, 0, 0, 0, 0, 0]),
            hour("2026-10-31T15:00:00Z", 9, [9, 0, 0, 0, 0, 0, 0, 0, 0]),
        ];
        let days = by_taipei_day(&hours, first, 3);
        let calls: Vec<u64> = days.iter().map(|d| d.calls).collect();
        // 31 Oct 15:00 UTC is 23:00 on 31 Oct in Taipei: before the period, left out.
        assert_eq!(calls, vec![2, 3, 0]);
        assert_eq!(days[1].latency[1], 3);
    }

    #[test]
    fn the_quantile_is_the_bound_of_the_bucket_that_holds_it() {
        // 10 calls: 8 under 1 ms, 1 under 50 ms, 1 above 5 s.
        let t = hour("2026-11-01T00:00:00Z", 10, [8, 0, 0, 1, 0, 0, 0, 0, 1]);
        assert_eq!(t.latency_quantile_ms(0.5), Some(Some(1)));
        assert_eq!(t.latency_quantile_ms(0.9), Some(Some(50)));
        assert_eq!(t.latency_quantile_ms(0.95), Some(None));
        assert_eq!(quantile_text(&t, 0.95), "> 5000 ms");
        assert_eq!(
            quantile_text(&hour("2026-11-01T00:00:00Z", 0, [0; 9]), 0.5),
            "—"
        );
    }
}
