//! BSD syslog (RFC 3164): `<PRI>Mmm dd hh:mm:ss HOST MSG`. The time has no year and no zone:
//! the zone is the source's, the year the arrival year (or the one before, when that would put
//! the event more than a day after arrival — December's log read in January).

use time::Duration;

use super::Context;
use crate::alerts::event_time;
use crate::alerts::fingerprint::Fingerprint;
use crate::alerts::model::{Alert, NativeSeverity, SeverityScale, SourceKind};
use crate::text::Text;
use crate::time::Timestamp;

/// What a syslog header in front of a message (or of a CEF record) says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Prefix {
    pub pri: Option<u8>,
    /// The instant and the text it was read from.
    pub time: Option<(Timestamp, String)>,
    pub host: Option<String>,
    /// Where the message starts in the text given.
    pub rest_at: usize,
}

/// Reads `<PRI>`, a BSD or ISO time and a host, as far as they are present.
pub(crate) fn prefix(ctx: &Context<'_>, text: &str) -> Prefix {
    let mut out = Prefix::default();
    let mut at = 0;
    if let Some((pri, used)) = pri(text) {
        out.pri = Some(pri);
        at = used;
    }
    let rest = text.get(at..).unwrap_or("");
    if let Some((time, used)) = bsd_time(ctx, rest) {
        out.time = Some((time, rest.get(..used).unwrap_or("").to_string()));
        at += used;
    } else if let Some(token) = rest.split(' ').next().filter(|t| !t.is_empty())
        && let Some(time) = event_time::parse_iso(token, ctx.source.default_offset)
    {
        out.time = Some((time, token.to_string()));
        at += token.len();
    }
    if out.time.is_some() {
        let rest = text.get(at..).unwrap_or("");
        let trimmed = rest.trim_start_matches(' ');
        let skipped = rest.len() - trimmed.len();
        if let Some(host) = trimmed
            .split(' ')
            .next()
            .filter(|h| !h.is_empty() && !h.starts_with("CEF:"))
        {
            out.host = Some(host.to_string());
            at += skipped + host.len();
            let after = text.get(at..).unwrap_or("");
            at += after.len() - after.trim_start_matches(' ').len();
        } else {
            at += skipped;
        }
    }
    out.rest_at = at;
    out
}

/// `<PRI>`: 1–3 digits, at most 191 (facility 23, severity 7).
pub(crate) fn pri(text: &str) -> Option<(u8, usize)> {
    let body = text.strip_prefix('<')?;
    let close = body.find('>')?;
    let digits = body.get(..close)?;
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u8 = digits.parse().ok().filter(|v| *v <= 191)?;
    Some((value, close + 2))
}

