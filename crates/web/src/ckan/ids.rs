//! How civitas' things are named in CKAN. CKAN ids are UUIDs and names are URL slugs
//! (`[a-z0-9_-]`, 2–100 characters); harvesters key their copies by `id`, so both must be
//! stable across restarts and instances:
//! - a dataset's `id` is its public identifier (資料集編號) when that is a UUID, as every
//!   Taoyuan portal identifier is; otherwise a UUID derived from the identifier;
//! - its `name` is the identifier when that is already a slug, otherwise `civitas-<id>`;
//! - an organisation's `id` is a UUID derived from the agency code, its `name` the code in
//!   lower case (`380290000H` → `380290000h`);
//! - resource and tag ids are UUIDs derived from what they describe.
//!
//! Derived UUIDs are SHA-256 name-based UUIDs (version 8, RFC 9562), the same everywhere.

use civitas_core::agencies::AgencyCode;
use civitas_core::catalog::Dataset;
use civitas_core::random::sha256_hex;
use civitas_core::time::Timestamp;

/// Names that would otherwise clash with the fallback are given the fallback too.
const FALLBACK_PREFIX: &str = "civitas-";

pub fn derived_uuid(kind: &str, key: &str) -> String {
    let hex = sha256_hex(format!("civitas:{kind}:{key}").as_bytes());
    let mut out = String::with_capacity(36);
    for (i, c) in hex.chars().take(32).enumerate() {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        out.push(match i {
            12 => '8',
            16 => c
                .to_digit(16)
                .and_then(|v| char::from_digit((v & 0x3) | 0x8, 16))
                .unwrap_or('8'),
            _ => c,
        });
    }
    out
}

pub fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_slug(text: &str) -> bool {
    (2..=100).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

pub fn package_id(d: &Dataset) -> String {
    let identifier = d.record.identifier.trim();
    if is_uuid(identifier) {
        identifier.to_ascii_lowercase()
    } else {
        derived_uuid("dataset", identifier)
    }
}

pub fn package_name(d: &Dataset) -> String {
    let identifier = d.record.identifier.trim();
    if is_slug(identifier) && !identifier.starts_with(FALLBACK_PREFIX) {
        identifier.to_string()
    } else {
        format!("{FALLBACK_PREFIX}{}", d.id)
    }
}

pub fn organization_id(code: &AgencyCode) -> String {
    derived_uuid("agency", code.as_str())
}

/// Agency codes are letters, digits, `-`, `_` and `.`; CKAN names have no `.` or capitals.
pub fn organization_name(code: &AgencyCode) -> String {
    code.as_str().to_ascii_lowercase().replace('.', "-")
}

pub fn resource_id(package_id: &str, position: usize) -> String {
    derived_uuid("resource", &format!("{package_id}/{position}"))
}

pub fn tag_id(name: &str) -> String {
    derived_uuid("tag", name)
}

/// CKAN's timestamps: UTC without an offset, microseconds (`2018-03-20T02:31:38.123456`).
pub fn ckan_time(at: Timestamp) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]"
    );
    at.inner()
        .format(&format)
        .unwrap_or_else(|_| at.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_uuids() {
        let a = derived_uuid("agency", "380290000H");
        assert!(is_uuid(&a), "{a}");
        assert_eq!(a, derived_uuid("agency", "380290000H"));
        assert_ne!(a, derived_uuid("agency", "380290000h"));
        assert_eq!(a.chars().nth(14), Some('8'), "version 8");
        assert!(
            matches!(a.chars().nth(19), Some('8' | '9' | 'a' | 'b')),
            "RFC variant"
        );
    }

    #[test]
    fn ckan_times_have_no_offset() {
        let t = Timestamp::parse_rfc3339("2024-03-01T09:00:00.5+08:00").unwrap();
        assert_eq!(ckan_time(t), "2024-03-01T01:00:00.500000");
    }

    #[test]
    fn organisation_names_are_lower_case_slugs() {
        let code = AgencyCode::parse("TY-ARTMUSEUM").unwrap();
        assert_eq!(organization_name(&code), "ty-artmuseum");
        assert!(is_slug("0015aa2e-9b3c-4c1b-8886-74630a007110"));
        assert!(!is_slug("A1"));
    }
}
