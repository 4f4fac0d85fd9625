//! JSON-array files (`[ {…}, {…} ]`, as the Suricata sample exports are): each element is taken
//! verbatim with the line it starts on; an array cut short keeps every element read before the cut.

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{Context, MAX_RECORD_BYTES, ParsedBatch, invalid_json, parse_record, too_large};
use crate::text::Text;

pub(super) fn parse(
    ctx: &Context<'_>,
    body: &[u8],
    batch: &mut ParsedBatch,
    seen: &mut HashSet<[u8; 32]>,
) {
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) => {
            let line = line_of(body, e.valid_up_to());
            batch.reject(
                line,
                Text::new(
                    "檔案含有非 UTF-8 的位元組（二進位資料或編碼錯誤）：JSON 陣列檔無法逐筆讀取",
                    "the file holds bytes that are not UTF-8 (binary data or a wrong encoding): a JSON array file cannot be read record by record",
                ),
                "",
            );
            return;
        }
    };
    let mut elements: Vec<&RawValue> = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    let outcome = Collect { out: &mut elements }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    let mut counter = LineCounter::new(text);
    for raw in elements {
        let record = raw.get();
        let offset = (record.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let line = counter.line_at(offset);
        if record.len() > MAX_RECORD_BYTES {
            batch.reject(line, too_large(record.len()), record);
            continue;
        }
        let parsed = parse_record(ctx, record);
        batch.take(line, parsed, record, seen);
    }
    if let Err(e) = outcome {
        batch.reject(e.line() as u64, invalid_json(&e), "");
    }
}

fn line_of(body: &[u8], offset: usize) -> u64 {
    body.get(..offset)
        .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count()) as u64
        + 1
}

/// Counts line breaks once, front to back, as elements come in order.
struct LineCounter<'t> {
    text: &'t str,
    offset: usize,
    line: u64,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t str) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: usize) -> u64 {
        if offset >= self.offset {
            let breaks = self
                .text
                .get(self.offset..offset)
                .map_or(0, |s| s.bytes().filter(|b| *b == b'\n').count());
            self.line += breaks as u64;
            self.offset = offset;
        }
        self.line
    }
}

/// Pushes each element as it is read, so that a later syntax error loses nothing before it.
struct Collect<'a, 'de> {
    out: &'a mut Vec<&'de RawValue>,
}

impl<'de> DeserializeSeed<'de> for Collect<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Collect<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            self.out.push(raw);
        }
        Ok(())
    }
}
