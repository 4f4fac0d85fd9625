//! ArcSight CEF: `CEF:Version|Vendor|Product|Version|Event Class ID|Name|Severity|Extension`,
//! alone or behind a syslog prefix (`<14>`, `<14>Apr  7 10:10:10 host `, an ISO time, or a BSD
//! time and host without PRI). Header fields escape `\|` and `\\`; extension values escape `\=`,
//! `\\`, `\n`, `\r`, may contain spaces, and end where the next ` key=` begins.

use std::net::IpAddr;

use super::{Context, syslog3164};
use crate::alerts::event_time;
use crate::alerts::fingerprint::Fingerprint;
use crate::alerts::model::{Action, Alert, NativeSeverity, SeverityScale, SourceKind};
use crate::alerts::observables::Observable;
use crate::text::Text;

const SEVERITY_WORDS: [&str; 5] = ["unknown", "low", "medium", "high", "very-high"];

pub(super) fn parse(ctx: &Context<'_>, line: &str) -> Result<Alert, Text> {
    let marker = line.find("CEF:").ok_or_else(|| {
        Text::new(
            "找不到「CEF:」標記：此行不是 CEF 記錄，請確認來源格式設定",
            "no \"CEF:\" marker: the line is not a CEF record; check the source's format setting",
        )
    })?;
    let prefix = line.get(..marker).unwrap_or("");
    let body = line.get(marker + 4..).unwrap_or("").trim_start();
    let (header, extension) = split_header(body)?;
    let [
        version,
        vendor,
        product,
        device_version,
        class_id,
        name,
        severity,
    ] = header;
    if !version.bytes().all(|b| b.is_ascii_digit()) || version.is_empty() {
        return Err(Text::new(
            format!("CEF 版本「{version}」不是數字"),
            format!("the CEF version \"{version}\" is not a number"),
        ));
    }
    let extension = split_extension(extension)?;
    let ext = |key: &str| value_of(&extension, key);
    let severity = severity.trim().to_string();
    if !severity.is_empty() && !valid_severity(&severity) {
        return Err(Text::new(
            format!("CEF 嚴重度「{severity}」不是 0–10 或 Unknown/Low/Medium/High/Very-High"),
            format!(
                "the CEF severity \"{severity}\" is not 0–10 or Unknown/Low/Medium/High/Very-High"
            ),
        ));
    }

    let syslog = syslog3164::prefix(ctx, prefix);
    let (at, original) = event_at(ctx, &syslog, &extension)?;
    let at = ctx.accept_time(at, &original)?;
    let source_name = ctx.source.name.as_str();
    let mut alert = Alert::new(
        SourceKind::Cef,
        source_name,
        at,
        original,
        Fingerprint::of_text(source_name, line),
        line.to_string(),
    );
    alert.observer.vendor = non_empty(vendor);
    alert.observer.product = non_empty(product);
    alert.observer.version = non_empty(device_version);
    alert.observer.address = ext("dvc").and_then(|v| v.parse().ok());
    alert.observer.name = ext("dvchost").map(str::to_string).or(syslog.host);
    alert.rule.id = non_empty(class_id);
    alert.rule.name = non_empty(name);
    alert.rule.category = ext("cat").map(str::to_string);
    alert.native_severity =
        (!severity.is_empty()).then(|| NativeSeverity::new(SeverityScale::Cef, severity));
    alert.action = ext("act").map_or(Action::Unknown, Action::from_word);
    alert.source_ref = ext("externalId").map(str::to_string);
    alert.message = ext("msg").map(str::to_string);

    alert.source.ip = ext("src").and_then(parse_ip);
    alert.source.port = ext("spt").and_then(|p| p.parse().ok());
    alert.source.host = ext("shost").map(str::to_string);
    alert.source.user = ext("suser").map(str::to_string);
    alert.destination.ip = ext("dst").and_then(parse_ip);
    alert.destination.port = ext("dpt").and_then(|p| p.parse().ok());
    alert.destination.host = ext("dhost").map(str::to_string);
    alert.destination.user = ext("duser").map(str::to_string);
    alert.host_name = alert.destination.host.clone();
    alert.transport = ext("proto").map(str::to_ascii_lowercase);
    alert.app_protocol = ext("app").map(str::to_ascii_lowercase);

    if let Some(url) = ext("request") {
        // Palo Alto writes the URL in escaped quotes: \"www.example.com/\"
        alert
            .observables
            .extend(Observable::url(url.trim_matches(['"', '\\'])));
    }
    for key in ["shost", "dhost"] {
        if let Some(host) = ext(key) {
            alert.observables.extend(Observable::domain(host));
        }
    }
    if let Some(hash) = ext("fileHash") {
        alert.observables.extend(Observable::hash(hash));
    }
    alert.finish_observables();
    Ok(alert)
}

