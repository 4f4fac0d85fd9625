//! X-Road identifiers: clients (member or subsystem), services and security servers, in the
//! path form of PR-REST (`INSTANCE/CLASS/MEMBER[/SUBSYSTEM]`, each segment percent-encoded on
//! its own), the prefixed form of PR-MESS (`SUBSYSTEM:EE/BUSINESS/123/sub`) and the XML form of
//! the `http://x-road.eu/xsd/identifiers` schema.
//!
//! Character rules (research notes §2.2): PR-REST 1.0.3 allows only `A–Z a–z 0–9 '()+,-.=?`.
//! New registrations are held to that ([`CharRule::Strict`]); incoming traffic is only warned
//! about ([`CharRule::Lenient`]), as the reference proxy does, because older instances hold ids
//! such as `FI_TEST`.

use std::fmt;

use crate::error::DomainError;
use crate::text::Text;

/// Namespace of the identifier elements and of the `objectType` attribute.
pub const IDENTIFIERS_NS: &str = "http://x-road.eu/xsd/identifiers";

/// Which character rule applies to an identifier part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharRule {
    /// Registration: every character must be in the PR-REST 1.0.3 set.
    Strict,
    /// Incoming traffic: accept, but report what breaks the rule.
    Lenient,
}

/// The `objectType` of an identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectType {
    Member,
    Subsystem,
    Service,
    Server,
    GlobalGroup,
    LocalGroup,
}

impl ObjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Member => "MEMBER",
            ObjectType::Subsystem => "SUBSYSTEM",
            ObjectType::Service => "SERVICE",
            ObjectType::Server => "SERVER",
            ObjectType::GlobalGroup => "GLOBALGROUP",
            ObjectType::LocalGroup => "LOCALGROUP",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "MEMBER" => ObjectType::Member,
            "SUBSYSTEM" => ObjectType::Subsystem,
            "SERVICE" => ObjectType::Service,
            "SERVER" => ObjectType::Server,
            "GLOBALGROUP" => ObjectType::GlobalGroup,
            "LOCALGROUP" => ObjectType::LocalGroup,
            _ => return None,
        })
    }
}

/// Why an identifier was refused. Each has a stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    /// Not the number of `/`-separated parts the identifier kind needs.
    SegmentCount {
        kind: &'static str,
        expected: &'static str,
        found: usize,
    },
    /// A part is empty.
    EmptySegment { field: &'static str },
    /// `%` not followed by two hex digits, or the bytes are not UTF-8.
    BadPercentEncoding { field: &'static str },
    /// A character outside the allowed set (strict rule).
    ForbiddenCharacter { field: &'static str, ch: char },
    /// The prefixed or XML form names an object type this kind cannot have.
    WrongObjectType { kind: &'static str, found: String },
    /// The XML form is missing an element or is not well formed.
    Xml(String),
}

impl IdError {
    pub fn code(&self) -> &'static str {
        match self {
            IdError::SegmentCount { .. } => "xroad_id_segment_count",
            IdError::EmptySegment { .. } => "xroad_id_empty_segment",
            IdError::BadPercentEncoding { .. } => "xroad_id_bad_percent_encoding",
            IdError::ForbiddenCharacter { .. } => "xroad_id_forbidden_character",
            IdError::WrongObjectType { .. } => "xroad_id_wrong_object_type",
            IdError::Xml(_) => "xroad_id_xml",
        }
    }

    pub fn text(&self) -> Text {
        match self {
            IdError::SegmentCount {
                kind,
                expected,
                found,
            } => Text::new(
                format!("{kind} 識別碼需要 {expected} 段，實際為 {found} 段"),
                format!(
                    "a {kind} identifier needs {expected} parts separated by '/', found {found}"
                ),
            ),
            IdError::EmptySegment { field } => Text::new(
                format!("識別碼的 {field} 不可為空白"),
                format!("the {field} of the identifier is empty"),
            ),
            IdError::BadPercentEncoding { field } => Text::new(
                format!(
                    "識別碼的 {field} 百分比編碼錯誤（% 後須接兩位十六進位數字，且須為 UTF-8）"
                ),
                format!(
                    "the {field} of the identifier is badly percent-encoded ('%' needs two hex digits and the bytes must be UTF-8)"
                ),
            ),
            IdError::ForbiddenCharacter { field, ch } => Text::new(
                format!(
                    "識別碼的 {field} 含不允許的字元 {ch:?}；只能使用 A–Z a–z 0–9 及 '()+,-.=?"
                ),
                format!(
                    "the {field} of the identifier holds {ch:?}; only A–Z a–z 0–9 and '()+,-.=? are allowed"
                ),
            ),
            IdError::WrongObjectType { kind, found } => Text::new(
                format!("物件類型 {found} 不是 {kind} 識別碼"),
                format!("object type {found} is not a {kind} identifier"),
            ),
            IdError::Xml(why) => Text::new(
                format!("識別碼 XML 無法解讀：{why}"),
                format!("the identifier XML cannot be read: {why}"),
            ),
        }
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text().en)
    }
}

impl std::error::Error for IdError {}

impl From<IdError> for DomainError {
    fn from(e: IdError) -> Self {
        DomainError::invalid("xroad_id", e.text())
    }
}

/// A part of an incoming identifier that breaks the 2023 character rule (lenient mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdWarning {
    pub field: &'static str,
    pub value: String,
    /// True when the reference proxy itself calls the character illegal (controls,
    /// `% : ; / \`, zero-width space, BOM): worth a louder log line.
    pub illegal: bool,
}

