//! The pure rules of the X-Road Message Protocol for REST (PR-REST 1.0.4, wire id `r1`):
//! reading a request target, path normalisation, which headers pass, are added or are
//! stripped, the error body with `X-Road-Error`, endpoint globs and the request hash.
//! Sources: research notes §2.1–2.4 and §3.5. The HTTP layer calls these; nothing here does I/O.

use base64::Engine as _;
use sha2::{Digest, Sha512};

use super::id::{CharRule, Checked, ClientId, IdError, IdWarning, ServiceId};
use crate::text::Text;

/// The only protocol version PR-REST defines.
pub const PROTOCOL_VERSION: &str = "r1";
/// URI length above which a request is refused (PR-REST §4.2: "about 2000 MAY be enforced").
pub const DEFAULT_MAX_URI_LEN: usize = 2000;
/// Used when the consumer sends no `Accept` (PR-REST §4.3).
pub const DEFAULT_ACCEPT: &str = "application/json";

pub const HEADER_CLIENT: &str = "x-road-client";
pub const HEADER_SERVICE: &str = "x-road-service";
pub const HEADER_ID: &str = "x-road-id";
pub const HEADER_REQUEST_ID: &str = "x-road-request-id";
pub const HEADER_REQUEST_HASH: &str = "x-road-request-hash";
pub const HEADER_ERROR: &str = "x-road-error";
pub const HEADER_USER_ID: &str = "x-road-userid";
pub const HEADER_ISSUE: &str = "x-road-issue";
pub const HEADER_SECURITY_SERVER: &str = "x-road-security-server";
pub const HEADER_REPRESENTED_PARTY: &str = "x-road-represented-party";

/// Hop-by-hop and host-specific headers that never cross a security server
/// (`RestMessage.SKIPPED_HEADERS` in the reference).
pub const SKIPPED_HEADERS: [&str; 13] = [
    "transfer-encoding",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "upgrade",
    "connection",
    "user-agent",
    "host",
    "content-length",
    "server",
    "expect",
];

/// HTTP verbs the protocol carries.
pub const METHODS: [&str; 8] = [
    "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE",
];

/// Who is at fault, which fixes the prefix of the error type and the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultSide {
    /// The consumer information system sent something wrong: `Client.*`, 400.
    Client,
    /// The consumer's node failed: `Server.ClientProxy.*`, 500.
    ClientProxy,
    /// The provider's node failed or refused: `Server.ServerProxy.*`, 500.
    ServerProxy,
}

impl FaultSide {
    pub fn prefix(self) -> &'static str {
        match self {
            FaultSide::Client => "Client",
            FaultSide::ClientProxy => "Server.ClientProxy",
            FaultSide::ServerProxy => "Server.ServerProxy",
        }
    }
}

/// An error the gateway itself produces. `code` uses the spelling of the PR-REST examples and
/// of X-Road ≤ 7.7 (`AccessDenied`); X-Road 7.8 writes `access_denied` — see [`same_error_type`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestFault {
    pub side: FaultSide,
    pub code: &'static str,
    pub message: String,
}

/// Error codes used with [`RestFault`] (the `ErrorCodes` names of the reference).
pub mod codes {
    pub const BAD_REQUEST: &str = "BadRequest";
    pub const INVALID_REQUEST: &str = "InvalidRequest";
    pub const INVALID_PROTOCOL_VERSION: &str = "InvalidProtocolVersion";
    pub const INVALID_HTTP_METHOD: &str = "InvalidHttpMethod";
    pub const MISSING_HEADER: &str = "MissingHeader";
    pub const INVALID_CLIENT_IDENTIFIER: &str = "InvalidClientIdentifier";
    pub const UNKNOWN_SERVICE: &str = "UnknownService";
    pub const INVALID_SERVICE_TYPE: &str = "ServiceType";
    pub const ACCESS_DENIED: &str = "AccessDenied";
    pub const SERVICE_DISABLED: &str = "ServiceDisabled";
    pub const SERVICE_FAILED: &str = "ServiceFailed";
    pub const NETWORK_ERROR: &str = "NetworkError";
    pub const INTERNAL_ERROR: &str = "InternalError";
    /// X-Road's `X_CANNOT_CREATE_SIGNATURE`: the member's signing key is missing or its
    /// certificate is not good (OCSP).
    pub const CANNOT_CREATE_SIGNATURE: &str = "CannotCreateSignature";
    pub const OUTDATED_GLOBALCONF: &str = "OutdatedGlobalConf";
    pub const INCONSISTENT_RESPONSE: &str = "InconsistentResponse";
    pub const TIMESTAMPER_FAILED: &str = "LoggingFailed.TimestamperFailed";
    /// A signature from the other side does not verify (X-Road's `X_INVALID_SIGNATURE_VALUE`).
    pub const INVALID_SIGNATURE_VALUE: &str = "InvalidSignatureValue";
    /// The message log could not be written (X-Road's `X_LOGGING_FAILED`).
    pub const LOGGING_FAILED: &str = "LoggingFailed";
    /// Information-system authentication failed (`X_SSL_AUTH_FAILED`).
    pub const SSL_AUTHENTICATION_FAILED: &str = "SslAuthenticationFailed";
}

