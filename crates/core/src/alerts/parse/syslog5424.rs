//! Syslog RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID k="v"…]… MSG`,
//! `-` for a missing value. Structured-data values escape `\"`, `\\` and `\]`.

use super::{Context, syslog3164};
use crate::alerts::event_time;
use crate::alerts::fingerprint::Fingerprint;
use crate::alerts::model::{Alert, NativeSeverity, SeverityScale, SourceKind};
use crate::text::Text;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Record {
    pub pri: u8,
    pub version: String,
    pub timestamp: Option<String>,
    pub hostname: Option<String>,
    pub app_name: Option<String>,
    pub proc_id: Option<String>,
    pub msg_id: Option<String>,
    /// (SD-ID, param name, value), in order.
    pub structured_data: Vec<(String, String, String)>,
    pub message: String,
}

fn nil(field: &str) -> Option<String> {
    (field != "-").then(|| field.to_string())
}

pub(crate) fn record(line: &str) -> Result<Record, Text> {
    let (pri, used) = syslog3164::pri(line).ok_or_else(|| {
        Text::new(
            "syslog 記錄須以 <PRI> 開頭（例如 <134>1 …）",
            "a syslog record must start with <PRI> (e.g. <134>1 …)",
        )
    })?;
    let rest = line.get(used..).unwrap_or("");
    let mut parts = rest.splitn(7, ' ');
    let mut next = |name: &str| {
        parts
            .next()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| super::missing(name))
    };
    let version = next("VERSION")?.to_string();
    if version != "1" {
        return Err(Text::new(
            format!("RFC 5424 版本應為 1，收到「{version}」：此來源可能是 RFC 3164 格式"),
            format!(
                "the RFC 5424 version must be 1, not \"{version}\": the source may be sending RFC 3164"
            ),
        ));
    }
    let timestamp = nil(next("TIMESTAMP")?);
    let hostname = nil(next("HOSTNAME")?);
    let app_name = nil(next("APP-NAME")?);
    let proc_id = nil(next("PROCID")?);
    let msg_id = nil(next("MSGID")?);
    let tail = parts.next().unwrap_or("");
    let (structured_data, message) = structured_data(tail)?;
    Ok(Record {
        pri,
        version,
        timestamp,
        hostname,
        app_name,
        proc_id,
        msg_id,
        structured_data,
        message: message.trim_start_matches('\u{feff}').to_string(),
    })
}

type Elements = Vec<(String, String, String)>;

fn structured_data(tail: &str) -> Result<(Elements, &str), Text> {
    if let Some(message) = tail.strip_prefix('-') {
        return Ok((Vec::new(), message.strip_prefix(' ').unwrap_or(message)));
    }
    if !tail.starts_with('[') {
        return Err(bad_sd("STRUCTURED-DATA must be '-' or [id …]"));
    }
    let mut out = Vec::new();
    let mut chars = tail.char_indices().peekable();
    loop {
        match chars.next() {
            Some((_, '[')) => {}
            Some((i, ' ')) => return Ok((out, tail.get(i + 1..).unwrap_or(""))),
            None => return Ok((out, "")),
            Some(_) => return Err(bad_sd("expected '[' or a space after an element")),
        }
        let mut id = String::new();
        while let Some((_, c)) = chars.peek().copied() {
            if c == ' ' || c == ']' {
                break;
            }
            id.push(c);
            chars.next();
        }
        loop {
            match chars.next() {
                Some((_, ']')) => break,
                Some((_, ' ')) => {}
                _ => return Err(bad_sd("an element is not closed with ']'")),
            }
            let mut name = String::new();
            loop {
                match chars.next() {
                    Some((_, '=')) => break,
                    Some((_, c)) if c != ' ' && c != ']' && c != '"' => name.push(c),
                    _ => return Err(bad_sd("a parameter has no '=\"value\"'")),
                }
            }
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err(bad_sd("a parameter value is not quoted"));
            }
            let mut value = String::new();
            loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, c @ ('"' | '\\' | ']'))) => value.push(c),
                        Some((_, c)) => {
                            value.push('\\');
                            value.push(c);
                        }
                        None => return Err(bad_sd("a value ends in the middle of an escape")),
                    },
                    Some((_, '"')) => break,
                    Some((_, c)) => value.push(c),
                    None => return Err(bad_sd("a quoted value is not closed")),
                }
            }
            out.push((id.clone(), name, value));
            if chars.peek().map(|(_, c)| *c) == Some(']') {
                chars.next();
                break;
            }
        }
    }
}

fn bad_sd(what: &str) -> Text {
    Text::new(
        format!("RFC 5424 結構化資料格式錯誤：{what}"),
        format!("malformed RFC 5424 structured data: {what}"),
    )
}