impl IdWarning {
    pub fn text(&self) -> Text {
        Text::new(
            format!(
                "識別碼的 {} 「{}」含 X-Road 規則外的字元",
                self.field, self.value
            ),
            format!(
                "the {} '{}' of the identifier holds characters outside the X-Road rule",
                self.field, self.value
            ),
        )
    }
}

/// Characters allowed by PR-REST 1.0.3 §4.8.
pub fn is_allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "'()+,-.=?".contains(c)
}

/// Characters the reference proxy's `checkIdentifier` names as illegal.
fn is_illegal_char(c: char) -> bool {
    c.is_control() || "%:;/\\\u{200B}\u{FEFF}".contains(c)
}

/// Check one identifier part against `rule`; lenient mode records warnings instead of failing.
fn check_part(
    field: &'static str,
    value: &str,
    rule: CharRule,
    warnings: &mut Vec<IdWarning>,
) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::EmptySegment { field });
    }
    match rule {
        CharRule::Strict => match value.chars().find(|c| !is_allowed_char(*c)) {
            Some(ch) => Err(IdError::ForbiddenCharacter { field, ch }),
            None => Ok(()),
        },
        CharRule::Lenient => {
            if !value.chars().all(is_allowed_char) {
                warnings.push(IdWarning {
                    field,
                    value: value.to_string(),
                    illegal: value.chars().any(is_illegal_char),
                });
            }
            Ok(())
        }
    }
}

/// Percent-encode one path segment the way the reference implementation does (Guava's
/// `urlPathSegmentEscaper`): unreserved characters, sub-delimiters, `:` and `@` stay, every
/// other byte of the UTF-8 form becomes `%XX`. So `BAR/SERVICE` becomes `BAR%2FSERVICE`.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decode one percent-encoded segment; the result must be UTF-8.
pub fn decode_segment(field: &'static str, s: &str) -> Result<String, IdError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(IdError::BadPercentEncoding { field })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| IdError::BadPercentEncoding { field })
}

/// A value and the warnings that lenient parsing found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked<T> {
    pub id: T,
    pub warnings: Vec<IdWarning>,
}

/// A member, or a subsystem of a member: who calls, or who owns a service.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId {
    pub instance: String,
    pub member_class: String,
    pub member_code: String,
    pub subsystem: Option<String>,
}

impl ClientId {
    /// Build and check a client id from decoded parts.
    pub fn new(
        instance: &str,
        member_class: &str,
        member_code: &str,
        subsystem: Option<&str>,
        rule: CharRule,
    ) -> Result<Checked<Self>, IdError> {
        let mut warnings = Vec::new();
        check_part("instance", instance, rule, &mut warnings)?;
        check_part("member class", member_class, rule, &mut warnings)?;
        check_part("member code", member_code, rule, &mut warnings)?;
        if let Some(s) = subsystem {
            check_part("subsystem code", s, rule, &mut warnings)?;
        }
        Ok(Checked {
            id: ClientId {
                instance: instance.to_string(),
                member_class: member_class.to_string(),
                member_code: member_code.to_string(),
                subsystem: subsystem.map(str::to_string),
            },
            warnings,
        })
    }

    pub fn object_type(&self) -> ObjectType {
        if self.subsystem.is_some() {
            ObjectType::Subsystem
        } else {
            ObjectType::Member
        }
    }

    /// The member this client belongs to (itself when it is a member).
    pub fn member(&self) -> ClientId {
        ClientId {
            subsystem: None,
            ..self.clone()
        }
    }