impl RestFault {
    pub fn new(side: FaultSide, code: &'static str, message: impl Into<String>) -> Self {
        RestFault {
            side,
            code,
            message: message.into(),
        }
    }

    /// The `type` field and the `X-Road-Error` header value, e.g. `Server.ServerProxy.AccessDenied`.
    pub fn error_type(&self) -> String {
        format!("{}.{}", self.side.prefix(), self.code)
    }

    /// 500 when the type starts with `server.` (case-insensitive), otherwise 400 — the rule of
    /// `ClientRestMessageHandler.sendErrorResponse`.
    pub fn status(&self) -> u16 {
        status_for_error_type(&self.error_type())
    }
}

pub fn status_for_error_type(error_type: &str) -> u16 {
    if error_type.to_ascii_lowercase().starts_with("server.") {
        500
    } else {
        400
    }
}

/// Whether two error types name the same fault, across the two spellings X-Road has used
/// (`Server.ServerProxy.AccessDenied` and `server.serverproxy.access_denied`).
pub fn same_error_type(a: &str, b: &str) -> bool {
    fn norm(s: &str) -> String {
        s.chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect()
    }
    norm(a) == norm(b)
}

/// An error response ready to send: status, headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Build the error response of PR-REST §4.6: JSON `{type, message, detail}` by default, XML
/// `<error>` when `Accept` asks for XML (`text/xml`, `application/xml` or `text/*`), with the
/// `X-Road-Error` header. `detail` is the error's own id (a UUID) for the logs.
pub fn error_response(fault: &RestFault, detail: &str, accept: Option<&str>) -> ErrorResponse {
    let error_type = fault.error_type();
    let (content_type, body) = if wants_xml(accept) {
        (
            "text/xml;charset=utf-8",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><error><type>{}</type><message>{}</message><detail>{}</detail></error>",
                xml_text(&error_type),
                xml_text(&fault.message),
                xml_text(detail)
            ),
        )
    } else {
        (
            "application/json;charset=utf-8",
            serde_json::json!({"type": error_type, "message": fault.message, "detail": detail})
                .to_string(),
        )
    };
    ErrorResponse {
        status: fault.status(),
        headers: vec![
            ("content-type".into(), content_type.into()),
            (HEADER_ERROR.into(), error_type),
        ],
        body,
    }
}

fn wants_xml(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        let a = a.to_ascii_lowercase();
        a.contains("text/xml") || a.contains("application/xml") || a.contains("text/*")
    })
}

fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A request target `/r1/{serviceId}[/path][?query]`, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestTarget {
    pub service: ServiceId,
    /// The service path as received, still percent-encoded; the provider sees
    /// `base URL + raw_path + "?" + raw_query`. Empty when there is none.
    pub raw_path: String,
    /// The decoded, normalised path the access check uses (`/` when there is none).
    pub normalized_path: String,
    pub raw_query: Option<String>,
    pub warnings: Vec<IdWarning>,
}

fn bad_request(code: &'static str, message: impl Into<String>) -> RestFault {
    RestFault::new(FaultSide::Client, code, message)
}

impl From<IdError> for RestFault {
    fn from(e: IdError) -> Self {
        bad_request(
            codes::BAD_REQUEST,
            format!("invalid service identifier: {e}"),
        )
    }
}

