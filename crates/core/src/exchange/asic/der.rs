//! A minimal DER reader: enough to walk X.509 certificates, OCSP responses and RFC 3161
//! time-stamp tokens. It keeps every element's raw bytes, because signatures cover raw DER
//! (`tbsCertificate`, `tbsResponseData`, CMS signed attributes). Definite lengths only, as DER
//! requires; single-byte tags only, which is all these structures use.

use time::{Date, Month, OffsetDateTime, Time};

pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const ENUMERATED: u8 = 0x0a;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const BOOLEAN: u8 = 0x01;

/// Context-specific constructed tag `[n]`.
pub const fn ctx(n: u8) -> u8 {
    0xa0 | n
}

/// Context-specific primitive tag `[n]` (IMPLICIT on a primitive type).
pub const fn ctx_prim(n: u8) -> u8 {
    0x80 | n
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerError(pub String);

impl std::fmt::Display for DerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DER: {}", self.0)
    }
}

pub type DerResult<T> = Result<T, DerError>;

fn err<T>(msg: impl Into<String>) -> DerResult<T> {
    Err(DerError(msg.into()))
}

/// One element: its tag, its content and its whole encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Parse exactly one element filling `data`.
    pub fn parse(data: &'a [u8]) -> DerResult<Self> {
        let mut r = Reader::new(data);
        let tlv = r.next()?;
        if !r.is_empty() {
            return err("trailing bytes after the element");
        }
        Ok(tlv)
    }

    pub fn expect(self, tag: u8) -> DerResult<Self> {
        if self.tag == tag {
            Ok(self)
        } else {
            err(format!("expected tag {tag:#04x}, found {:#04x}", self.tag))
        }
    }

    /// A reader over the children of a constructed element.
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.content)
    }

    /// The value of a BIT STRING with no unused bits.
    pub fn bit_string(&self) -> DerResult<&'a [u8]> {
        self.expect(BIT_STRING)?;
        match self.content.split_first() {
            Some((0, bits)) => Ok(bits),
            _ => err("BIT STRING with unused bits"),
        }
    }

    pub fn time(&self) -> DerResult<OffsetDateTime> {
        parse_time(self.tag, self.content)
    }
}

/// Walks the elements of one level, in order.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> DerResult<Tlv<'a>> {
        let data = self.data;
        let (&tag, rest) = data
            .split_first()
            .ok_or(DerError("unexpected end".into()))?;
        if tag & 0x1f == 0x1f {
            return err("multi-byte tags are not supported");
        }
        let (&first, rest) = rest
            .split_first()
            .ok_or(DerError("missing length".into()))?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 {
                return err("indefinite length is not DER");
            }
            if n > 4 {
                return err("length too large");
            }
            let bytes = rest.get(..n).ok_or(DerError("truncated length".into()))?;
            let len = bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
            (len, rest.get(n..).unwrap_or_default())
        };
        let content = rest
            .get(..len)
            .ok_or(DerError("truncated content".into()))?;
        let header = data.len() - rest.len();
        let raw = data
            .get(..header + len)
            .ok_or(DerError("truncated element".into()))?;
        self.data = rest.get(len..).unwrap_or_default();
        Ok(Tlv { tag, content, raw })
    }

    pub fn next_tag(&mut self, tag: u8) -> DerResult<Tlv<'a>> {
        self.next()?.expect(tag)
    }

    /// The next element if it has `tag`, else nothing (for OPTIONAL fields).
    pub fn optional(&mut self, tag: u8) -> DerResult<Option<Tlv<'a>>> {
        if self.peek_tag() == Some(tag) {
            self.next().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`: the OID.
pub fn algorithm_oid<'a>(alg: &Tlv<'a>) -> DerResult<&'a [u8]> {
    Ok(alg.expect(SEQUENCE)?.reader().next_tag(OID)?.content)
}

fn digits(s: &[u8]) -> DerResult<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return err("bad digits in a time");
    }
    Ok(s.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSS[.fff]Z`).