    /// Parse the `X-Road-Client` form: 3 or 4 percent-encoded segments.
    pub fn parse_path(s: &str, rule: CharRule) -> Result<Checked<Self>, IdError> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [i, c, m] => Self::new(
                &decode_segment("instance", i)?,
                &decode_segment("member class", c)?,
                &decode_segment("member code", m)?,
                None,
                rule,
            ),
            [i, c, m, sub] => Self::new(
                &decode_segment("instance", i)?,
                &decode_segment("member class", c)?,
                &decode_segment("member code", m)?,
                Some(&decode_segment("subsystem code", sub)?),
                rule,
            ),
            _ => Err(IdError::SegmentCount {
                kind: "client",
                expected: "3–4",
                found: parts.len(),
            }),
        }
    }

    /// The `X-Road-Client` header form, each segment percent-encoded.
    pub fn to_path(&self) -> String {
        let mut out = format!(
            "{}/{}/{}",
            encode_segment(&self.instance),
            encode_segment(&self.member_class),
            encode_segment(&self.member_code)
        );
        if let Some(s) = &self.subsystem {
            out.push('/');
            out.push_str(&encode_segment(s));
        }
        out
    }

    /// Parse the prefixed form `MEMBER:EE/BUSINESS/123` or `SUBSYSTEM:EE/BUSINESS/123/sub`.
    pub fn parse_prefixed(s: &str, rule: CharRule) -> Result<Checked<Self>, IdError> {
        let (kind, rest) = split_prefix(s)?;
        let parts: Vec<&str> = rest.split('/').collect();
        match (kind, parts.as_slice()) {
            (ObjectType::Member, [i, c, m]) => Self::new(i, c, m, None, rule),
            (ObjectType::Subsystem, [i, c, m, sub]) => Self::new(i, c, m, Some(sub), rule),
            (ObjectType::Member | ObjectType::Subsystem, _) => Err(IdError::SegmentCount {
                kind: "client",
                expected: if kind == ObjectType::Member { "3" } else { "4" },
                found: parts.len(),
            }),
            (other, _) => Err(IdError::WrongObjectType {
                kind: "client",
                found: other.as_str().to_string(),
            }),
        }
    }

    /// The XML form, e.g. as `<xroad:client>` (element name and prefixes are the caller's:
    /// `tag` is the outer element, the `id` prefix is bound to [`IDENTIFIERS_NS`]).
    pub fn to_xml(&self, tag: &str) -> String {
        let mut out = format!(
            "<{tag} id:objectType=\"{}\"><id:xRoadInstance>{}</id:xRoadInstance><id:memberClass>{}</id:memberClass><id:memberCode>{}</id:memberCode>",
            self.object_type().as_str(),
            xml_escape(&self.instance),
            xml_escape(&self.member_class),
            xml_escape(&self.member_code)
        );
        if let Some(s) = &self.subsystem {
            out.push_str(&format!(
                "<id:subsystemCode>{}</id:subsystemCode>",
                xml_escape(s)
            ));
        }
        out.push_str(&format!("</{tag}>"));
        out
    }

    /// Read the XML form (any element carrying `objectType` MEMBER or SUBSYSTEM and the
    /// identifier children, whatever their prefixes).
    pub fn from_xml(xml: &str, rule: CharRule) -> Result<Checked<Self>, IdError> {
        let f = XmlIdFields::read(xml)?;
        match f.object_type {
            ObjectType::Member if f.subsystem.is_none() => {}
            ObjectType::Subsystem if f.subsystem.is_some() => {}
            ObjectType::Member | ObjectType::Subsystem => {
                return Err(IdError::Xml(
                    "subsystemCode does not match objectType".into(),
                ));
            }
            other => {
                return Err(IdError::WrongObjectType {
                    kind: "client",
                    found: other.as_str().to_string(),
                });
            }
        }
        Self::new(
            f.need("xRoadInstance", &f.instance)?,
            f.need("memberClass", &f.member_class)?,
            f.need("memberCode", &f.member_code)?,
            f.subsystem.as_deref(),
            rule,
        )
    }
}

/// `SUBSYSTEM:EE/BUSINESS/123456789/highsecurity`: the readable form used in logs.
impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}/{}/{}",
            self.object_type().as_str(),
            self.instance,
            self.member_class,
            self.member_code
        )?;
        if let Some(s) = &self.subsystem {
            write!(f, "/{s}")?;
        }
        Ok(())
    }
}

/// A service: its owner (a subsystem for REST, a member or subsystem for SOAP), its code and
/// an optional version (SOAP only; REST service ids have exactly five parts).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceId {
    pub owner: ClientId,
    pub service_code: String,
    pub version: Option<String>,
}

