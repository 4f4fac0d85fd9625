//! Resolving the caller once per request, and the extractors handlers use.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use civitas_core::Caller;
use civitas_core::accounts::{ApiToken, Session, User};
use civitas_core::authz::Principal;
use civitas_core::sharing::{KEY_PREFIX, SharingKey};
use civitas_core::text::Text;
use civitas_core::time::Language;

use super::cookies::{CSRF_COOKIE, LANG_COOKIE, SESSION_COOKIE, clear_cookie, read_cookie};
use super::csrf;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Clone)]
pub enum Identity {
    Anonymous,
    Session {
        session: Box<Session>,
        user: Box<User>,
        principal: Principal,
    },
    Token {
        token: Box<ApiToken>,
        principal: Principal,
    },
    /// A program holding a sharing grant's data key (`civg_…`): it may read that grant's
    /// data and nothing else, so it is no caller for any other route.
    DataKey {
        key: Box<SharingKey>,
        caller: Box<Caller>,
    },
}

/// What every handler and the error renderer know about the request.
#[derive(Clone)]
pub struct RequestContext {
    pub identity: Identity,
    pub ip: Option<String>,
    pub lang: Language,
    /// JSON endpoints (API, health, metrics) rather than pages.
    pub is_api: bool,
    /// An htmx request that wants a fragment.
    pub is_htmx: bool,
    pub request_id: String,
    pub method: Method,
    pub path: String,
    /// The anonymous CSRF cookie's value, for sign-in and language forms.
    pub anon_csrf: Option<String>,
    /// A message left by the previous page (post/redirect/get).
    pub flash: Option<String>,
}

impl RequestContext {
    pub fn caller(&self) -> Option<Caller> {
        match &self.identity {
            Identity::Anonymous | Identity::DataKey { .. } => None,
            Identity::Session { principal, .. } | Identity::Token { principal, .. } => {
                Some(Caller::new(principal.clone(), self.ip.clone()))
            }
        }
    }
}

fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

fn accept_language(headers: &HeaderMap) -> Option<Language> {
    let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let first = value.split(',').next()?.split(';').next()?.trim();
    if first.to_ascii_lowercase().starts_with("zh") {
        Some(Language::ZhTw)
    } else if first.to_ascii_lowercase().starts_with("en") {
        Some(Language::En)
    } else {
        None
    }
}

/// `Some(Ok(secret))` for `Bearer <secret>`, `Some(Err(()))` for any other Authorization.
fn bearer(headers: &HeaderMap) -> Option<Result<String, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let Ok(text) = value.to_str() else {
        return Some(Err(()));
    };
    match text.split_once(' ') {
        Some((scheme, secret))
            if scheme.eq_ignore_ascii_case("bearer") && !secret.trim().is_empty() =>
        {
            Some(Ok(secret.trim().to_string()))
        }
        _ => Some(Err(())),
    }
}

