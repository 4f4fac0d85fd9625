//! Parsing a batch from one source: bytes in (a file, an HTTP body, syslog lines), alerts out,
//! with every record that could not be read kept with its line and a reason a person can act on.
//! received = alerts + duplicates + rejected + skipped (non-alert events such as EVE `flow`).

mod cef;
mod generic;
mod json;
mod json_array;
mod suricata;
mod syslog3164;
mod syslog5424;
mod wazuh;
mod wazuh_ecs;
#[cfg(test)]
pub(crate) mod wazuh_samples;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::Duration;

use crate::alerts::model::Alert;
use crate::alerts::source::{SourceConfig, SourceFormat};
use crate::import::{ImportReport, Rejected, truncate_chars};
use crate::text::Text;
use crate::time::Timestamp;

/// One record larger than this is refused: no sensor writes a 1 MiB alert, and a flood of
/// them must not exhaust memory.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Sensor clocks drift; more than this ahead of arrival is a wrong clock, not an alert.
const FUTURE_TOLERANCE: Duration = Duration::hours(1);

/// How much of a rejected record is kept for the person reading the quarantine.
const REJECTED_RAW_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ParsedBatch {
    /// Records seen (blank lines are not records).
    pub received: u64,
    pub alerts: Vec<Alert>,
    /// Records whose fingerprint already appeared earlier in this batch.
    pub duplicates: u64,
    pub rejected: Vec<Rejected>,
    /// Events of the source that are not alerts (EVE `flow`, `dns`, `stats`…): counted, not kept.
    pub skipped_other_events: u64,
}

impl ParsedBatch {
    /// received = alerts + duplicates + rejected + skipped.
    pub fn reconciles(&self) -> bool {
        self.received
            == self.alerts.len() as u64
                + self.duplicates
                + self.rejected.len() as u64
                + self.skipped_other_events
    }

    /// The platform's import report once the store has said how many of these alerts it
    /// already held (fingerprints seen in earlier imports count as duplicates). Non-alert
    /// events are not records of an alert import: they are left out of `received` and the
    /// caller shows `skipped_other_events` beside the report.
    pub fn import_report(&self, format: &str, source: &str, already_stored: u64) -> ImportReport {
        let mut report = ImportReport::new("alerts", format, source);
        let parsed = self.alerts.len() as u64;
        let already_stored = already_stored.min(parsed);
        report.received = self.received.saturating_sub(self.skipped_other_events);
        report.created = parsed - already_stored;
        report.duplicates = self.duplicates + already_stored;
        report.rejected = self.rejected.clone();
        report
    }

    fn reject(&mut self, line: u64, reason: Text, raw: &str) {
        self.received += 1;
        self.rejected.push(Rejected {
            line,
            reason,
            raw: truncate_chars(raw, REJECTED_RAW_CHARS),
        });
    }

    fn take(
        &mut self,
        line: u64,
        outcome: Result<Option<Alert>, Text>,
        raw: &str,
        seen: &mut HashSet<[u8; 32]>,
    ) {
        match outcome {
            Ok(Some(alert)) => {
                self.received += 1;
                if seen.insert(*alert.fingerprint.as_bytes()) {
                    self.alerts.push(alert);
                } else {
                    self.duplicates += 1;
                }
            }
            Ok(None) => {
                self.received += 1;
                self.skipped_other_events += 1;
            }
            Err(reason) => self.reject(line, reason, raw),
        }
    }
}

/// What the parsers need besides the record: when the batch arrived, to refuse times in the
/// future and to give BSD syslog its missing year.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    pub source: &'a SourceConfig,
    pub received_at: Timestamp,
}

impl Context<'_> {
    /// The parsed time, refused when it lies in the future.
    pub fn accept_time(&self, at: Timestamp, original: &str) -> Result<Timestamp, Text> {
        if at > self.received_at.add(FUTURE_TOLERANCE) {
            Err(Text::new(
                format!(
                    "時間 {original} 晚於收到時間 {} 超過一小時：請檢查感測器時鐘或時區設定",
                    self.received_at
                ),
                format!(
                    "time {original} is more than an hour after the batch arrived ({}): check the sensor's clock or zone",
                    self.received_at
                ),
            ))
        } else {
            Ok(at)
        }
    }
}

