//! RFC 6587 framing of a syslog TCP stream: each message is either octet-counted
//! (`123 <34>1 …`) or ends at a line feed, decided afresh at the start of every message, as
//! senders mix them. A message over the listener's limit is refused with its reason and the
//! stream picks up again after it (the declared length, or the next line feed).

use civitas_core::text::Text;

/// Digits of an octet count; more than this is not a count but text starting with digits.
const MAX_COUNT_DIGITS: usize = 9;

/// What the framer took out of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A message without its framing (no count, no trailing CR LF).
    Message {
        line: u64,
        offset: u64,
        body: Vec<u8>,
    },
    /// A message refused before parsing, with why; `raw` is its beginning.
    Refused {
        line: u64,
        offset: u64,
        reason: Text,
        raw: Vec<u8>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a message.
    Start,
    /// Inside a message counted in octets, with this many still to come.
    Counted { remaining: usize },
    /// Skipping the rest of a counted message that was refused as too large.
    SkipCounted { remaining: u64 },
    /// Inside a message that ends at a line feed.
    Line,
    /// Skipping to the next line feed after a refused line.
    SkipLine,
}

/// The per-connection framer: push bytes as they arrive, take frames out.
#[derive(Debug)]
pub struct Framer {
    max_message: usize,
    buffer: Vec<u8>,
    state: State,
    /// The stream offset of `buffer[0]`.
    consumed: u64,
    /// The current message: its number on this connection (1-based) and its first byte.
    line: u64,
    offset: u64,
    /// How far into `buffer` a line has been searched for its feed.
    scanned: usize,
}

impl Framer {
    pub fn new(max_message: usize) -> Self {
        Framer {
            max_message: max_message.max(1),
            buffer: Vec::new(),
            state: State::Start,
            consumed: 0,
            line: 0,
            offset: 0,
            scanned: 0,
        }
    }