fn client_ip(req: &Request<Body>, trust_forwarded: bool) -> Option<String> {
    if trust_forwarded {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware: identity, language, CSRF, then error rendering on the way out.
pub async fn authenticate(
    State(state): State<AppState>,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let is_api = is_api_path(&path);
    let headers = req.headers().clone();
    let mut ctx = RequestContext {
        identity: Identity::Anonymous,
        ip: client_ip(&req, state.settings.trust_forwarded_for),
        lang: Language::ZhTw,
        is_api,
        is_htmx: headers.contains_key("hx-request"),
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        method: req.method().clone(),
        path,
        anon_csrf: read_cookie(&headers, CSRF_COOKIE),
        flash: read_cookie(&headers, crate::ui::FLASH_COOKIE),
    };
    let header_lang = accept_language(&headers);
    let cookie_lang = read_cookie(&headers, LANG_COOKIE).and_then(|l| Language::parse(&l));
    let mut stale_session = false;

    match bearer(&headers) {
        Some(Ok(secret)) if secret.starts_with(KEY_PREFIX) => {
            match state.platform.sharing().resolve_key(&secret).await {
                Ok((key, mut caller)) => {
                    caller.source_ip = ctx.ip.clone();
                    ctx.identity = Identity::DataKey {
                        key: Box::new(key),
                        caller: Box::new(caller),
                    }
                }
                Err(e) => {
                    ctx.lang = header_lang.unwrap_or(Language::En);
                    return crate::render::finish(&state, &ctx, ApiError::from(e).into_response());
                }
            }
        }
        Some(Ok(secret)) => match state.platform.tokens().resolve(&secret).await {
            Ok((token, principal)) => {
                ctx.identity = Identity::Token {
                    token: Box::new(token),
                    principal,
                }
            }
            Err(e) => {
                ctx.lang = header_lang.unwrap_or(Language::En);
                return crate::render::finish(&state, &ctx, ApiError::from(e).into_response());
            }
        },
        Some(Err(())) => {
            ctx.lang = header_lang.unwrap_or(Language::En);
            let e = ApiError::new(
                "invalid_token",
                Text::new(
                    "Authorization 標頭格式應為「Bearer <權杖>」",
                    "the Authorization header must be 'Bearer <token>'",
                ),
            );
            return crate::render::finish(&state, &ctx, e.into_response());
        }
        None => {
            if let Some(secret) = read_cookie(&headers, SESSION_COOKIE) {
                match state.platform.accounts().resolve_session(&secret).await {
                    Ok(Some((session, user, principal))) => {
                        ctx.identity = Identity::Session {
                            session: Box::new(session),
                            user: Box::new(user),
                            principal,
                        }
                    }
                    Ok(None) => stale_session = true,
                    Err(e) => {
                        return crate::render::finish(
                            &state,
                            &ctx,
                            ApiError::from(e).into_response(),
                        );
                    }
                }
            }
        }
    }

    ctx.lang = match &ctx.identity {
        Identity::Session { user, .. } => user.language,
        _ if is_api => header_lang.unwrap_or(Language::En),
        _ => cookie_lang.unwrap_or(Language::ZhTw),
    };

    let cookie_borne = !matches!(
        ctx.identity,
        Identity::Token { .. } | Identity::DataKey { .. }
    );
    let anonymous_api = is_api && matches!(ctx.identity, Identity::Anonymous);
    if unsafe_method(&ctx.method) && cookie_borne && !anonymous_api {
        let expected = match &ctx.identity {
            Identity::Session { session, .. } => Some(session.csrf_token.clone()),
            _ => ctx.anon_csrf.clone(),
        };
        req = match csrf::verify(req, expected.as_deref(), state.settings.max_body_bytes).await {
            Ok(req) => req,
            Err(e) => return crate::render::finish(&state, &ctx, e.into_response()),
        };
    }

    req.extensions_mut().insert(ctx.clone());
    let response = next.run(req).await;
    let mut response = crate::render::finish(&state, &ctx, response);
    // A dead session cookie is cleared, unless this very response signs someone in.
    let sets_session = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.starts_with(SESSION_COOKIE)));
    if stale_session && !sets_session {
        clear_cookie(
            response.headers_mut(),
            SESSION_COOKIE,
            state.settings.cookie_secure,
        );
    }
    response
}

/// The caller of an API endpoint: a token or a signed-in session; 401 otherwise.
pub struct ApiCaller {
    pub caller: Caller,
    pub ctx: RequestContext,
}

impl<S: Send + Sync> FromRequestParts<S> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ctx = parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .ok_or_else(ApiError::unauthenticated)?;
        let caller = ctx.caller().ok_or_else(ApiError::unauthenticated)?;
        Ok(ApiCaller { caller, ctx })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .ok_or_else(|| {
                ApiError::internal("request context missing: authenticate middleware not installed")
            })
    }
}