/// Parses a whole batch: NDJSON or a JSON array for the JSON formats, one record per line for
/// CEF and syslog. Never panics, whatever the bytes.
pub fn parse_batch(source: &SourceConfig, input: &[u8], received_at: Timestamp) -> ParsedBatch {
    let ctx = Context {
        source,
        received_at,
    };
    let mut batch = ParsedBatch::default();
    let mut seen = HashSet::new();
    let body = input.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(input);
    let is_json = !matches!(
        source.format,
        SourceFormat::Cef | SourceFormat::Syslog5424 | SourceFormat::Syslog3164
    );
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if is_json && first == Some(&b'[') {
        json_array::parse(&ctx, body, &mut batch, &mut seen);
        return batch;
    }
    for (index, line) in body.split(|b| *b == b'\n').enumerate() {
        let line_no = index as u64 + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match checked_text(line) {
            Ok(text) => {
                let outcome = parse_record(&ctx, text);
                batch.take(line_no, outcome, text, &mut seen);
            }
            Err(reason) => {
                let shown = String::from_utf8_lossy(line.get(..REJECTED_RAW_CHARS).unwrap_or(line));
                batch.reject(line_no, reason, &shown);
            }
        }
    }
    batch
}

/// One line as a listener receives it (a syslog datagram, one NDJSON line of an HTTP body).
/// `Ok(None)` is an event of the source that is not an alert.
pub fn parse_line(
    source: &SourceConfig,
    line: &[u8],
    received_at: Timestamp,
) -> Result<Option<Alert>, Text> {
    let ctx = Context {
        source,
        received_at,
    };
    let text = checked_text(line)?;
    parse_record(&ctx, text.trim_end_matches(['\r', '\n']))
}

fn checked_text(line: &[u8]) -> Result<&str, Text> {
    if line.len() > MAX_RECORD_BYTES {
        return Err(too_large(line.len()));
    }
    std::str::from_utf8(line).map_err(|e| {
        Text::new(
            format!(
                "第 {} 個位元組起不是 UTF-8 文字（二進位資料或編碼錯誤）：請確認來源送出的是文字記錄",
                e.valid_up_to() + 1
            ),
            format!(
                "not UTF-8 text from byte {} on (binary data or a wrong encoding): check that the source sends text records",
                e.valid_up_to() + 1
            ),
        )
    })
}

pub(crate) fn too_large(len: usize) -> Text {
    Text::new(
        format!("單筆記錄 {len} 位元組，超過 1 MiB 上限：請確認記錄分行正確"),
        format!(
            "a single record of {len} bytes exceeds the 1 MiB limit: check that records are separated by line breaks"
        ),
    )
}

pub(crate) fn parse_record(ctx: &Context<'_>, text: &str) -> Result<Option<Alert>, Text> {
    match &ctx.source.format {
        SourceFormat::Cef => cef::parse(ctx, text).map(Some),
        SourceFormat::Syslog5424 => syslog5424::parse(ctx, text).map(Some),
        SourceFormat::Syslog3164 => syslog3164::parse(ctx, text).map(Some),
        SourceFormat::Suricata
        | SourceFormat::Wazuh
        | SourceFormat::WazuhEcs
        | SourceFormat::GenericJson(_) => parse_json_record(ctx, text),
    }
}

fn parse_json_record(ctx: &Context<'_>, text: &str) -> Result<Option<Alert>, Text> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| invalid_json(&e))?;
    if !value.is_object() {
        return Err(Text::new(
            "記錄不是 JSON 物件：每行應為一個 {…} 事件",
            "the record is not a JSON object: each line should be one {…} event",
        ));
    }
    match &ctx.source.format {
        SourceFormat::Suricata => suricata::parse(ctx, &value, text),
        SourceFormat::Wazuh => wazuh::parse(ctx, &value, text),
        SourceFormat::WazuhEcs => wazuh_ecs::parse(ctx, &value, text),
        SourceFormat::GenericJson(mapping) => generic::parse(ctx, mapping, &value, text),
        SourceFormat::Cef | SourceFormat::Syslog5424 | SourceFormat::Syslog3164 => Ok(None),
    }
}

pub(crate) fn invalid_json(e: &serde_json::Error) -> Text {
    if e.is_eof() {
        Text::new(
            format!(
                "JSON 在第 {} 欄提前結束（記錄被截斷）：請重新匯出完整記錄",
                e.column()
            ),
            format!(
                "the JSON ends early at column {} (a truncated record): export the record again in full",
                e.column()
            ),
        )
    } else {
        Text::new(
            format!("不是有效的 JSON（第 {} 欄）：{e}", e.column()),
            format!("not valid JSON (column {}): {e}", e.column()),
        )
    }
}

pub(crate) fn missing(field: &str) -> Text {
    Text::new(
        format!("缺少必要欄位 {field}：請確認來源格式設定正確"),
        format!(
            "the required field {field} is missing: check that the source's format is configured correctly"
        ),
    )
}