impl ServiceId {
    /// Parse the five percent-encoded segments of a `/r1/` service id,
    /// `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`. The spec calls the subsystem optional but the
    /// reference implementation needs all five (`RestRequest.decodeIdentifiers`), and so do we.
    pub fn parse_rest_segments(
        segments: &[&str],
        rule: CharRule,
    ) -> Result<Checked<Self>, IdError> {
        let [i, c, m, sub, svc] = segments else {
            return Err(IdError::SegmentCount {
                kind: "service",
                expected: "5",
                found: segments.len(),
            });
        };
        let owner = ClientId::new(
            &decode_segment("instance", i)?,
            &decode_segment("member class", c)?,
            &decode_segment("member code", m)?,
            Some(&decode_segment("subsystem code", sub)?),
            rule,
        )?;
        let mut warnings = owner.warnings;
        let code = decode_segment("service code", svc)?;
        check_part("service code", &code, rule, &mut warnings)?;
        Ok(Checked {
            id: ServiceId {
                owner: owner.id,
                service_code: code,
                version: None,
            },
            warnings,
        })
    }

    /// Parse `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE` (the `X-Road-Service` header form).
    pub fn parse_path(s: &str, rule: CharRule) -> Result<Checked<Self>, IdError> {
        let parts: Vec<&str> = s.split('/').collect();
        Self::parse_rest_segments(&parts, rule)
    }

    /// The `X-Road-Service` / `/r1/{serviceId}` form, each segment percent-encoded. Only
    /// subsystem-owned services without a version have this form.
    pub fn to_path(&self) -> Option<String> {
        if self.owner.subsystem.is_none() || self.version.is_some() {
            return None;
        }
        Some(format!(
            "{}/{}",
            self.owner.to_path(),
            encode_segment(&self.service_code)
        ))
    }

    /// Parse `SERVICE:EE/BUSINESS/123/sub/getData[/v1]` (PR-MESS §1.3 readable form). Like the
    /// reference `toString`, six parts mean subsystem + version; five mean a subsystem owner.
    pub fn parse_prefixed(s: &str, rule: CharRule) -> Result<Checked<Self>, IdError> {
        let (kind, rest) = split_prefix(s)?;
        if kind != ObjectType::Service {
            return Err(IdError::WrongObjectType {
                kind: "service",
                found: kind.as_str().to_string(),
            });
        }
        let parts: Vec<&str> = rest.split('/').collect();
        let (owner, code, version) = match parts.as_slice() {
            [i, c, m, sub, svc] => (ClientId::new(i, c, m, Some(sub), rule)?, *svc, None),
            [i, c, m, sub, svc, v] => (ClientId::new(i, c, m, Some(sub), rule)?, *svc, Some(*v)),
            _ => {
                return Err(IdError::SegmentCount {
                    kind: "service",
                    expected: "5–6",
                    found: parts.len(),
                });
            }
        };
        Self::with_owner(owner, code, version, rule)
    }

    fn with_owner(
        owner: Checked<ClientId>,
        code: &str,
        version: Option<&str>,
        rule: CharRule,
    ) -> Result<Checked<Self>, IdError> {
        let mut warnings = owner.warnings;
        check_part("service code", code, rule, &mut warnings)?;
        if let Some(v) = version {
            check_part("service version", v, rule, &mut warnings)?;
        }
        Ok(Checked {
            id: ServiceId {
                owner: owner.id,
                service_code: code.to_string(),
                version: version.map(str::to_string),
            },
            warnings,
        })
    }

    pub fn to_xml(&self, tag: &str) -> String {
        let mut out = format!(
            "<{tag} id:objectType=\"SERVICE\"><id:xRoadInstance>{}</id:xRoadInstance><id:memberClass>{}</id:memberClass><id:memberCode>{}</id:memberCode>",
            xml_escape(&self.owner.instance),
            xml_escape(&self.owner.member_class),
            xml_escape(&self.owner.member_code)
        );
        if let Some(s) = &self.owner.subsystem {
            out.push_str(&format!(
                "<id:subsystemCode>{}</id:subsystemCode>",
                xml_escape(s)
            ));
        }
        out.push_str(&format!(
            "<id:serviceCode>{}</id:serviceCode>",
            xml_escape(&self.service_code)
        ));
        if let Some(v) = &self.version {
            out.push_str(&format!(
                "<id:serviceVersion>{}</id:serviceVersion>",
                xml_escape(v)
            ));
        }
        out.push_str(&format!("</{tag}>"));
        out
    }

    pub fn from_xml(xml: &str, rule: CharRule) -> Result<Checked<Self>, IdError> {
        let f = XmlIdFields::read(xml)?;
        if f.object_type != ObjectType::Service {
            return Err(IdError::WrongObjectType {
                kind: "service",
                found: f.object_type.as_str().to_string(),
            });
        }
        let owner = ClientId::new(
            f.need("xRoadInstance", &f.instance)?,
            f.need("memberClass", &f.member_class)?,
            f.need("memberCode", &f.member_code)?,
            f.subsystem.as_deref(),
            rule,
        )?;
        Self::with_owner(
            owner,
            f.need("serviceCode", &f.service_code)?,
            f.version.as_deref(),
            rule,
        )
    }
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SERVICE:{}/{}/{}",
            self.owner.instance, self.owner.member_class, self.owner.member_code
        )?;
        if let Some(s) = &self.owner.subsystem {
            write!(f, "/{s}")?;
        }
        write!(f, "/{}", self.service_code)?;
        if let Some(v) = &self.version {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// A security server: `INSTANCE/CLASS/MEMBER/SERVERCODE` (the `X-Road-Security-Server` form).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecurityServerId {
    pub owner: ClientId,
    pub server_code: String,
}