/// Read a request target. Mirrors `RestRequest.decodeIdentifiers`: the path splits into at most
/// eight parts on `/`; parts 2–6 are the service id, whatever follows is the service path.
pub fn parse_target(target: &str, max_uri_len: usize) -> Result<RestTarget, RestFault> {
    if target.len() > max_uri_len {
        return Err(bad_request(
            codes::BAD_REQUEST,
            format!("request URI longer than {max_uri_len} characters"),
        ));
    }
    if target
        .chars()
        .any(|c| c.is_control() || c == ' ' || c == '#')
    {
        return Err(bad_request(
            codes::BAD_REQUEST,
            "request URI holds control characters, spaces or a fragment",
        ));
    }
    let (path, raw_query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (target, None),
    };
    let parts: Vec<&str> = path.splitn(8, '/').collect();
    let version = parts.get(1).copied().unwrap_or_default();
    if !path.starts_with('/') || version != PROTOCOL_VERSION {
        return Err(bad_request(
            codes::INVALID_PROTOCOL_VERSION,
            format!("unsupported protocol version '{version}'; only '{PROTOCOL_VERSION}' exists"),
        ));
    }
    let id_parts = parts.get(2..7).ok_or_else(|| {
        bad_request(
            codes::BAD_REQUEST,
            "the service id needs five parts: INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE",
        )
    })?;
    let Checked { id, warnings } = ServiceId::parse_rest_segments(id_parts, CharRule::Lenient)?;
    let raw_path = parts.get(7).map(|p| format!("/{p}")).unwrap_or_default();
    let normalized_path = decode_and_normalize(&raw_path)?;
    Ok(RestTarget {
        service: id,
        raw_path,
        normalized_path,
        raw_query,
        warnings,
    })
}

/// Percent-decode a service path and normalise it (RFC 3986 §5.2.4, as `URI.normalize`): `.`
/// segments go, `a/..` pairs collapse. A `..` that is left (it would climb above the service
/// root), a decoded NUL or invalid UTF-8 is refused.
pub fn decode_and_normalize(raw_path: &str) -> Result<String, RestFault> {
    let decoded = super::id::decode_segment("service path", raw_path).map_err(|_| {
        bad_request(
            codes::BAD_REQUEST,
            "the service path is badly percent-encoded",
        )
    })?;
    if decoded.contains('\0') {
        return Err(bad_request(
            codes::BAD_REQUEST,
            "the service path holds a NUL",
        ));
    }
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = decoded.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                if matches!(out.last(), Some(prev) if !prev.is_empty() && *prev != "..") {
                    out.pop();
                    if i == last {
                        out.push("");
                    }
                } else {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    let normalized = if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    };
    if normalized.split('/').any(|s| s == "..") {
        return Err(bad_request(
            codes::INVALID_REQUEST,
            "the service path climbs above the service root ('..')",
        ));
    }
    Ok(normalized)
}

/// Read `X-Road-Client`. It is mandatory; when it arrives several times the last one counts
/// (PR-REST §4.3). Bad characters only warn, as on all incoming ids.
pub fn client_from_headers(headers: &[(String, String)]) -> Result<Checked<ClientId>, RestFault> {
    let value = headers
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case(HEADER_CLIENT))
        .map(|(_, v)| v.trim())
        .ok_or_else(|| bad_request(codes::MISSING_HEADER, "the header X-Road-Client is missing"))?;
    ClientId::parse_path(value, CharRule::Lenient).map_err(|e| {
        bad_request(
            codes::INVALID_CLIENT_IDENTIFIER,
            format!("invalid X-Road-Client: {e}"),
        )
    })
}

/// Whether a header may cross the gateway unchanged.
pub fn is_skipped(name: &str) -> bool {
    SKIPPED_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// A header value that could split the message (CR, LF or NUL) is never forwarded.
pub fn is_safe_header_value(value: &str) -> bool {
    !value.chars().any(|c| c == '\r' || c == '\n' || c == '\0')
}

/// The consumer side: the headers of the IS request that go into the REST header part, in
/// their order, minus skipped ones and minus any `x-road-request-id`/`-hash` the IS sent; then
/// `x-road-request-id` and, when the IS sent none, `x-road-id`.
pub fn consumer_request_headers(
    incoming: &[(String, String)],
    request_id: &str,
    generated_xroad_id: &str,
) -> Result<Vec<(String, String)>, RestFault> {
    let mut out = Vec::with_capacity(incoming.len() + 2);
    let mut has_id = false;
    for (name, value) in incoming {
        if is_skipped(name)
            || name.eq_ignore_ascii_case(HEADER_REQUEST_ID)
            || name.eq_ignore_ascii_case(HEADER_REQUEST_HASH)
        {
            continue;
        }
        if !is_safe_header_value(value) {
            return Err(bad_request(
                codes::BAD_REQUEST,
                format!("the header {name} holds a line break"),
            ));
        }
        has_id |= name.eq_ignore_ascii_case(HEADER_ID);
        out.push((name.clone(), value.clone()));
    }
    out.push((HEADER_REQUEST_ID.into(), request_id.into()));
    if !has_id {
        out.push((HEADER_ID.into(), generated_xroad_id.into()));
    }
    Ok(out)
}

/// The `X-Road-Id` the consumer node makes when the IS sent none: `<instance>-<uuid>`
/// (`ClientRestMessageProcessor.processRequest`).
pub fn generated_xroad_id(instance: &str, uuid: &str) -> String {
    format!("{instance}-{uuid}")
}

/// The headers the provider node sends to the provider IS: the request headers minus the
/// node-only `x-road-request-hash`, with skipped ones gone.
pub fn provider_forward_headers(request_headers: &[(String, String)]) -> Vec<(String, String)> {
    request_headers
        .iter()
        .filter(|(n, _)| !is_skipped(n) && !n.eq_ignore_ascii_case(HEADER_REQUEST_HASH))
        .cloned()
        .collect()
}

/// Identifiers the provider node writes on every response.
#[derive(Debug, Clone)]
pub struct ResponseIds<'a> {
    pub xroad_id: &'a str,
    pub client: &'a ClientId,
    pub service: &'a ServiceId,
    pub request_id: &'a str,
    pub request_hash: &'a str,
}