pub(crate) fn bad_time(field: &str, value: &str) -> Text {
    Text::new(
        format!(
            "{field} 的時間「{value}」無法辨識：支援 RFC 3339、無冒號時區（+0800）、無時區（依來源時區）與 epoch 秒"
        ),
        format!(
            "the time \"{value}\" in {field} is not understood: RFC 3339, offsets without a colon (+0800), no offset (the source's zone) and epoch seconds are"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::source::{GenericMapping, SourceName};

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap()
    }

    fn all_formats() -> Vec<SourceConfig> {
        let mapping = GenericMapping {
            time: "ts".into(),
            ..GenericMapping::default()
        };
        [
            SourceFormat::Suricata,
            SourceFormat::Wazuh,
            SourceFormat::WazuhEcs,
            SourceFormat::Cef,
            SourceFormat::Syslog5424,
            SourceFormat::Syslog3164,
            SourceFormat::GenericJson(Box::new(mapping)),
        ]
        .into_iter()
        .map(|f| SourceConfig::new(SourceName::parse("src").unwrap(), f))
        .collect()
    }

    fn eve() -> SourceConfig {
        SourceConfig::new(SourceName::parse("eve").unwrap(), SourceFormat::Suricata)
    }

    const GOOD_EVE: &str = r#"{"timestamp":"2025-12-31T10:00:00.5+0800","flow_id":1,"event_type":"alert","src_ip":"203.0.113.1","dest_ip":"10.0.0.1","proto":"TCP","alert":{"signature_id":2001219,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak","severity":2}}"#;

    #[test]
    fn an_empty_or_blank_upload_is_zero_records_not_an_error() {
        for source in all_formats() {
            for input in [&b""[..], b"\n\n", b"  \r\n\t\n"] {
                let batch = parse_batch(&source, input, now());
                assert_eq!(batch.received, 0);
                assert!(batch.alerts.is_empty() && batch.rejected.is_empty());
            }
        }
    }

    #[test]
    fn binary_garbage_is_rejected_line_by_line_with_the_reason() {
        let mut input = GOOD_EVE.as_bytes().to_vec();
        input.extend_from_slice(b"\n\x00\xff\xfe\x89PNG\r\n\x1a\n");
        input.extend_from_slice(
            GOOD_EVE
                .replace("\"flow_id\":1", "\"flow_id\":2")
                .as_bytes(),
        );
        let batch = parse_batch(&eve(), &input, now());
        assert_eq!(batch.alerts.len(), 2);
        assert_eq!(batch.rejected.len(), 2, "{:?}", batch.rejected);
        assert_eq!(batch.rejected[0].line, 2);
        assert!(batch.rejected[0].reason.en.contains("not UTF-8"));
        assert!(batch.rejected[0].reason.zh.contains("UTF-8"));
        assert!(batch.reconciles());
    }

    #[test]
    fn truncated_and_invalid_json_lines_are_rejected_and_the_rest_kept() {
        let input = format!(
            "{GOOD_EVE}\n{}\n{{not json}}\n[1,2]\n\"just a string\"\n",
            &GOOD_EVE[..60]
        );
        let batch = parse_batch(&eve(), input.as_bytes(), now());
        assert_eq!(batch.alerts.len(), 1);
        let lines: Vec<u64> = batch.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 4, 5]);
        assert!(
            batch.rejected[0].reason.en.contains("truncated"),
            "{:?}",
            batch.rejected[0]
        );
        assert!(batch.rejected[1].reason.en.contains("not valid JSON"));
        // The file did not start with '[', so "[1,2]" is a line, and not an event.
        assert!(batch.rejected[2].reason.en.contains("not a JSON object"));
        assert!(batch.rejected[3].reason.en.contains("not a JSON object"));
        assert_eq!(batch.received, 5);
        assert!(batch.reconciles());
    }

    #[test]
    fn a_single_line_over_one_mebibyte_is_rejected_without_reading_it() {
        let huge = format!(
            "{}\n{GOOD_EVE}\n",
            GOOD_EVE.replace("Potential SSH Scan", &"A".repeat(MAX_RECORD_BYTES))
        );
        let batch = parse_batch(&eve(), huge.as_bytes(), now());
        assert_eq!(batch.alerts.len(), 1);
        assert_eq!(batch.rejected.len(), 1);
        assert_eq!(batch.rejected[0].line, 1);
        assert!(batch.rejected[0].reason.en.contains("1 MiB"));
        assert!(batch.rejected[0].raw.chars().count() <= REJECTED_RAW_CHARS + 1);
        // The same through a listener's single-line entry point.
        let err = parse_line(&eve(), huge.lines().next().unwrap().as_bytes(), now()).unwrap_err();
        assert!(err.en.contains("exceeds"));
    }

    #[test]
    fn unreadable_and_future_times_are_rejected_saying_what_to_check() {
        let unknown = GOOD_EVE.replace("2025-12-31T10:00:00.5+0800", "31/12/2025 10:00");
        let future = GOOD_EVE.replace("2025-12-31T10:00:00.5+0800", "2026-01-01T02:00:00Z");
        let near = GOOD_EVE.replace("2025-12-31T10:00:00.5+0800", "2026-01-01T00:30:00Z");
        let input = format!("{unknown}\n{future}\n{near}\n");
        let batch = parse_batch(&eve(), input.as_bytes(), now());
        assert_eq!(
            batch.alerts.len(),
            1,
            "half an hour of clock drift is tolerated"
        );
        assert!(batch.rejected[0].reason.en.contains("31/12/2025 10:00"));
        assert!(batch.rejected[0].reason.en.contains("not understood"));
        assert!(batch.rejected[1].reason.en.contains("clock"));
        assert!(batch.rejected[1].reason.zh.contains("時鐘"));
    }

    #[test]
    fn the_import_report_reconciles_when_some_alerts_were_already_stored() {
        let flow = r#"{"timestamp":"2025-12-31T10:00:00Z","event_type":"flow"}"#;
        let second = GOOD_EVE.replace("\"flow_id\":1", "\"flow_id\":2");
        let input = format!("{GOOD_EVE}\n{GOOD_EVE}\n{second}\n{flow}\n{{\n");
        let batch = parse_batch(&eve(), input.as_bytes(), now());
        assert_eq!(
            (
                batch.received,
                batch.alerts.len(),
                batch.duplicates,
                batch.rejected.len(),
                batch.skipped_other_events
            ),
            (5, 2, 1, 1, 1)
        );
        // Re-importing: the store already holds the first alert.
        let report = batch.import_report("suricata", "eve.json", 1);
        assert_eq!(
            (report.received, report.created, report.duplicates),
            (4, 1, 2)
        );
        assert_eq!(report.rejected[0].line, 5);
        assert!(report.reconciles());
    }

    #[test]
    fn a_listener_line_is_an_alert_a_skipped_event_or_a_reason() {
        assert!(
            parse_line(&eve(), GOOD_EVE.as_bytes(), now())
                .unwrap()
                .is_some()
        );
        let flow = br#"{"timestamp":"2025-12-31T10:00:00Z","event_type":"flow"}"#;
        assert!(parse_line(&eve(), flow, now()).unwrap().is_none());
        assert!(parse_line(&eve(), b"{", now()).is_err());
        let with_newline = format!("{GOOD_EVE}\r\n");
        assert!(
            parse_line(&eve(), with_newline.as_bytes(), now())
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn no_input_makes_a_parser_panic_cut_anywhere_or_scrambled() {
        let samples = [
            GOOD_EVE,
            r#"{"timestamp":"2024-03-15T14:23:45.123+0800","rule":{"level":10,"id":"5712","groups":["sshd"],"mitre":{"id":["T1110"]}},"agent":{"name":"a"},"data":{"srcip":"1.2.3.4","alert":{"signature_id":"1"}}}"#,
            r#"{"@timestamp":"2026-02-10T03:15:22Z","rule":{"id":"x","level":"high"},"source":{"ip":"1.2.3.4"},"threat":{"technique":{"id":["T1110"]}}}"#,
            r"<14>Apr  7 10:10:10 host CEF:0|V\|x|P|1|id|Na\\me|7|rt=1459517280810 src=10.0.0.1 msg=a\=b c",
            r#"<14>1 2014-06-20T09:14:08+00:00 h app p MSG [id@1 a="x\"y" b="z"][id@2 c="d"] text"#,
            "<167>Jan  5 08:52:35 10.22.8.216 %ASA-7-609001: Built local-host inside:10.22.8.205",
            r#"{"ts":"1700000000","x":[1,{"y":null}]}"#,
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for source in all_formats() {
            for sample in samples {
                let bytes = sample.as_bytes();
                for cut in 0..=bytes.len() {
                    let _ = parse_batch(&source, &bytes[..cut], now());
                    let _ = parse_line(&source, &bytes[cut..], now());
                }
                for _ in 0..200 {
                    let mut scrambled = bytes.to_vec();
                    for _ in 0..4 {
                        let at = (next() as usize) % scrambled.len();
                        scrambled[at] = (next() & 0xFF) as u8;
                    }
                    let batch = parse_batch(&source, &scrambled, now());
                    assert!(batch.reconciles());
                }
            }
            let noise: Vec<u8> = (0..4096).map(|_| (next() & 0xFF) as u8).collect();
            assert!(parse_batch(&source, &noise, now()).reconciles());
            let array_noise = [b"[".as_slice(), &noise].concat();
            assert!(parse_batch(&source, &array_noise, now()).reconciles());
        }
    }
}
