//! Incident measures and the compliance report over JSON: per agency and city-wide, for a
//! period (incidents by aware time, actions by when they were planned), scoped to the
//! agencies the caller's `read_incidents` grants cover.

use axum::Json;
use axum::extract::State;
use civitas_core::DomainError;
use civitas_core::agencies::AgencyCode;
use civitas_core::cases::{
    ComplianceReport, DeadlineTally, DurationStat, MeasureRow, Measures, MissedDeadline, Period,
};
use civitas_core::text::Text;
use civitas_core::time::{Timestamp, parse_iso_date};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeasuresQuery {
    /// First day (YYYY-MM-DD, Taipei) or an RFC 3339 time; empty: from the beginning.
    pub from: Option<String>,
    /// Last day included (YYYY-MM-DD, Taipei) or an RFC 3339 time (excluded); empty: to now.
    pub to: Option<String>,
    /// One agency's code (its subordinate agencies included); empty: every agency the caller
    /// reads.
    pub agency: Option<String>,
}

fn bound(field: &str, text: &str, end: bool) -> Result<Timestamp, DomainError> {
    let text = text.trim();
    if let Some(date) = parse_iso_date(text) {
        let date = if end {
            date.next_day().unwrap_or(date)
        } else {
            date
        };
        return Ok(Timestamp::taipei_midnight(date));
    }
    Timestamp::parse_rfc3339(text).ok_or_else(|| {
        DomainError::invalid(
            field,
            Text::new(
                format!("{field} 須為日期（例如 2025-03-01）或 RFC 3339 時間"),
                format!("{field} must be a date such as 2025-03-01 or an RFC 3339 time"),
            ),
        )
    })
}

