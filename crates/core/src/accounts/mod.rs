//! People who use civitas: accounts, their role grants, sign-in sessions and API tokens.

mod password;
mod service;
mod session;
mod token;
mod user;

pub use password::{Argon2Params, check_password_policy, hash_password, verify_password};
pub use service::{AccountService, LoginSuccess, NewUserRequest, TokenService};
pub use session::{NewSession, Session, hash_secret};
pub use token::{ApiToken, NewToken, TOKEN_PREFIX, generate_token};
pub use user::{NewUser, RoleGrant, User, UserFilter, UserName, UserProfile};