    /// Feed bytes read from the connection; frames complete so far are appended to `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Frame>) {
        self.buffer.extend_from_slice(bytes);
        let mut at = 0;
        while let Some(next) = self.step(at, out) {
            at = next;
        }
        self.buffer.drain(..at);
        self.consumed += at as u64;
        self.scanned = self.scanned.saturating_sub(at);
    }

    /// The connection ended: a last line without its feed is a message; a counted message
    /// cut short is refused.
    pub fn finish(&mut self, out: &mut Vec<Frame>) {
        let state = std::mem::replace(&mut self.state, State::Start);
        match state {
            State::Line => {
                let body = trim_line(&self.buffer).to_vec();
                if !body.is_empty() {
                    out.push(Frame::Message {
                        line: self.line,
                        offset: self.offset,
                        body,
                    });
                }
            }
            State::Counted { remaining } => {
                let raw = std::mem::take(&mut self.buffer);
                out.push(Frame::Refused {
                    line: self.line,
                    offset: self.offset,
                    reason: cut_short(self.offset, remaining),
                    raw,
                });
            }
            State::Start => {
                // Digits of a count and nothing after them, or blank space.
                let rest = trim_line(&self.buffer);
                if !rest.is_empty() {
                    self.line += 1;
                    out.push(Frame::Message {
                        line: self.line,
                        offset: self.consumed,
                        body: rest.to_vec(),
                    });
                }
            }
            State::SkipCounted { .. } | State::SkipLine => {}
        }
        self.buffer.clear();
    }

    /// One step from `at` in the buffer; `None` when more bytes are needed.
    fn step(&mut self, at: usize, out: &mut Vec<Frame>) -> Option<usize> {
        let rest = self.buffer.get(at..).unwrap_or_default();
        match self.state {
            State::Start => {
                // Blank space between messages belongs to none of them.
                let skip = rest
                    .iter()
                    .take_while(|b| matches!(b, b'\n' | b'\r' | b' ' | b'\t' | 0))
                    .count();
                if skip > 0 {
                    return Some(at + skip);
                }
                let first = *rest.first()?;
                let start = at;
                if first.is_ascii_digit() && first != b'0' {
                    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                    match rest.get(digits) {
                        None if digits <= MAX_COUNT_DIGITS => return None,
                        Some(b' ') if digits <= MAX_COUNT_DIGITS => {
                            let count: u64 = std::str::from_utf8(rest.get(..digits)?)
                                .ok()?
                                .parse()
                                .ok()?;
                            self.line += 1;
                            self.offset = self.consumed + start as u64;
                            let body_at = start + digits + 1;
                            if count > self.max_message as u64 {
                                out.push(Frame::Refused {
                                    line: self.line,
                                    offset: self.offset,
                                    reason: too_large(self.offset, count, self.max_message),
                                    raw: self
                                        .buffer
                                        .get(body_at..)
                                        .map(|r| r.get(..RAW_KEPT).unwrap_or(r).to_vec())
                                        .unwrap_or_default(),
                                });
                                self.state = State::SkipCounted { remaining: count };
                            } else {
                                self.state = State::Counted {
                                    remaining: count as usize,
                                };
                            }
                            return Some(body_at);
                        }
                        // Text that starts with digits: a line.
                        _ => {}
                    }
                }
                self.line += 1;
                self.offset = self.consumed + start as u64;
                self.state = State::Line;
                self.scanned = start;
                Some(start)
            }
            State::Counted { remaining } => {
                if rest.len() < remaining {
                    return None;
                }
                let body = rest.get(..remaining)?.to_vec();
                out.push(Frame::Message {
                    line: self.line,
                    offset: self.offset,
                    body,
                });
                self.state = State::Start;
                Some(at + remaining)
            }
            State::SkipCounted { remaining } => {
                let n = (rest.len() as u64).min(remaining);
                if n == remaining {
                    self.state = State::Start;
                } else {
                    self.state = State::SkipCounted {
                        remaining: remaining - n,
                    };
                }
                (n > 0 || remaining == 0).then_some(at + n as usize)
            }
            State::Line => {
                let from = self.scanned.max(at);
                let searched = self.buffer.get(from..).unwrap_or_default();
                match searched.iter().position(|b| *b == b'\n') {
                    Some(i) => {
                        let end = from + i;
                        let line = self.buffer.get(at..end).unwrap_or_default();
                        if line.len() > self.max_message {
                            out.push(Frame::Refused {
                                line: self.line,
                                offset: self.offset,
                                reason: too_large(self.offset, line.len() as u64, self.max_message),
                                raw: line.get(..RAW_KEPT).unwrap_or(line).to_vec(),
                            });
                        } else {
                            out.push(Frame::Message {
                                line: self.line,
                                offset: self.offset,
                                body: trim_line(line).to_vec(),
                            });
                        }
                        self.state = State::Start;
                        Some(end + 1)
                    }
                    None => {
                        let len = self.buffer.len() - at;
                        if len > self.max_message {
                            // Refuse now rather than hold an endless line in memory.
                            let line = self.buffer.get(at..).unwrap_or_default();
                            out.push(Frame::Refused {
                                line: self.line,
                                offset: self.offset,
                                reason: too_large_unterminated(self.offset, self.max_message),
                                raw: line.get(..RAW_KEPT).unwrap_or(line).to_vec(),
                            });
                            self.state = State::SkipLine;
                            return Some(self.buffer.len());
                        }
                        self.scanned = self.buffer.len();
                        None
                    }
                }
            }
            State::SkipLine => match rest.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    self.state = State::Start;
                    Some(at + i + 1)
                }
                None => (!rest.is_empty()).then_some(self.buffer.len()),
            },
        }
    }
}

/// How much of a refused message is kept to show.
pub const RAW_KEPT: usize = 500;

/// A message without the CR LF (or NUL) some senders end it with.
pub fn trim_line(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b'\n' | b'\r' | 0))
        .map_or(0, |i| i + 1);
    bytes.get(..end).unwrap_or_default()
}

pub fn too_large(offset: u64, len: u64, max: usize) -> Text {
    Text::new(
        format!(
            "位元組位置 {offset} 的訊息長 {len} 位元組，超過此接收器上限 {max} 位元組：請檢查來源的訊息長度設定（max_message_bytes）"
        ),
        format!(
            "the message at byte offset {offset} is {len} bytes, over this listener's limit of {max} bytes: check the sender's message size (or max_message_bytes)"
        ),
    )
}

pub fn datagram_too_large(len: usize, max: usize) -> Text {
    Text::new(
        format!(
            "UDP 訊息長 {len} 位元組，超過此接收器上限 {max} 位元組：請檢查來源的訊息長度設定（max_message_bytes）"
        ),
        format!(
            "the datagram is {len} bytes, over this listener's limit of {max} bytes: check the sender's message size (or max_message_bytes)"
        ),
    )
}