/// The provider side: the provider IS's response headers, skipped ones and any `X-Road-*`
/// identifiers it set removed (they are overwritten), then in this order `x-road-id`,
/// `x-road-client`, `x-road-service`, `x-road-request-id`, `x-road-request-hash`
/// (`RestResponse`). Identifiers are percent-encoded per segment.
pub fn provider_response_headers(
    from_provider: &[(String, String)],
    ids: &ResponseIds<'_>,
) -> Vec<(String, String)> {
    const OVERWRITTEN: [&str; 6] = [
        HEADER_ID,
        HEADER_REQUEST_HASH,
        HEADER_CLIENT,
        HEADER_REQUEST_ID,
        HEADER_SERVICE,
        HEADER_ERROR,
    ];
    let mut out: Vec<(String, String)> = from_provider
        .iter()
        .filter(|(n, v)| {
            !is_skipped(n)
                && !OVERWRITTEN.iter().any(|h| h.eq_ignore_ascii_case(n))
                && is_safe_header_value(v)
        })
        .cloned()
        .collect();
    out.push((HEADER_ID.into(), ids.xroad_id.into()));
    out.push((HEADER_CLIENT.into(), ids.client.to_path()));
    let service = ids
        .service
        .to_path()
        .unwrap_or_else(|| ids.service.to_string());
    out.push((HEADER_SERVICE.into(), service));
    out.push((HEADER_REQUEST_ID.into(), ids.request_id.into()));
    out.push((HEADER_REQUEST_HASH.into(), ids.request_hash.into()));
    out
}

/// The REST request header part as carried between nodes and signed (`RestRequest.toByteArray`):
/// `VERB CRLF rawPath[?rawQuery] CRLF` then `name:value CRLF` per header.
pub fn request_header_part(
    method: &str,
    raw_target: &str,
    headers: &[(String, String)],
) -> Vec<u8> {
    let mut out = format!("{method}\r\n{raw_target}\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}:{v}\r\n"));
    }
    out.into_bytes()
}

/// The REST response header part: `STATUS CRLF REASON CRLF name:value CRLF…` (checked against
/// `message.xml` of the X-Road vector `valid-non-batch-rest.asice`).
pub fn response_header_part(status: u16, reason: &str, headers: &[(String, String)]) -> Vec<u8> {
    let mut out = format!("{status}\r\n{reason}\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}:{v}\r\n"));
    }
    out.into_bytes()
}

/// `X-Road-Request-Hash`: `base64(SHA512(SHA512(header part) + SHA512(body)))`, or
/// `base64(SHA512(header part))` when there is no body (PR-REST §4.3).
pub fn request_hash(header_part: &[u8], body: Option<&[u8]>) -> String {
    let header_digest = Sha512::digest(header_part);
    let digest = match body {
        Some(body) => {
            let mut h = Sha512::new();
            h.update(header_digest);
            h.update(Sha512::digest(body));
            h.finalize()
        }
        None => header_digest,
    };
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// The `Accept` to forward: the consumer's, or `application/json` when it sent none.
pub fn effective_accept(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case("accept"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| DEFAULT_ACCEPT.to_string())
}

/// Whether the method is one the protocol carries.
pub fn check_method(method: &str) -> Result<(), RestFault> {
    if METHODS.contains(&method) {
        Ok(())
    } else {
        Err(bad_request(
            codes::INVALID_HTTP_METHOD,
            format!("the HTTP method {method} is not supported"),
        ))
    }
}

/// An endpoint of a REST service: a method (`*` = any) and a path glob (`**` = any path).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub method: String,
    pub path: String,
}