/// The device's receipt time `rt` when readable, else the syslog prefix's time, else `start`.
fn event_at(
    ctx: &Context<'_>,
    syslog: &syslog3164::Prefix,
    extension: &[(String, String)],
) -> Result<(crate::time::Timestamp, String), Text> {
    let ext = |key: &str| value_of(extension, key);
    let year = ctx
        .received_at
        .inner()
        .to_offset(ctx.source.default_offset)
        .year();
    if let Some(rt) = ext("rt") {
        return event_time::parse_loose(rt, ctx.source.default_offset, year)
            .map(|t| (t, rt.to_string()))
            .ok_or_else(|| super::bad_time("rt", rt));
    }
    if let Some((at, text)) = &syslog.time {
        return Ok((*at, text.clone()));
    }
    for key in ["start", "end"] {
        if let Some(text) = ext(key) {
            return event_time::parse_loose(text, ctx.source.default_offset, year)
                .map(|t| (t, text.to_string()))
                .ok_or_else(|| super::bad_time(key, text));
        }
    }
    Err(Text::new(
        "CEF 記錄沒有時間：既無 syslog 前綴時間，也無 rt/start 欄位",
        "the CEF record has no time: neither a syslog prefix time nor an rt/start field",
    ))
}

/// An extension value; an empty value (`duser=`) counts as absent.
fn value_of<'e>(extension: &'e [(String, String)], key: &str) -> Option<&'e str> {
    extension
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn valid_severity(text: &str) -> bool {
    text.parse::<u8>().is_ok_and(|n| n <= 10)
        || SEVERITY_WORDS.contains(&text.to_ascii_lowercase().as_str())
}

fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim().parse().ok()
}

fn non_empty(text: String) -> Option<String> {
    (!text.trim().is_empty()).then_some(text)
}

/// The seven header fields, unescaped, and the raw extension after the seventh `|`.
fn split_header(body: &str) -> Result<([String; 7], &str), Text> {
    let mut fields: Vec<String> = Vec::with_capacity(7);
    let mut current = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, next @ ('|' | '\\'))) => current.push(next),
                Some((_, next)) => {
                    current.push('\\');
                    current.push(next);
                }
                None => current.push('\\'),
            },
            '|' => {
                fields.push(std::mem::take(&mut current));
                if fields.len() == 7 {
                    let rest = body.get(i + 1..).unwrap_or("");
                    let header: [String; 7] = fields.try_into().map_err(|_| header_error(7))?;
                    return Ok((header, rest));
                }
            }
            other => current.push(other),
        }
    }
    Err(header_error(fields.len()))
}

fn header_error(found: usize) -> Text {
    Text::new(
        format!(
            "CEF 標頭只有 {found} 個以 | 結尾的欄位，應有 7 個：記錄被截斷，或欄位內的 | 未寫成 \\|"
        ),
        format!(
            "the CEF header has {found} of its 7 '|'-terminated fields: the record is truncated, or a '|' inside a field is not written '\\|'"
        ),
    )
}

