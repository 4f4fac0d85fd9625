//! The city's data inventory (issue 3, points 3 and 7): each agency's demand for other
//! agencies' data, matched to the supply in the catalogue or listed as a gap; and the register
//! of the platforms the city paid for, with their yearly cost and the use they got.

mod model;
mod rules;
mod service;

pub use model::{
    BenefitRow, DataPlatform, Demand, DemandFilter, DemandInput, DemandMatch, DemandStatus,
    MatrixCell, PlatformCost, PlatformInput, PlatformStatus, PlatformUse, SourceMapping,
    Suggestion, UnusedDataset, Urgency,
};
pub use rules::{
    benefit_rows, demand_matrix, gaps, per_unit, roc_year_of, search_words, suggestions_from,
    unused_by_platform,
};
pub use service::{BenefitReport, InventoryService, Overview};