impl MeasuresQuery {
    /// The period and agency asked for; an end before the start is refused.
    pub fn parse(&self) -> Result<(Period, Option<AgencyCode>), DomainError> {
        fn pick(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.trim().is_empty())
        }
        let period = Period {
            from: pick(&self.from)
                .map(|t| bound("from", t, false))
                .transpose()?,
            to: pick(&self.to).map(|t| bound("to", t, true)).transpose()?,
        };
        if let (Some(from), Some(to)) = (period.from, period.to)
            && to <= from
        {
            return Err(DomainError::invalid(
                "to",
                Text::new(
                    "結束日期須晚於開始日期",
                    "the end date must come after the start date",
                ),
            ));
        }
        let agency = pick(&self.agency)
            .map(|a| {
                AgencyCode::parse(a.trim()).map_err(|_| {
                    DomainError::invalid(
                        "agency",
                        Text::new(
                            format!("「{a}」不是機關代碼"),
                            format!("\"{a}\" is not an agency code"),
                        ),
                    )
                })
            })
            .transpose()?;
        Ok((period, agency))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DurationDto {
    /// How many durations were measured.
    pub count: u32,
    pub median_minutes: Option<i64>,
    pub mean_minutes: Option<i64>,
}

impl From<&DurationStat> for DurationDto {
    fn from(s: &DurationStat) -> Self {
        DurationDto {
            count: s.count,
            median_minutes: s.median_minutes,
            mean_minutes: s.mean_minutes,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TallyDto {
    pub met: u32,
    /// Met, but after the deadline.
    pub met_late: u32,
    /// Past the deadline and still not met.
    pub overdue: u32,
    /// Still running (on track or due soon).
    pub running: u32,
    /// met_late + overdue.
    pub missed: u32,
    /// Met in time out of met + missed; null before any came due.
    pub rate: Option<f64>,
}

impl From<&DeadlineTally> for TallyDto {
    fn from(t: &DeadlineTally) -> Self {
        TallyDto {
            met: t.met,
            met_late: t.met_late,
            overdue: t.overdue,
            running: t.running,
            missed: t.missed(),
            rate: t.rate(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockTallyDto {
    /// notify, level_review, damage_control, investigation_report or improvement_plan.
    pub obligation: String,
    #[serde(flatten)]
    pub tally: TallyDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureRowDto {
    /// The agency's code; null for the city as a whole.
    pub agency: Option<String>,
    pub incidents: u32,
    pub incidents_closed: u32,
    pub actions: u32,
    pub actions_open: u32,
    pub actions_overdue: u32,
    pub actions_verified: u32,
    pub actions_ever_verified: u32,
    pub actions_reopened: u32,
    /// Reopened out of ever verified; null before anything was verified.
    pub recurrence_rate: Option<f64>,
    /// Planned → first verified.
    pub time_to_remediate: DurationDto,
    /// First alert seen → aware.
    pub mttd: DurationDto,
    /// Aware → closed.
    pub mttr: DurationDto,
    pub deadlines: Vec<ClockTallyDto>,
    pub deadlines_total: TallyDto,
}

impl From<&MeasureRow> for MeasureRowDto {
    fn from(r: &MeasureRow) -> Self {
        MeasureRowDto {
            agency: r.agency.as_ref().map(|a| a.to_string()),
            incidents: r.incidents,
            incidents_closed: r.incidents_closed,
            actions: r.actions,
            actions_open: r.actions_open,
            actions_overdue: r.actions_overdue,
            actions_verified: r.actions_verified,
            actions_ever_verified: r.actions_ever_verified,
            actions_reopened: r.actions_reopened,
            recurrence_rate: r.recurrence_rate(),
            time_to_remediate: (&r.time_to_remediate).into(),
            mttd: (&r.mttd).into(),
            mttr: (&r.mttr).into(),
            deadlines: r
                .deadlines
                .iter()
                .map(|(o, t)| ClockTallyDto {
                    obligation: o.as_str().into(),
                    tally: t.into(),
                })
                .collect(),
            deadlines_total: (&r.deadlines_total()).into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeasuresDto {
    pub from: Option<String>,
    pub to: Option<String>,
    pub computed_at: Option<String>,
    pub city: MeasureRowDto,
    pub agencies: Vec<MeasureRowDto>,
}

impl From<&Measures> for MeasuresDto {
    fn from(m: &Measures) -> Self {
        MeasuresDto {
            from: m.period.from.map(|t| t.to_rfc3339()),
            to: m.period.to.map(|t| t.to_rfc3339()),
            computed_at: m.computed_at.map(|t| t.to_rfc3339()),
            city: (&m.city).into(),
            agencies: m.agencies.iter().map(MeasureRowDto::from).collect(),
        }
    }
}

/// Per agency and city-wide: incidents and how many closed; follow-up actions open, overdue and
/// verified; median time to remediate (planned → verified); recurrence rate (reopened / ever
/// verified); MTTD (first alert → aware) and MTTR (aware → closed); legal deadlines met and
/// missed by kind of clock.
#[utoipa::path(get, path = "/incidents/measures", tag = "incidents", params(MeasuresQuery),
    responses((status = 200, body = MeasuresDto), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn measures(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<MeasuresQuery>,
) -> ApiResult<Json<MeasuresDto>> {
    let (period, agency) = q.parse()?;
    let m = state
        .platform
        .cases()
        .measures(&caller, period, agency.as_ref())
        .await?;
    Ok(Json((&m).into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyTallyDto {
    pub agency: String,
    #[serde(flatten)]
    pub tally: TallyDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MissedDto {
    pub incident: String,
    pub title: String,
    pub agency: String,
    pub obligation: String,
    /// missed (met late) or overdue (not met yet).
    pub state: String,
    pub due_at: Option<String>,
    pub met_at: Option<String>,
    pub rule_set: String,
    pub source_zh: String,
    pub source_en: String,
    pub explanation_zh: String,
    pub explanation_en: String,
}

impl From<&MissedDeadline> for MissedDto {
    fn from(d: &MissedDeadline) -> Self {
        MissedDto {
            incident: d.incident.to_string(),
            title: d.title.clone(),
            agency: d.agency.to_string(),
            obligation: d.obligation.as_str().into(),
            state: serde_json::to_value(d.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            due_at: d.due_at.map(|t| t.to_rfc3339()),
            met_at: d.met_at.map(|t| t.to_rfc3339()),
            rule_set: d.rule_set.clone(),
            source_zh: d.source.zh.clone(),
            source_en: d.source.en.clone(),
            explanation_zh: d.explanation.zh.clone(),
            explanation_en: d.explanation.en.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceDto {
    pub from: Option<String>,
    pub to: Option<String>,
    pub computed_at: Option<String>,
    pub city: TallyDto,
    pub agencies: Vec<AgencyTallyDto>,
    /// Every deadline met late or still overdue, the oldest due first.
    pub missed: Vec<MissedDto>,
}

impl From<&ComplianceReport> for ComplianceDto {
    fn from(r: &ComplianceReport) -> Self {
        ComplianceDto {
            from: r.period.from.map(|t| t.to_rfc3339()),
            to: r.period.to.map(|t| t.to_rfc3339()),
            computed_at: r.computed_at.map(|t| t.to_rfc3339()),
            city: (&r.city).into(),
            agencies: r
                .agencies
                .iter()
                .map(|(a, t)| AgencyTallyDto {
                    agency: a.to_string(),
                    tally: t.into(),
                })
                .collect(),
            missed: r.missed.iter().map(MissedDto::from).collect(),
        }
    }
}

/// The compliance report: legal deadlines met and missed per agency, with every missed one
/// (incident, clock, due, done, legal source).
#[utoipa::path(get, path = "/incidents/compliance", tag = "incidents", params(MeasuresQuery),
    responses((status = 200, body = ComplianceDto), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn compliance(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<MeasuresQuery>,
) -> ApiResult<Json<ComplianceDto>> {
    let (period, agency) = q.parse()?;
    let r = state
        .platform
        .cases()
        .compliance(&caller, period, agency.as_ref())
        .await?;
    Ok(Json((&r).into()))
}
