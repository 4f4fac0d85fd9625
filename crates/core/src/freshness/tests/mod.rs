//! Stories about the freshness engine; some run against the real catalogues in
//! `shared/data/catalog` (read in place, never copied into the repository).

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

/// A file in the shared data folder, which sits beside the repository.
macro_rules! shared_data {
    ($name:literal) => {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/catalog/",
            $name
        )
    };
}

mod declared_frequencies;
mod engine_stories;
mod hdx_golden;
mod series_stories;
mod taoyuan;
