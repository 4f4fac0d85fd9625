//! Overdue-update detection, 資料逾期更新檢測 (issue 3): declared update frequency against
//! evidence of real updates, with due-soon, overdue and delinquent states. Pure functions
//! of (frequency, evidence, clock).

mod aging;
mod calendar;
mod engine;
mod explain;
mod frequency;
mod hdx;
mod policy;
mod series;
mod state;
mod vocabulary;

#[cfg(test)]
mod tests;

pub use aging::{AgingRow, Grace, HDX_AGING_TABLE, grace_for};
pub use engine::{FreshnessInput, Reachability, assess};
pub use explain::{countdown, explain_now};
pub use frequency::{Period, PeriodUnit, UpdateFrequency};
pub use hdx::{
    HDX_AS_NEEDED, HDX_LIVE, HDX_NEVER, HdxDataset, HdxStatus, hdx_status, hdx_update_frequency,
};
pub use policy::{FreshnessPolicy, NoticeWindow};
pub use series::{SeriesAssessment, SeriesMember, assess_yearly_series, parse_roc_year_prefix};
pub use state::{Evidence, EvidenceKind, FreshnessAssessment, FreshnessState};
pub use vocabulary::EU_FREQUENCY_BASE;