impl SecurityServerId {
    pub fn parse_path(s: &str, rule: CharRule) -> Result<Checked<Self>, IdError> {
        let parts: Vec<&str> = s.split('/').collect();
        let [i, c, m, code] = parts.as_slice() else {
            return Err(IdError::SegmentCount {
                kind: "security server",
                expected: "4",
                found: parts.len(),
            });
        };
        let owner = ClientId::new(
            &decode_segment("instance", i)?,
            &decode_segment("member class", c)?,
            &decode_segment("member code", m)?,
            None,
            rule,
        )?;
        let mut warnings = owner.warnings;
        let code = decode_segment("server code", code)?;
        check_part("server code", &code, rule, &mut warnings)?;
        Ok(Checked {
            id: SecurityServerId {
                owner: owner.id,
                server_code: code,
            },
            warnings,
        })
    }

    pub fn to_path(&self) -> String {
        format!(
            "{}/{}",
            self.owner.to_path(),
            encode_segment(&self.server_code)
        )
    }

    pub fn to_xml(&self, tag: &str) -> String {
        format!(
            "<{tag} id:objectType=\"SERVER\"><id:xRoadInstance>{}</id:xRoadInstance><id:memberClass>{}</id:memberClass><id:memberCode>{}</id:memberCode><id:serverCode>{}</id:serverCode></{tag}>",
            xml_escape(&self.owner.instance),
            xml_escape(&self.owner.member_class),
            xml_escape(&self.owner.member_code),
            xml_escape(&self.server_code)
        )
    }

    pub fn from_xml(xml: &str, rule: CharRule) -> Result<Checked<Self>, IdError> {
        let f = XmlIdFields::read(xml)?;
        if f.object_type != ObjectType::Server {
            return Err(IdError::WrongObjectType {
                kind: "security server",
                found: f.object_type.as_str().to_string(),
            });
        }
        let owner = ClientId::new(
            f.need("xRoadInstance", &f.instance)?,
            f.need("memberClass", &f.member_class)?,
            f.need("memberCode", &f.member_code)?,
            None,
            rule,
        )?;
        let mut warnings = owner.warnings;
        let code = f.need("serverCode", &f.server_code)?;
        check_part("server code", code, rule, &mut warnings)?;
        Ok(Checked {
            id: SecurityServerId {
                owner: owner.id,
                server_code: code.to_string(),
            },
            warnings,
        })
    }
}

impl fmt::Display for SecurityServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SERVER:{}/{}/{}/{}",
            self.owner.instance, self.owner.member_class, self.owner.member_code, self.server_code
        )
    }
}

/// `X-Road-Represented-Party: [MEMBERCLASS/]MEMBERCODE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepresentedParty {
    pub party_class: Option<String>,
    pub party_code: String,
}

impl RepresentedParty {
    pub fn parse(s: &str, rule: CharRule) -> Result<Checked<Self>, IdError> {
        let parts: Vec<&str> = s.split('/').collect();
        let mut warnings = Vec::new();
        let (class, code) = match parts.as_slice() {
            [code] => (None, decode_segment("party code", code)?),
            [class, code] => (
                Some(decode_segment("party class", class)?),
                decode_segment("party code", code)?,
            ),
            _ => {
                return Err(IdError::SegmentCount {
                    kind: "represented party",
                    expected: "1–2",
                    found: parts.len(),
                });
            }
        };
        if let Some(c) = &class {
            check_part("party class", c, rule, &mut warnings)?;
        }
        check_part("party code", &code, rule, &mut warnings)?;
        Ok(Checked {
            id: RepresentedParty {
                party_class: class,
                party_code: code,
            },
            warnings,
        })
    }
}