pub(super) fn parse(ctx: &Context<'_>, line: &str) -> Result<Alert, Text> {
    let r = record(line)?;
    let (at, original) = match &r.timestamp {
        Some(text) => (
            event_time::parse_iso(text, ctx.source.default_offset)
                .ok_or_else(|| super::bad_time("TIMESTAMP", text))?,
            text.clone(),
        ),
        // RFC 5424 §6.2.3: a receiver may use its own time for a NILVALUE timestamp.
        None => (ctx.received_at, "-".to_string()),
    };
    let at = ctx.accept_time(at, &original)?;
    let name = ctx.source.name.as_str();
    let mut alert = Alert::new(
        SourceKind::Syslog5424,
        name,
        at,
        original,
        Fingerprint::of_text(name, line),
        line.to_string(),
    );
    alert.native_severity = Some(NativeSeverity::new(
        SeverityScale::Syslog,
        (r.pri % 8).to_string(),
    ));
    alert.observer.name = r.hostname.clone();
    alert.host_name = r.hostname;
    alert.rule.id = r.msg_id;
    alert.rule.name = r.app_name;
    alert.message = Some(r.message);
    alert.finish_observables();
    Ok(alert)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::parse::parse_batch;
    use crate::alerts::source::{SourceConfig, SourceFormat, SourceName};
    use crate::time::Timestamp;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/../../fixtures/soc/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn every_metron_rfc5424_pair_is_reproduced_including_structured_data() {
        let raw = fixture("metron-syslog5424-raw.log");
        let parsed = fixture("metron-syslog5424-parsed.jsonl");
        let mut pairs = 0;
        for (line, expected) in raw.lines().zip(parsed.lines()) {
            let e: serde_json::Value = serde_json::from_str(expected).unwrap();
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            let nil = |v: Option<String>| v.unwrap_or_else(|| "-".into());
            let r = record(line).unwrap();
            assert_eq!(r.pri.to_string(), s("syslog.header.pri"));
            assert_eq!((r.pri / 8).to_string(), s("syslog.header.facility"));
            assert_eq!((r.pri % 8).to_string(), s("syslog.header.severity"));
            assert_eq!(r.version, s("syslog.header.version"));
            assert_eq!(nil(r.timestamp.clone()), s("syslog.header.timestamp"));
            assert_eq!(nil(r.hostname.clone()), s("syslog.header.hostName"));
            assert_eq!(nil(r.app_name.clone()), s("syslog.header.appName"));
            assert_eq!(nil(r.proc_id.clone()), s("syslog.header.procId"));
            assert_eq!(nil(r.msg_id.clone()), s("syslog.header.msgId"));
            assert_eq!(r.message, s("syslog.message"));
            let expected_sd: Vec<(String, String)> = e
                .as_object()
                .unwrap()
                .iter()
                .filter_map(|(k, v)| {
                    k.strip_prefix("syslog.structuredData.")
                        .map(|rest| (rest.to_string(), v.as_str().unwrap().to_string()))
                })
                .collect();
            let mut ours: Vec<(String, String)> = r
                .structured_data
                .iter()
                .map(|(id, k, v)| (format!("{id}.{k}"), v.clone()))
                .collect();
            ours.sort();
            let mut theirs = expected_sd;
            theirs.sort();
            assert_eq!(ours, theirs);
            pairs += 1;
        }
        assert_eq!(pairs, 3);
        let src = SourceConfig::new(SourceName::parse("cf").unwrap(), SourceFormat::Syslog5424);
        let batch = parse_batch(
            &src,
            raw.as_bytes(),
            Timestamp::parse_rfc3339("2015-01-01T00:00:00Z").unwrap(),
        );
        assert_eq!(batch.alerts.len(), 3);
        assert_eq!(batch.alerts[0].observed_at.as_millis(), 1_403_255_647_000);
        assert_eq!(batch.alerts[1].rule.id.as_deref(), Some("MSG-02"));
    }

    #[test]
    fn escaped_quotes_and_brackets_in_structured_data_are_undone() {
        let r = record(
            r#"<165>1 2003-10-11T22:14:15.003Z host app - ID47 [x@1 a="q\"uo\]te" b="\\"] hi"#,
        )
        .unwrap();
        assert_eq!(
            r.structured_data[0],
            ("x@1".into(), "a".into(), "q\"uo]te".into())
        );
        assert_eq!(
            r.structured_data[1],
            ("x@1".into(), "b".into(), "\\".into())
        );
        assert_eq!(r.message, "hi");
    }

    #[test]
    fn malformed_rfc5424_is_rejected_with_what_is_wrong() {
        for (line, needle) in [
            ("<14>2 2014-06-20T09:14:07Z h a p m - x", "version"),
            ("<14>1 2014-06-20T09:14:07Z h a", "PROCID"),
            (
                r#"<14>1 2014-06-20T09:14:07Z h a p m [x a="1" msg"#,
                "structured data",
            ),
            (
                "<14>1 2014-06-20T09:14:07Z h a p m nonsense",
                "structured data",
            ),
        ] {
            let err = record(line).unwrap_err();
            assert!(err.en.contains(needle), "{line}: {err:?}");
        }
    }
}