/// `key=value` pairs; a key starts after a space and its `=` is not escaped.
fn split_extension(ext: &str) -> Result<Vec<(String, String)>, Text> {
    let bytes = ext.as_bytes();
    let mut keys: Vec<(usize, usize)> = Vec::new();
    for (i, b) in bytes.iter().enumerate() {
        if *b != b'=' || escaped(bytes, i) {
            continue;
        }
        let mut start = i;
        while start > 0 && bytes.get(start - 1).is_some_and(|c| is_key_byte(*c)) {
            start -= 1;
        }
        let at_boundary = start == 0 || bytes.get(start - 1) == Some(&b' ');
        if start < i && at_boundary {
            keys.push((start, i));
        }
    }
    let leading = keys.first().map_or(ext.len(), |(s, _)| *s);
    if !ext.get(..leading).unwrap_or("").trim().is_empty() {
        return Err(Text::new(
            "CEF 延伸欄位開頭不是 key=value：請確認 = 是否寫成 \\=",
            "the CEF extension does not start with key=value: check that '=' inside values is written '\\='",
        ));
    }
    let mut pairs = Vec::with_capacity(keys.len());
    for (n, (start, eq)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map_or(ext.len(), |(next, _)| *next);
        let key = ext.get(*start..*eq).unwrap_or("").to_string();
        let value = ext.get(eq + 1..end).unwrap_or("").trim_end();
        pairs.push((key, unescape_value(value)));
    }
    Ok(pairs)
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

fn escaped(bytes: &[u8], at: usize) -> bool {
    let backslashes = bytes.get(..at).map_or(0, |before| {
        before.iter().rev().take_while(|b| **b == b'\\').count()
    });
    backslashes % 2 == 1
}

/// Unknown escapes are kept as written: real devices write Windows paths unescaped (`Root\ABC`).
fn unescape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('=') => out.push('='),
            Some('\\') => out.push('\\'),
            Some('|') => out.push('|'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::parse::parse_batch;
    use crate::alerts::source::{SourceConfig, SourceFormat, SourceName};
    use crate::time::Timestamp;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../fixtures/soc/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn cef() -> SourceConfig {
        SourceConfig::new(SourceName::parse("cef-relay").unwrap(), SourceFormat::Cef)
            .with_offset(time::UtcOffset::UTC)
    }

    fn received(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn the_cyberark_record_gives_the_fields_metron_expects() {
        let raw = fixture("metron-cef-cyberark.cef");
        let expected: serde_json::Value =
            serde_json::from_slice(&fixture("metron-cef-cyberark.expected.json")).unwrap();
        let batch = parse_batch(&cef(), &raw, received("2016-06-01T00:00:00Z"));
        assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
        let a = &batch.alerts[0];
        let s = |k: &str| expected[k].as_str().unwrap().to_string();
        assert_eq!(a.observer.vendor, Some(s("device_vendor")));
        assert_eq!(a.observer.product, Some(s("device_product")));
        assert_eq!(a.observer.version, Some(s("device_version")));
        assert_eq!(a.rule.id, Some(s("event_class_id")));
        assert_eq!(a.rule.name, Some(s("event_name")));
        assert_eq!(a.native_severity.as_ref().unwrap().raw, s("severity"));
        assert_eq!(
            a.observer.address,
            Some(s("deviceAddress").parse().unwrap())
        );
        assert_eq!(a.message, Some(s("message")));
        assert_eq!(a.source.host, Some(s("src_hostname")));
        assert_eq!(a.source.user, Some(s("src_username")));
        assert_eq!(a.raw, s("original_string"));
        assert_eq!(
            a.observed_at.as_millis(),
            expected["timestamp"].as_i64().unwrap()
        );
        // "Retrieve password" is neither allowed nor blocked.
        assert_eq!(a.action, Action::Unknown);
    }

    #[test]
    fn the_metron_cef_variants_all_parse() {
        let at = received("2017-06-01T00:00:00Z");
        for file in [
            "metron-cef-adallom.cef",
            "metron-cef-cyberark.cef",
            "metron-cef-palo.cef",
            "metron-cef-waf.cef",
        ] {
            let batch = parse_batch(&cef(), &fixture(file), at);
            assert!(batch.rejected.is_empty(), "{file}: {:?}", batch.rejected);
            assert_eq!(batch.alerts.len(), 1, "{file}");
        }
    }

    #[test]
    fn palo_alto_with_a_syslog_prefix_and_a_space_after_cef() {
        let batch = parse_batch(
            &cef(),
            &fixture("metron-cef-palo.cef"),
            received("2017-06-01T00:00:00Z"),
        );
        let a = &batch.alerts[0];
        assert_eq!(a.observer.vendor.as_deref(), Some("Palo Alto Networks"));
        assert_eq!(a.rule.id.as_deref(), Some("url"));
        assert_eq!(a.rule.name.as_deref(), Some("THREAT"));
        assert_eq!(a.original_time, "Apr 07 2017 00:10:10 GMT");
        assert_eq!(a.observed_at.to_rfc3339(), "2017-04-07T00:10:10Z");
        assert_eq!(a.source.ip, Some("10.10.10.10".parse().unwrap()));
        assert_eq!(a.destination.port, Some(443));
        assert_eq!(a.transport.as_deref(), Some("tcp"));
        assert_eq!(a.rule.category.as_deref(), Some("(9999)"));
        assert_eq!(a.observer.name.as_deref(), Some("hostname"));
        assert!(a.observables.iter().any(|o| o.value == "www.example.com/"));
    }

    #[test]
    fn imperva_with_an_empty_name_and_a_word_severity() {
        let batch = parse_batch(
            &cef(),
            &fixture("metron-cef-waf.cef"),
            received("2017-06-01T00:00:00Z"),
        );
        let a = &batch.alerts[0];
        assert_eq!(a.rule.name, None);
        assert_eq!(
            a.rule.id.as_deref(),
            Some("ABC - Secure Login.vm Page Rate Limit UK - Source IP")
        );
        assert_eq!(
            a.native_severity,
            Some(NativeSeverity::new(SeverityScale::Cef, "High"))
        );
        assert_eq!(a.observed_at.to_rfc3339(), "2016-03-31T13:04:55Z");
        assert_eq!(a.destination.user.as_deref(), Some("${Alert.username}"));
        assert_eq!(a.destination.ip, Some("17.43.200.42".parse().unwrap()));
    }

    #[test]
    fn adallom_with_an_iso_prefix_and_json_inside_values() {
        let batch = parse_batch(
            &cef(),
            &fixture("metron-cef-adallom.cef"),
            received("2017-06-01T00:00:00Z"),
        );
        let a = &batch.alerts[0];
        assert_eq!(a.observed_at.to_rfc3339(), "2016-04-01T13:29:11.356Z");
        assert_eq!(a.source.user.as_deref(), Some("auser@example.com"));
        assert!(
            a.message
                .as_deref()
                .unwrap()
                .starts_with("Activity policy 'User download/view file'")
        );
    }

    #[test]
    fn escapes_in_header_and_extension_are_undone() {
        let line = r"CEF:0|Ven\|dor|Pro\\duct|1.0|100|Name with \| pipe|Very-High|rt=1459517280810 msg=a\=b c\\d\nnext cs1=x=y src=10.0.0.1";
        let batch = parse_batch(&cef(), line.as_bytes(), received("2017-06-01T00:00:00Z"));
        assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
        let a = &batch.alerts[0];
        assert_eq!(a.observer.vendor.as_deref(), Some("Ven|dor"));
        assert_eq!(a.observer.product.as_deref(), Some(r"Pro\duct"));
        assert_eq!(a.rule.name.as_deref(), Some("Name with | pipe"));
        assert_eq!(a.message.as_deref(), Some("a=b c\\d\nnext"));
        assert_eq!(a.source.ip, Some("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn broken_cef_is_rejected_with_a_reason_naming_the_problem() {
        let at = received("2017-06-01T00:00:00Z");
        let cases = [
            ("<14>hello world", "CEF:"),
            (
                "CEF:0|Vendor\\|Product|1.0|100|Name|5|rt=1459517280810",
                "7",
            ),
            ("CEF:0|V|P|1.0|100|Name|11|rt=1459517280810", "severity"),
            ("CEF:0|V|P|1.0|100|Name|5|src=10.0.0.1", "no time"),
            (
                "CEF:0|V|P|1.0|100|Name|5|junk rt=1459517280810",
                "key=value",
            ),
            ("CEF:x|V|P|1.0|100|Name|5|rt=1459517280810", "version"),
            ("CEF:0|V|P|1.0|100|Name|5|rt=next tuesday", "rt"),
        ];
        for (line, needle) in cases {
            let batch = parse_batch(&cef(), line.as_bytes(), at);
            assert_eq!(batch.rejected.len(), 1, "{line}");
            assert!(
                batch.rejected[0].reason.en.contains(needle),
                "{line}: {:?}",
                batch.rejected[0].reason
            );
        }
    }
}