impl Endpoint {
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        Endpoint {
            method: method.into(),
            path: path.into(),
        }
    }

    /// An endpoint derived from an OpenAPI path: each `{param}` becomes `*`
    /// (`OpenApiParser`: `path.replaceAll("\\{[^/]*}", "*")`).
    pub fn from_openapi(method: &str, openapi_path: &str) -> Self {
        let mut path = String::with_capacity(openapi_path.len());
        let mut rest = openapi_path;
        while let Some(start) = rest.find('{') {
            let (before, from_brace) = rest.split_at(start);
            path.push_str(before);
            match from_brace.find('}') {
                Some(end) if from_brace.get(..end).is_some_and(|p| !p.contains('/')) => {
                    path.push('*');
                    rest = from_brace.get(end + 1..).unwrap_or_default();
                }
                _ => {
                    path.push('{');
                    rest = from_brace.get(1..).unwrap_or_default();
                }
            }
        }
        path.push_str(rest);
        Endpoint {
            method: method.to_ascii_uppercase(),
            path,
        }
    }

    /// Whether a call (method, normalised service path) falls under this endpoint.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && (self.path == "**" || path_glob_matches(&self.path, path))
    }

    /// True for the service-wide endpoint (`*` `**`), which grants the whole service.
    pub fn is_base(&self) -> bool {
        self.method == "*" && self.path == "**"
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum GlobToken {
    Literal(char),
    /// `*`: zero or more characters within one segment.
    Star,
    /// `**`: zero or more characters, `/` included.
    DoubleStar,
}

fn glob_tokens(glob: &str) -> Vec<GlobToken> {
    let mut out = Vec::new();
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => out.push(GlobToken::Literal(n)),
                None => out.push(GlobToken::Literal('\\')),
            },
            '*' => {
                if chars.peek() == Some(&'*') {
                    chars.next();
                    out.push(GlobToken::DoubleStar);
                } else {
                    out.push(GlobToken::Star);
                }
            }
            c => out.push(GlobToken::Literal(c)),
        }
    }
    out
}

/// The path glob of access rights (`PathGlob`): `*` matches within a segment, `**` across
/// segments, `\` escapes `*` and `\`; every other character is literal. The whole path must match.
pub fn path_glob_matches(glob: &str, path: &str) -> bool {
    let tokens = glob_tokens(glob);
    let chars: Vec<char> = path.chars().collect();
    // Dynamic programming over (token, char) positions: linear in |glob| × |path|.
    let mut reach = vec![false; chars.len() + 1];
    if let Some(start) = reach.first_mut() {
        *start = true;
    }
    for token in &tokens {
        let mut next = vec![false; chars.len() + 1];
        match token {
            GlobToken::Literal(l) => {
                for (i, c) in chars.iter().enumerate() {
                    if reach.get(i) == Some(&true)
                        && c == l
                        && let Some(n) = next.get_mut(i + 1)
                    {
                        *n = true;
                    }
                }
            }
            GlobToken::Star | GlobToken::DoubleStar => {
                let crosses = *token == GlobToken::DoubleStar;
                let mut open = false;
                for (i, n) in next.iter_mut().enumerate() {
                    open |= reach.get(i) == Some(&true);
                    *n = open;
                    if !crosses && chars.get(i) == Some(&'/') {
                        open = false;
                    }
                }
            }
        }
        reach = next;
    }
    reach.last() == Some(&true)
}