fn split_prefix(s: &str) -> Result<(ObjectType, &str), IdError> {
    let (kind, rest) = s.split_once(':').ok_or(IdError::WrongObjectType {
        kind: "prefixed",
        found: String::new(),
    })?;
    let kind = ObjectType::parse(kind).ok_or_else(|| IdError::WrongObjectType {
        kind: "prefixed",
        found: kind.to_string(),
    })?;
    Ok((kind, rest))
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// The fields of one identifier element, read by local name (prefixes vary between
/// producers: `id:`, `ns2:`, or a default namespace).
struct XmlIdFields {
    object_type: ObjectType,
    instance: Option<String>,
    member_class: Option<String>,
    member_code: Option<String>,
    subsystem: Option<String>,
    service_code: Option<String>,
    version: Option<String>,
    server_code: Option<String>,
}

#[derive(Default)]
struct RawFields {
    object_type: Option<ObjectType>,
    values: [Option<String>; 7],
}

const FIELD_NAMES: [&str; 7] = [
    "xRoadInstance",
    "memberClass",
    "memberCode",
    "subsystemCode",
    "serviceCode",
    "serviceVersion",
    "serverCode",
];

impl RawFields {
    fn slot(&mut self, element: &Option<String>) -> Option<&mut String> {
        let name = element.as_deref()?;
        let i = FIELD_NAMES.iter().position(|f| *f == name)?;
        self.values
            .get_mut(i)
            .map(|v| v.get_or_insert_with(String::new))
    }
}

impl XmlIdFields {
    fn need<'a>(&self, name: &str, v: &'a Option<String>) -> Result<&'a str, IdError> {
        v.as_deref()
            .ok_or_else(|| IdError::Xml(format!("{name} is missing")))
    }

    fn read(xml: &str) -> Result<Self, IdError> {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut f = RawFields::default();
        let mut depth = 0usize;
        let mut current: Option<String> = None;
        loop {
            match reader.read_event() {
                Ok(Event::Start(e)) => {
                    depth += 1;
                    if depth == 1 {
                        f.object_type = object_type_attr(&e)?;
                    } else {
                        current = Some(e.local_name().as_ref().to_string());
                    }
                }
                Ok(Event::Empty(e)) if depth == 0 => {
                    f.object_type = object_type_attr(&e)?;
                }
                Ok(Event::Text(t)) => {
                    if let Some(slot) = f.slot(&current) {
                        slot.push_str(&t.xml10_content());
                    }
                }
                Ok(Event::GeneralRef(r)) => {
                    let c = resolve_entity(&r.into_inner())
                        .ok_or_else(|| IdError::Xml("unknown entity".into()))?;
                    if let Some(slot) = f.slot(&current) {
                        slot.push(c);
                    }
                }
                Ok(Event::End(_)) => {
                    depth = depth.saturating_sub(1);
                    current = None;
                }
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => return Err(IdError::Xml(e.to_string())),
            }
        }
        let object_type = f
            .object_type
            .ok_or_else(|| IdError::Xml("objectType attribute is missing".into()))?;
        let [
            instance,
            member_class,
            member_code,
            subsystem,
            service_code,
            version,
            server_code,
        ] = f.values;
        Ok(XmlIdFields {
            object_type,
            instance,
            member_class,
            member_code,
            subsystem,
            service_code,
            version,
            server_code,
        })
    }
}

/// Predefined entities and character references.
pub(crate) fn resolve_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let n = if let Some(hex) = name.strip_prefix("#x") {
                u32::from_str_radix(hex, 16).ok()?
            } else {
                name.strip_prefix('#')?.parse().ok()?
            };
            char::from_u32(n)
        }
    }
}