fn too_large_unterminated(offset: u64, max: usize) -> Text {
    Text::new(
        format!(
            "位元組位置 {offset} 起的訊息超過 {max} 位元組仍未換行：已略過至下一個換行；請確認來源以換行或長度前綴分隔訊息"
        ),
        format!(
            "the message at byte offset {offset} runs past {max} bytes without a line feed: skipped to the next line feed; check that the sender ends messages with a line feed or an octet count"
        ),
    )
}

fn cut_short(offset: u64, missing: usize) -> Text {
    Text::new(
        format!("位元組位置 {offset} 的訊息少了 {missing} 位元組連線就結束了（訊息被截斷）"),
        format!(
            "the connection closed {missing} bytes short of the message at byte offset {offset} (a truncated message)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(max: usize, chunks: &[&[u8]]) -> Vec<Frame> {
        let mut framer = Framer::new(max);
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(chunk, &mut out);
        }
        framer.finish(&mut out);
        out
    }

    fn bodies(frames: &[Frame]) -> Vec<String> {
        frames
            .iter()
            .map(|f| match f {
                Frame::Message { body, .. } => String::from_utf8_lossy(body).to_string(),
                Frame::Refused { line, .. } => format!("refused #{line}"),
            })
            .collect()
    }

    #[test]
    fn octet_counting_and_line_feeds_are_told_apart_message_by_message() {
        let stream = b"10 <14>1 a\nbc<14>1 line one\r\n9 <14>1 xyz<14>1 line two\n";
        let out = frames(1024, &[stream]);
        assert_eq!(
            bodies(&out),
            [
                "<14>1 a\nbc",
                "<14>1 line one",
                "<14>1 xyz",
                "<14>1 line two"
            ]
        );
        let lines: Vec<(u64, u64)> = out
            .iter()
            .map(|f| match f {
                Frame::Message { line, offset, .. } | Frame::Refused { line, offset, .. } => {
                    (*line, *offset)
                }
            })
            .collect();
        assert_eq!(lines, [(1, 0), (2, 13), (3, 29), (4, 40)]);
    }

    #[test]
    fn a_stream_cut_anywhere_gives_the_same_messages() {
        let stream: &[u8] =
            b"13 <14>1 counted<34>Oct 11 22:14:15 mymachine su: line\n2024-01-01 is not a count\nCEF:0|a|b|1|x|y|5|src=1.2.3.4\n";
        let whole = bodies(&frames(1024, &[stream]));
        assert_eq!(whole.len(), 4, "{whole:?}");
        assert_eq!(whole[2], "2024-01-01 is not a count");
        for cut in 0..stream.len() {
            let (a, b) = stream.split_at(cut);
            assert_eq!(bodies(&frames(1024, &[a, b])), whole, "cut at {cut}");
        }
        let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(bodies(&frames(1024, &bytewise)), whole);
    }

    #[test]
    fn an_oversized_line_is_refused_and_the_next_line_still_arrives() {
        let long = vec![b'A'; 5000];
        let out = frames(
            100,
            &[
                b"<14>1 before\n",
                &long[..2000],
                &long[2000..],
                b"\n<14>1 after\n",
            ],
        );
        assert_eq!(bodies(&out), ["<14>1 before", "refused #2", "<14>1 after"]);
        let Frame::Refused { reason, raw, .. } = &out[1] else {
            panic!()
        };
        assert!(
            reason.en.contains("over this listener's limit") || reason.en.contains("runs past")
        );
        assert!(reason.zh.contains("100"));
        assert!(raw.len() <= RAW_KEPT);
    }

    #[test]
    fn an_oversized_counted_message_is_skipped_by_its_count() {
        let body = vec![b'x'; 300];
        let mut stream = b"300 ".to_vec();
        stream.extend_from_slice(&body);
        stream.extend_from_slice(b"8 <14>1 ok");
        let out = frames(100, &[&stream[..50], &stream[50..]]);
        assert_eq!(bodies(&out), ["refused #1", "<14>1 ok"]);
        let Frame::Refused { reason, .. } = &out[0] else {
            panic!()
        };
        assert!(reason.en.contains("300 bytes"), "{reason:?}");
    }

    #[test]
    fn a_counted_message_cut_short_by_the_close_is_refused_and_a_last_line_is_kept() {
        let out = frames(1024, &[b"20 <14>1 short"]);
        assert_eq!(bodies(&out), ["refused #1"]);
        let out = frames(1024, &[b"<14>1 no feed at the end"]);
        assert_eq!(bodies(&out), ["<14>1 no feed at the end"]);
        let out = frames(1024, &[b"\r\n\n  \n"]);
        assert!(out.is_empty());
    }
}