/// Text for the access-denied fault, in both languages, for logs and the UI.
pub fn access_denied_text(client: &ClientId, service: &ServiceId) -> Text {
    Text::new(
        format!("{client} 未獲准呼叫 {service}（沒有有效的存取授權）"),
        format!("{client} may not call {service}: no access grant allows it"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_spec_example_target_splits_into_service_path_and_query() {
        let t = parse_target(
            "/r1/INSTANCE/CLASS2/MEMBER2/SUBSYSTEM2/BARSERVICE/v1/bar/zyggy?quu=1",
            DEFAULT_MAX_URI_LEN,
        )
        .unwrap();
        assert_eq!(
            t.service.to_string(),
            "SERVICE:INSTANCE/CLASS2/MEMBER2/SUBSYSTEM2/BARSERVICE"
        );
        assert_eq!(t.raw_path, "/v1/bar/zyggy");
        assert_eq!(t.normalized_path, "/v1/bar/zyggy");
        assert_eq!(t.raw_query.as_deref(), Some("quu=1"));

        let bare = parse_target("/r1/I/C/M/S/svc", DEFAULT_MAX_URI_LEN).unwrap();
        assert_eq!(bare.raw_path, "");
        assert_eq!(bare.normalized_path, "/");
        assert_eq!(bare.raw_query, None);

        let encoded = parse_target("/r1/I/C/M/S/BAR%2FSERVICE/x%20y", DEFAULT_MAX_URI_LEN).unwrap();
        assert_eq!(encoded.service.service_code, "BAR/SERVICE");
        assert_eq!(encoded.raw_path, "/x%20y");
        assert_eq!(encoded.normalized_path, "/x y");
        assert_eq!(encoded.warnings.len(), 1);
    }

    #[test]
    fn malformed_targets_are_client_errors() {
        let cases = [
            ("/r2/I/C/M/S/svc", codes::INVALID_PROTOCOL_VERSION),
            ("/v1/I/C/M/S/svc", codes::INVALID_PROTOCOL_VERSION),
            ("r1/I/C/M/S/svc", codes::INVALID_PROTOCOL_VERSION),
            ("/r1/I/C/M/S", codes::BAD_REQUEST),
            ("/r1/I/C/M//svc", codes::BAD_REQUEST),
            ("/r1/I/C/M/S/svc/a\r\nX-Evil:1", codes::BAD_REQUEST),
            ("/r1/I/C/M/S/svc/%zz", codes::BAD_REQUEST),
            ("/r1/I/C/M/S/svc/../../etc", codes::INVALID_REQUEST),
            ("/r1/I/C/M/S/svc/a/%2e%2e/%2E%2E/x", codes::INVALID_REQUEST),
        ];
        for (target, code) in cases {
            let f = parse_target(target, DEFAULT_MAX_URI_LEN).unwrap_err();
            assert_eq!(f.code, code, "{target}");
            assert_eq!(f.status(), 400, "{target}");
            assert!(f.error_type().starts_with("Client."), "{target}");
        }
        let long = format!("/r1/I/C/M/S/svc/{}", "a".repeat(2000));
        assert_eq!(
            parse_target(&long, DEFAULT_MAX_URI_LEN).unwrap_err().code,
            codes::BAD_REQUEST
        );
        assert!(parse_target(&long, 4000).is_ok());
    }

    #[test]
    fn paths_normalise_and_dot_dot_above_the_root_is_refused() {
        assert_eq!(decode_and_normalize("/a/./b").unwrap(), "/a/b");
        assert_eq!(decode_and_normalize("/a/b/../c").unwrap(), "/a/c");
        assert_eq!(decode_and_normalize("/a/b/..").unwrap(), "/a/");
        assert_eq!(decode_and_normalize("/a/%2e/b").unwrap(), "/a/b");
        assert_eq!(decode_and_normalize("").unwrap(), "/");
        assert!(decode_and_normalize("/..").is_err());
        assert!(decode_and_normalize("/a/../../b").is_err());
        assert!(decode_and_normalize("/a/%2E%2E/%2e%2e/b").is_err());
        assert!(decode_and_normalize("/a%00b").is_err());
    }

    #[test]
    fn x_road_client_is_required_and_the_last_one_counts() {
        let f = client_from_headers(&h(&[("Accept", "application/json")])).unwrap_err();
        assert_eq!(f.error_type(), "Client.MissingHeader");
        let c = client_from_headers(&h(&[
            ("X-Road-Client", "TW/GOV/1/first"),
            ("x-road-client", "TW/GOV/2/last"),
        ]))
        .unwrap();
        assert_eq!(c.id.to_path(), "TW/GOV/2/last");
        let bad = client_from_headers(&h(&[("X-Road-Client", "TW/GOV")])).unwrap_err();
        assert_eq!(bad.error_type(), "Client.InvalidClientIdentifier");
        // Lenient on traffic: an underscore only warns.
        let warned = client_from_headers(&h(&[("X-Road-Client", "FI_TEST/GOV/1")])).unwrap();
        assert_eq!(warned.warnings.len(), 1);
    }

    #[test]
    fn the_consumer_drops_hop_by_hop_headers_and_adds_the_ids() {
        let incoming = h(&[
            ("Host", "gw.local"),
            ("User-Agent", "curl"),
            ("X-Road-Client", "TW/GOV/1/sub"),
            ("Connection", "keep-alive"),
            ("Accept", "application/json"),
            ("x-road-request-hash", "forged"),
            ("X-Road-Request-Id", "forged"),
            ("Authorization", "Bearer t"),
            ("X-Custom", "kept"),
        ]);
        let out = consumer_request_headers(&incoming, "req-1", "TW-uuid").unwrap();
        assert_eq!(
            out,
            h(&[
                ("X-Road-Client", "TW/GOV/1/sub"),
                ("Accept", "application/json"),
                ("Authorization", "Bearer t"),
                ("X-Custom", "kept"),
                ("x-road-request-id", "req-1"),
                ("x-road-id", "TW-uuid"),
            ])
        );
        // An IS-supplied X-Road-Id is kept and none is generated.
        let with_id = consumer_request_headers(&h(&[("X-Road-Id", "mine")]), "r", "gen").unwrap();
        assert_eq!(
            with_id,
            h(&[("X-Road-Id", "mine"), ("x-road-request-id", "r")])
        );
        // Header injection through a value is refused.
        assert!(consumer_request_headers(&h(&[("X-A", "a\r\nX-B: b")]), "r", "g").is_err());
        assert_eq!(generated_xroad_id("DEV", "d75e"), "DEV-d75e");
        // The provider IS never sees the node-only hash.
        let fwd = provider_forward_headers(&h(&[
            ("x-road-request-hash", "h"),
            ("Host", "x"),
            ("A", "1"),
        ]));
        assert_eq!(fwd, h(&[("A", "1")]));
    }

    #[test]
    fn the_provider_response_headers_are_rewritten_in_the_reference_order() {
        let client = ClientId::parse_path("DEV/COM/4422/TestClient", CharRule::Strict)
            .unwrap()
            .id;
        let service = ServiceId::parse_path("DEV/COM/1234/TestService/mock1", CharRule::Strict)
            .unwrap()
            .id;
        let from_provider = h(&[
            ("Content-Type", "application/json"),
            ("X-Road-Id", "spoofed"),
            ("X-Road-Service", "spoofed"),
            ("Transfer-Encoding", "chunked"),
            ("mock-response", "true"),
        ]);
        let ids = ResponseIds {
            xroad_id: "DEV-d75ea6fd-d24b-48ec-a320-53675c40fb86",
            client: &client,
            service: &service,
            request_id: "78b890f3-b1eb-45b2-a512-beec5d7ead23",
            request_hash: "7zmQ9CwnVrEWzWnCyXbXkQYGR+A7/i6e61JgWMLaEI8Bj1QWdrUVGijBBdyDdhcgOpfY8Sid1RhvRbs+aFbOhw==",
        };
        let out = provider_response_headers(&from_provider, &ids);
        // Serialised as the response header part, this is the head of the X-Road vector's
        // message.xml (valid-non-batch-rest.asice) minus the headers its mock added.
        let part = response_header_part(200, "OK", &out);
        assert_eq!(
            String::from_utf8(part).unwrap(),
            "200\r\nOK\r\nContent-Type:application/json\r\nmock-response:true\r\n\
             x-road-id:DEV-d75ea6fd-d24b-48ec-a320-53675c40fb86\r\n\
             x-road-client:DEV/COM/4422/TestClient\r\n\
             x-road-service:DEV/COM/1234/TestService/mock1\r\n\
             x-road-request-id:78b890f3-b1eb-45b2-a512-beec5d7ead23\r\n\
             x-road-request-hash:7zmQ9CwnVrEWzWnCyXbXkQYGR+A7/i6e61JgWMLaEI8Bj1QWdrUVGijBBdyDdhcgOpfY8Sid1RhvRbs+aFbOhw==\r\n"
        );
    }

    #[test]
    fn the_request_hash_follows_the_spec_formula() {
        let part = request_header_part(
            "GET",
            "/r1/I/C/M/S/svc/a?b=1",
            &h(&[("x-road-client", "I/C/M2/S2"), ("x-road-request-id", "r")]),
        );
        assert_eq!(
            String::from_utf8(part.clone()).unwrap(),
            "GET\r\n/r1/I/C/M/S/svc/a?b=1\r\nx-road-client:I/C/M2/S2\r\nx-road-request-id:r\r\n"
        );
        let b64 = base64::engine::general_purpose::STANDARD;
        let without = request_hash(&part, None);
        assert_eq!(without, b64.encode(Sha512::digest(&part)));
        let with = request_hash(&part, Some(b"{}"));
        let mut both = Sha512::digest(&part).to_vec();
        both.extend_from_slice(&Sha512::digest(b"{}"));
        assert_eq!(with, b64.encode(Sha512::digest(&both)));
        assert_ne!(with, without);
        assert_eq!(b64.decode(&with).unwrap().len(), 64);
    }

    #[test]
    fn errors_carry_type_message_detail_and_the_x_road_error_header() {
        let denied = RestFault::new(FaultSide::ServerProxy, codes::ACCESS_DENIED, "no grant");
        let r = error_response(&denied, "9bc95b6e", None);
        assert_eq!(r.status, 500);
        assert_eq!(
            r.headers,
            h(&[
                ("content-type", "application/json;charset=utf-8"),
                ("x-road-error", "Server.ServerProxy.AccessDenied"),
            ])
        );
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"type": "Server.ServerProxy.AccessDenied", "message": "no grant", "detail": "9bc95b6e"})
        );
        let bad = RestFault::new(FaultSide::Client, codes::BAD_REQUEST, "a <b> & c");
        let x = error_response(&bad, "id", Some("text/xml"));
        assert_eq!(x.status, 400);
        assert!(
            x.headers
                .contains(&("content-type".into(), "text/xml;charset=utf-8".into()))
        );
        assert!(x.body.ends_with(
            "<error><type>Client.BadRequest</type><message>a &lt;b&gt; &amp; c</message><detail>id</detail></error>"
        ));
        assert!(wants_xml(Some("text/*")));
        assert!(!wants_xml(Some("application/json")));
        let cp = RestFault::new(FaultSide::ClientProxy, codes::OUTDATED_GLOBALCONF, "old");
        assert_eq!(cp.error_type(), "Server.ClientProxy.OutdatedGlobalConf");
        assert_eq!(cp.status(), 500);
        // X-Road 7.8 spellings compare equal; the status rule is case-insensitive.
        assert!(same_error_type(
            "Server.ServerProxy.AccessDenied",
            "server.serverproxy.access_denied"
        ));
        assert!(!same_error_type(
            "Server.ServerProxy.AccessDenied",
            "Server.ServerProxy.ServiceDisabled"
        ));
        assert_eq!(
            status_for_error_type("server.clientproxy.network_error"),
            500
        );
        assert_eq!(status_for_error_type("client.bad_request"), 400);
    }

    #[test]
    fn path_globs_follow_the_access_right_rules() {
        let yes = [
            ("/*/", "/a/"),
            ("/*/", "//"),
            ("**/bar/**", "a/b/c/bar/e/f"),
            ("/pets/*", "/pets/42"),
            ("/pets/*/toys", "/pets/42/toys"),
            ("/a\\*b", "/a*b"),
            ("/a\\\\b", "/a\\b"),
            ("/x.y", "/x.y"),
            ("/files/**", "/files/a/b/c"),
            ("/files/**", "/files/"),
        ];
        for (glob, path) in yes {
            assert!(path_glob_matches(glob, path), "{glob} should match {path}");
        }
        let no = [
            ("/*/", "/a/b/"),
            ("/pets/*", "/pets/42/toys"),
            ("/a\\*b", "/axb"),
            ("/x.y", "/xzy"),
            ("/pets", "/pets/"),
            ("/pets/*", "/dogs/1"),
        ];
        for (glob, path) in no {
            assert!(
                !path_glob_matches(glob, path),
                "{glob} should not match {path}"
            );
        }
    }

    #[test]
    fn endpoints_from_openapi_turn_parameters_into_stars() {
        let e = Endpoint::from_openapi("get", "/pets/{petId}/toys/{toy}");
        assert_eq!(e, Endpoint::new("GET", "/pets/*/toys/*"));
        assert!(e.matches("GET", "/pets/7/toys/ball"));
        assert!(!e.matches("POST", "/pets/7/toys/ball"));
        assert!(!e.matches("GET", "/pets/7/toys"));
        assert_eq!(Endpoint::from_openapi("GET", "/a/{x/y}").path, "/a/{x/y}");
        let any = Endpoint::new("*", "**");
        assert!(any.is_base());
        assert!(any.matches("DELETE", "/anything/at/all"));
        assert!(Endpoint::new("*", "/pets").matches("PUT", "/pets"));
        assert!(check_method("PATCH").is_ok());
        assert_eq!(
            check_method("CONNECT").unwrap_err().code,
            codes::INVALID_HTTP_METHOD
        );
        assert_eq!(effective_accept(&[]), "application/json");
    }
}
