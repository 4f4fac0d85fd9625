//! Who is calling: a bearer token, a session cookie, or nobody. Resolved once per request by
//! the `authenticate` middleware, which also enforces CSRF on every state-changing request
//! that rides on a cookie, and renders every error in the caller's language.

mod cookies;
mod csrf;
mod identity;
mod throttle;

pub use cookies::{CSRF_COOKIE, LANG_COOKIE, SESSION_COOKIE, clear_cookie, set_cookie};
pub use identity::{ApiCaller, Identity, RequestContext, authenticate};
pub use throttle::LoginThrottle;