fn bsd_time(ctx: &Context<'_>, text: &str) -> Option<(Timestamp, usize)> {
    let arrival_year = ctx
        .received_at
        .inner()
        .to_offset(ctx.source.default_offset)
        .year();
    let offset = ctx.source.default_offset;
    let latest = ctx.received_at.add(Duration::days(1));
    match event_time::parse_bsd(text, arrival_year, offset) {
        Some((t, used)) if t <= latest => Some((t, used)),
        _ => event_time::parse_bsd(text, arrival_year - 1, offset),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub pri: u8,
    pub timestamp: String,
    pub hostname: String,
    /// `sshd[1234]:` → `sshd`; Cisco's `%ASA-6-302014:` is kept whole.
    pub tag: Option<String>,
    pub message: String,
}

pub(crate) fn header(ctx: &Context<'_>, line: &str) -> Result<(Header, Timestamp), Text> {
    let line = line.trim_start_matches('\u{feff}');
    let p = prefix(ctx, line);
    let pri = p.pri.ok_or_else(|| {
        Text::new(
            "syslog 記錄須以 <PRI> 開頭（例如 <134>）",
            "a syslog record must start with <PRI> (e.g. <134>)",
        )
    })?;
    let (at, timestamp) = p.time.ok_or_else(|| {
        Text::new(
            "<PRI> 之後沒有可辨識的時間（應為「Mmm dd hh:mm:ss」）",
            "no readable time after <PRI> (expected \"Mmm dd hh:mm:ss\")",
        )
    })?;
    let hostname = p.host.ok_or_else(|| super::missing("HOSTNAME"))?;
    let message = line.get(p.rest_at..).unwrap_or("").to_string();
    let tag = message
        .split(' ')
        .next()
        .and_then(|t| t.strip_suffix(':'))
        .filter(|t| !t.is_empty() && t.len() <= 48)
        .map(|t| t.split('[').next().unwrap_or(t).to_string());
    Ok((
        Header {
            pri,
            timestamp,
            hostname,
            tag,
            message,
        },
        at,
    ))
}

pub(super) fn parse(ctx: &Context<'_>, line: &str) -> Result<Alert, Text> {
    let (h, at) = header(ctx, line)?;
    let at = ctx.accept_time(at, &h.timestamp)?;
    let name = ctx.source.name.as_str();
    let mut alert = Alert::new(
        SourceKind::Syslog3164,
        name,
        at,
        h.timestamp,
        Fingerprint::of_text(name, line),
        line.to_string(),
    );
    alert.native_severity = Some(NativeSeverity::new(
        SeverityScale::Syslog,
        (h.pri % 8).to_string(),
    ));
    alert.observer.name = Some(h.hostname.clone());
    alert.host_name = Some(h.hostname);
    alert.rule.id = h.tag;
    alert.message = Some(h.message);
    alert.finish_observables();
    Ok(alert)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::parse::parse_batch;
    use crate::alerts::source::{SourceConfig, SourceFormat, SourceName};

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/../../fixtures/soc/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn source() -> SourceConfig {
        SourceConfig::new(SourceName::parse("asa").unwrap(), SourceFormat::Syslog3164)
            .with_offset(time::UtcOffset::UTC)
    }

    fn received(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn every_metron_bsd_syslog_pair_is_reproduced() {
        let src = source();
        let ctx = Context {
            source: &src,
            received_at: received("2018-06-01T00:00:00Z"),
        };
        let raw = fixture("metron-syslog3164-raw.log");
        let parsed = fixture("metron-syslog3164-parsed.jsonl");
        let mut pairs = 0;
        for (line, expected) in raw.lines().zip(parsed.lines()) {
            let e: serde_json::Value = serde_json::from_str(expected).unwrap();
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            assert_eq!(s("original_string"), line);
            let (h, at) = header(&ctx, line).unwrap();
            assert_eq!(h.pri.to_string(), s("syslog.header.pri"));
            assert_eq!((h.pri / 8).to_string(), s("syslog.header.facility"));
            assert_eq!((h.pri % 8).to_string(), s("syslog.header.severity"));
            assert_eq!(h.hostname, s("syslog.header.hostName"));
            assert_eq!(h.timestamp, s("syslog.header.timestamp"));
            assert_eq!(h.message, s("syslog.message"));
            assert_eq!(at.as_millis(), e["timestamp"].as_i64().unwrap());
            pairs += 1;
        }
        assert_eq!(pairs, 100);
        let batch = parse_batch(&src, raw.as_bytes(), received("2018-06-01T00:00:00Z"));
        // The Metron sample repeats one line verbatim: the same raw event, stored once.
        assert_eq!(batch.alerts.len(), 99);
        assert_eq!(batch.duplicates, 1);
        assert!(batch.rejected.is_empty() && batch.reconciles());
        assert_eq!(batch.alerts[0].rule.id.as_deref(), Some("%ASA-7-609001"));
        assert_eq!(batch.alerts[0].native_severity.as_ref().unwrap().raw, "7");
    }

    #[test]
    fn a_december_line_read_in_january_belongs_to_last_year() {
        let line = "<38>Dec 31 23:59:58 gw sshd[77]: Accepted publickey for ops";
        let batch = parse_batch(&source(), line.as_bytes(), received("2025-01-01T00:00:10Z"));
        let a = &batch.alerts[0];
        assert_eq!(a.observed_at.to_rfc3339(), "2024-12-31T23:59:58Z");
        assert_eq!(a.rule.id.as_deref(), Some("sshd"));
        // In Taipei's zone the same text is eight hours earlier.
        let taipei = SourceConfig::new(SourceName::parse("gw").unwrap(), SourceFormat::Syslog3164);
        let b = parse_batch(&taipei, line.as_bytes(), received("2025-01-01T00:00:10Z"));
        assert_eq!(b.alerts[0].observed_at.to_rfc3339(), "2024-12-31T15:59:58Z");
    }

    #[test]
    fn lines_without_pri_or_time_are_rejected_saying_what_is_missing() {
        let at = received("2018-06-01T00:00:00Z");
        for (line, needle) in [
            ("Jan  5 08:52:35 host msg", "<PRI>"),
            ("<999>Jan  5 08:52:35 host msg", "<PRI>"),
            ("<14>yesterday host msg", "time"),
            ("<14>Jan  5 08:52:35", "HOSTNAME"),
        ] {
            let batch = parse_batch(&source(), line.as_bytes(), at);
            assert_eq!(batch.rejected.len(), 1, "{line}");
            assert!(
                batch.rejected[0].reason.en.contains(needle),
                "{line}: {:?}",
                batch.rejected[0].reason
            );
        }
    }
}
