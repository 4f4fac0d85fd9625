//! Stories about the freshness engine; some run against the real catalogues in
//! `fixtures/catalog` (copied from the shared data with their sources and licences).

use time::PrimitiveDateTime;
use time::macros::format_description;

use crate::time::{TAIPEI, Timestamp};

/// "2018-03-01 09:00" in Taipei time.
fn taipei(text: &str) -> Timestamp {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]");
    Timestamp::from_offset(
        PrimitiveDateTime::parse(text, format)
            .unwrap()
            .assume_offset(TAIPEI),
    )
}

/// A real-data fixture (see fixtures/catalog/README.md for sources and licences).
macro_rules! shared_data {
    ($name:literal) => {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/catalog/",
            $name
        )
    };
}

mod declared_frequencies;
mod engine_stories;
mod hdx_golden;
mod series_stories;
mod taoyuan;