pub fn parse_time(tag: u8, s: &[u8]) -> DerResult<OffsetDateTime> {
    let (year, rest) = match tag {
        UTC_TIME => {
            let yy = digits(s.get(..2).unwrap_or_default())?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..))
        }
        GENERALIZED_TIME => (digits(s.get(..4).unwrap_or_default())?, s.get(4..)),
        _ => return err("not a time"),
    };
    let rest = rest.unwrap_or_default();
    let field = |i: usize| digits(rest.get(i..i + 2).unwrap_or_default());
    let (month, day, hour, minute, second) =
        (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    let tail = rest.get(10..).unwrap_or_default();
    let (nanos, tail) = match tail.split_first() {
        Some((b'.', frac)) => {
            let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
            let digits_part = frac.get(..n).unwrap_or_default();
            let mut nanos = 0u32;
            for (i, d) in digits_part.iter().take(9).enumerate() {
                nanos += u32::from(d - b'0') * 10u32.pow(8 - i as u32);
            }
            (nanos, frac.get(n..).unwrap_or_default())
        }
        _ => (0, tail),
    };
    if tail != b"Z" {
        return err("time is not in UTC ('Z')");
    }
    let month = Month::try_from(month as u8).map_err(|e| DerError(e.to_string()))?;
    let date = Date::from_calendar_date(year as i32, month, day as u8)
        .map_err(|e| DerError(e.to_string()))?;
    let time = Time::from_hms_nano(hour as u8, minute as u8, second as u8, nanos)
        .map_err(|e| DerError(e.to_string()))?;
    Ok(date.with_time(time).assume_utc())
}

/// Encode a length the DER way (for building hash-chain digest lists).
pub fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

/// The decimal form of a non-negative DER INTEGER's content (for XAdES `X509SerialNumber`).
pub fn integer_to_decimal(content: &[u8]) -> String {
    let mut n: Vec<u8> = content.iter().copied().skip_while(|b| *b == 0).collect();
    if n.is_empty() {
        return "0".into();
    }
    let mut out = Vec::new();
    while !n.is_empty() {
        let mut rem = 0u32;
        for b in n.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        out.push(b'0' + rem as u8);
        let lead = n.iter().take_while(|b| **b == 0).count();
        n.drain(..lead);
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Well-known object identifiers (content bytes).
pub mod oid {
    pub const SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
    pub const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    pub const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
    pub const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
    pub const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    pub const SHA1_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
    pub const SHA256_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    pub const SHA384_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
    pub const SHA512_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
    pub const SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    pub const TST_INFO: &[u8] = &[
        0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04,
    ];
    pub const MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
    pub const CONTENT_TYPE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
    pub const OCSP_BASIC: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01];
    pub const EKU_OCSP_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09];
    pub const EKU_TIME_STAMPING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];
    pub const EXT_EXTENDED_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
    pub const EXT_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_nesting_and_raw_bytes_are_kept() {
        let inner = encode(OCTET_STRING, &[7u8; 300]);
        let seq = encode(SEQUENCE, &[encode(INTEGER, &[5]), inner.clone()].concat());
        let tlv = Tlv::parse(&seq).unwrap().expect(SEQUENCE).unwrap();
        let mut r = tlv.reader();
        assert_eq!(r.next_tag(INTEGER).unwrap().content, &[5]);
        let o = r.next().unwrap();
        assert_eq!(o.raw, inner.as_slice());
        assert_eq!(o.content.len(), 300);
        assert!(r.is_empty());
        assert!(r.next().is_err());
        assert!(Tlv::parse(&seq[..seq.len() - 1]).is_err());
        assert!(Tlv::parse(&[0x30, 0x80, 0, 0]).is_err());
    }

    #[test]
    fn times_and_serial_numbers_decode() {
        let t = parse_time(GENERALIZED_TIME, b"20241205131635Z").unwrap();
        assert_eq!(t.to_string(), "2024-12-05 13:16:35.0 +00:00:00");
        let f = parse_time(GENERALIZED_TIME, b"20241205131635.25Z").unwrap();
        assert_eq!(f.nanosecond(), 250_000_000);
        let u = parse_time(UTC_TIME, b"440501095054Z").unwrap();
        assert_eq!(u.year(), 2044);
        assert!(parse_time(UTC_TIME, b"440501095054+0200").is_err());
        assert_eq!(integer_to_decimal(&[0x12]), "18");
        assert_eq!(
            integer_to_decimal(&[0x5b, 0xdf, 0x50, 0xe5, 0x55, 0x25, 0xa2, 0xab]),
            "6620098923164181163"
        );
        assert_eq!(integer_to_decimal(&[0x00, 0x80]), "128");
    }
}