fn object_type_attr(e: &quick_xml::events::BytesStart<'_>) -> Result<Option<ObjectType>, IdError> {
    for a in e.attributes() {
        let a = a.map_err(|e| IdError::Xml(e.to_string()))?;
        if a.key.local_name().as_ref() == "objectType" {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| IdError::Xml(e.to_string()))?
                .into_owned();
            return ObjectType::parse(&v)
                .map(Some)
                .ok_or(IdError::WrongObjectType {
                    kind: "identifier",
                    found: v,
                });
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protocol_examples_parse_in_every_form() {
        let c =
            ClientId::parse_path("INSTANCE/CLASS1/MEMBER1/SUBSYSTEM1", CharRule::Strict).unwrap();
        assert!(c.warnings.is_empty());
        assert_eq!(c.id.subsystem.as_deref(), Some("SUBSYSTEM1"));
        assert_eq!(c.id.object_type(), ObjectType::Subsystem);

        let m = ClientId::parse_prefixed("MEMBER:EE/BUSINESS/123456789", CharRule::Strict).unwrap();
        assert_eq!(m.id.to_string(), "MEMBER:EE/BUSINESS/123456789");
        assert_eq!(m.id.to_path(), "EE/BUSINESS/123456789");

        let s = ServiceId::parse_prefixed(
            "SERVICE:EE/BUSINESS/123456789/highsecurity/getSecureData/v1",
            CharRule::Strict,
        )
        .unwrap();
        assert_eq!(s.id.version.as_deref(), Some("v1"));
        assert_eq!(
            s.id.to_string(),
            "SERVICE:EE/BUSINESS/123456789/highsecurity/getSecureData/v1"
        );
        // A versioned (SOAP) service has no r1 path form.
        assert_eq!(s.id.to_path(), None);

        // The header values of the X-Road REST vector (valid-non-batch-rest.asice).
        let svc =
            ServiceId::parse_path("DEV/COM/1234/TestService/mock1", CharRule::Strict).unwrap();
        assert_eq!(
            svc.id.to_path().as_deref(),
            Some("DEV/COM/1234/TestService/mock1")
        );
        let cl = ClientId::parse_path("DEV/COM/4422/TestClient", CharRule::Strict).unwrap();
        assert_eq!(cl.id.member().to_path(), "DEV/COM/4422");
    }

    #[test]
    fn each_segment_is_percent_encoded_on_its_own() {
        // PR-REST §4.2: BAR%2FSERVICE is the service code "BAR/SERVICE" (lenient: it warns).
        let s = ServiceId::parse_path(
            "INSTANCE/CLASS/MEMBER/SUBSYSTEM/BAR%2FSERVICE",
            CharRule::Lenient,
        )
        .unwrap();
        assert_eq!(s.id.service_code, "BAR/SERVICE");
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].illegal);
        assert_eq!(
            s.id.to_path().as_deref(),
            Some("INSTANCE/CLASS/MEMBER/SUBSYSTEM/BAR%2FSERVICE")
        );
        // The separators themselves must not be encoded.
        let err = ServiceId::parse_path("INSTANCE%2FCLASS%2FMEMBER%2FSUB%2FSVC", CharRule::Lenient)
            .unwrap_err();
        assert_eq!(err.code(), "xroad_id_segment_count");
        // Bad escapes and non-UTF-8 are refused in either mode.
        for bad in ["EE/GOV/12%", "EE/GOV/1%G2", "EE/GOV/%FF%FE"] {
            assert_eq!(
                ClientId::parse_path(bad, CharRule::Lenient)
                    .unwrap_err()
                    .code(),
                "xroad_id_bad_percent_encoding",
                "{bad}"
            );
        }
    }

    #[test]
    fn registration_is_strict_and_traffic_is_lenient_with_a_warning() {
        // Older instances hold ids such as FI_TEST: refused when registering...
        let err = ClientId::new("FI_TEST", "GOV", "123", None, CharRule::Strict).unwrap_err();
        assert_eq!(
            err,
            IdError::ForbiddenCharacter {
                field: "instance",
                ch: '_'
            }
        );
        // ...accepted from traffic with a warning, which is not "illegal" for the proxy.
        let ok = ClientId::new("FI_TEST", "GOV", "123", None, CharRule::Lenient).unwrap();
        assert_eq!(ok.warnings.len(), 1);
        assert!(!ok.warnings[0].illegal);
        // Every character of the 2023 set passes the strict rule.
        let all = "AZaz09'()+,-.=?";
        assert!(ClientId::new("TW", "GOV", all, Some(all), CharRule::Strict).is_ok());
        // Spaces, Chinese, ';' and the zero-width space are outside it.
        for bad in ["a b", "桃園", "a;b", "a\u{200B}"] {
            assert!(
                ClientId::new("TW", "GOV", bad, None, CharRule::Strict).is_err(),
                "{bad}"
            );
        }
        // Empty parts are refused in both modes.
        assert_eq!(
            ClientId::parse_path("TW//123", CharRule::Lenient)
                .unwrap_err()
                .code(),
            "xroad_id_empty_segment"
        );
    }

    #[test]
    fn wrong_segment_counts_are_refused() {
        for bad in ["TW", "TW/GOV", "TW/GOV/1/2/3"] {
            assert_eq!(
                ClientId::parse_path(bad, CharRule::Lenient)
                    .unwrap_err()
                    .code(),
                "xroad_id_segment_count",
                "{bad}"
            );
        }
        // A member-owned service has no r1 form: the reference needs five parts.
        assert!(ServiceId::parse_path("TW/GOV/1/svc", CharRule::Lenient).is_err());
        assert!(SecurityServerId::parse_path("TW/GOV/1", CharRule::Lenient).is_err());
        assert!(ClientId::parse_prefixed("SERVICE:TW/GOV/1/a/b", CharRule::Lenient).is_err());
        assert!(ClientId::parse_prefixed("MEMBER:TW/GOV/1/a", CharRule::Lenient).is_err());
    }

    /// A small deterministic generator, so the round trips cover many odd strings.
    fn samples() -> Vec<String> {
        let alphabet: Vec<char> = "Az09'()+,-.=?_ /%:;桃é\\#&<>\"".chars().collect();
        let mut out = Vec::new();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..300 {
            let mut s = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = 1 + (seed % 9) as usize;
            let mut x = seed;
            for _ in 0..len {
                s.push(alphabet[(x % alphabet.len() as u64) as usize]);
                x /= alphabet.len() as u64;
                if x == 0 {
                    x = seed.rotate_left(11);
                }
            }
            out.push(s);
        }
        out
    }

    #[test]
    fn path_and_xml_forms_round_trip_for_any_characters() {
        for s in samples() {
            let client = ClientId::new("TW", "GOV", &s, Some(&s), CharRule::Lenient)
                .unwrap()
                .id;
            let path = client.to_path();
            assert_eq!(path.split('/').count(), 4, "{s:?} -> {path}");
            assert_eq!(
                ClientId::parse_path(&path, CharRule::Lenient).unwrap().id,
                client
            );
            let xml = format!(
                "<c xmlns:id=\"{IDENTIFIERS_NS}\">{}</c>",
                client.to_xml("client")
            );
            let inner = xml
                .trim_start_matches(&format!("<c xmlns:id=\"{IDENTIFIERS_NS}\">"))
                .trim_end_matches("</c>");
            assert_eq!(
                ClientId::from_xml(inner, CharRule::Lenient).unwrap().id,
                client
            );

            let service = ServiceId {
                owner: client.clone(),
                service_code: s.clone(),
                version: None,
            };
            let p = service.to_path().unwrap();
            assert_eq!(
                ServiceId::parse_path(&p, CharRule::Lenient).unwrap().id,
                service
            );
            assert_eq!(
                ServiceId::from_xml(&service.to_xml("service"), CharRule::Lenient)
                    .unwrap()
                    .id,
                service
            );
            let server = SecurityServerId {
                owner: client.member(),
                server_code: s.clone(),
            };
            assert_eq!(
                SecurityServerId::parse_path(&server.to_path(), CharRule::Lenient)
                    .unwrap()
                    .id,
                server
            );
            assert_eq!(
                SecurityServerId::from_xml(&server.to_xml("securityServer"), CharRule::Lenient)
                    .unwrap()
                    .id,
                server
            );
        }
    }

    #[test]
    fn the_xml_form_of_the_soap_header_reads_with_any_prefix() {
        let xml = r#"<xroad:service xmlns:xroad="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers" id:objectType="SERVICE">
            <id:xRoadInstance>EE</id:xRoadInstance>
            <id:memberClass>BUSINESS</id:memberClass>
            <id:memberCode>123456789</id:memberCode>
            <id:subsystemCode>highsecurity</id:subsystemCode>
            <id:serviceCode>getSecureData</id:serviceCode>
            <id:serviceVersion>v1</id:serviceVersion>
        </xroad:service>"#;
        let s = ServiceId::from_xml(xml, CharRule::Strict).unwrap().id;
        assert_eq!(
            s.to_string(),
            "SERVICE:EE/BUSINESS/123456789/highsecurity/getSecureData/v1"
        );

        // The global configuration's groupMember form (ns2 prefix).
        let member = r#"<groupMember xmlns:ns2="http://x-road.eu/xsd/identifiers" ns2:objectType="MEMBER"><ns2:xRoadInstance>DEV</ns2:xRoadInstance><ns2:memberClass>COM</ns2:memberClass><ns2:memberCode>1234</ns2:memberCode></groupMember>"#;
        let m = ClientId::from_xml(member, CharRule::Strict).unwrap().id;
        assert_eq!(m.to_path(), "DEV/COM/1234");

        // Object type must fit: a member is not a service, and SUBSYSTEM needs its code.
        assert_eq!(
            ServiceId::from_xml(member, CharRule::Strict)
                .unwrap_err()
                .code(),
            "xroad_id_wrong_object_type"
        );
        let no_sub = member.replace("\"MEMBER\"", "\"SUBSYSTEM\"");
        assert_eq!(
            ClientId::from_xml(&no_sub, CharRule::Strict)
                .unwrap_err()
                .code(),
            "xroad_id_xml"
        );
        let no_code = member.replace("<ns2:memberCode>1234</ns2:memberCode>", "");
        assert_eq!(
            ClientId::from_xml(&no_code, CharRule::Strict)
                .unwrap_err()
                .code(),
            "xroad_id_xml"
        );
    }

    #[test]
    fn represented_party_has_an_optional_class() {
        let p = RepresentedParty::parse("GOV/12345", CharRule::Strict)
            .unwrap()
            .id;
        assert_eq!(p.party_class.as_deref(), Some("GOV"));
        assert_eq!(
            RepresentedParty::parse("12345", CharRule::Strict)
                .unwrap()
                .id
                .party_class,
            None
        );
        assert!(RepresentedParty::parse("a/b/c", CharRule::Strict).is_err());
    }
}
