//! Account, sign-in and token services: authorisation, policy and audit around the stores.

use serde_json::json;
use time::Duration;

use super::password::{check_password_policy, hash_password, verify_password};
use super::session::{NewSession, Session, hash_secret};
use super::token::{ApiToken, NewToken, TOKEN_PREFIX, generate_token};
use super::user::{NewUser, RoleGrant, User, UserFilter, UserName, UserProfile};
use crate::agencies::{AgencyCode, AgencyTree};
use crate::audit::{Actor, AuditEvent, Outcome, diff_json};
use crate::authz::{Grant, Permission, Principal, Role, Scope, Target};
use crate::error::{DomainError, DomainResult};
use crate::page::{Page, PageRequest};
use crate::platform::{Caller, Platform};
use crate::text::Text;
use crate::time::{DateStyle, Language, Timestamp};

/// A password hash that never matches, so unknown names cost as much time as known ones.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$Kq2iN8gE2B3bM7Vg2gSx3ZcQ9Ls7q5Wq0vXQxJm4f4I";

/// Last-seen and last-used times are written at most this often.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

pub struct LoginSuccess {
    /// The secret for the session cookie; never stored.
    pub session_secret: String,
    pub session: Session,
    pub user: User,
}

#[derive(Debug, Clone)]
pub struct NewUserRequest {
    pub name: String,
    pub display_name: String,
    pub email: Option<String>,
    pub home_agency: Option<String>,
    pub password: String,
    pub grants: Vec<Grant>,
    pub language: Language,
    pub date_style: DateStyle,
}

async fn hash_blocking(
    password: String,
    params: crate::accounts::Argon2Params,
) -> DomainResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password, &params))
        .await
        .map_err(|e| DomainError::store(format!("hashing task: {e}")))?
}

async fn verify_blocking(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false)
}

/// Names typed at the sign-in form go into the audit trail; keep them printable and short.
fn sanitise_attempted_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
}

pub struct AccountService<'a> {
    p: &'a Platform,
}

impl<'a> AccountService<'a> {
    pub fn new(p: &'a Platform) -> Self {
        AccountService { p }
    }

    async fn tree_target(&self, agency: Option<&AgencyCode>) -> DomainResult<Target> {
        self.p.agencies().target(agency).await
    }

    async fn require_active_agency(&self, field: &str, code: &AgencyCode) -> DomainResult<()> {
        match self.p.stores.agencies.agency(code).await? {
            Some(a) if a.active => Ok(()),
            Some(_) => Err(DomainError::invalid(
                field,
                Text::new(
                    format!("機關 {code} 已裁撤"),
                    format!("agency {code} is retired"),
                ),
            )),
            None => Err(DomainError::invalid(
                field,
                Text::new(
                    format!("找不到代碼為 {code} 的機關"),
                    format!("no agency has the code {code}"),
                ),
            )),
        }
    }

    pub async fn principal_for(&self, user: &User) -> DomainResult<Principal> {
        let grants = self.p.stores.accounts.grants_of(user.id).await?;
        Ok(Principal {
            user_id: Some(user.id),
            user_name: user.name.to_string(),
            home_agency: user.home_agency.clone(),
            grants: grants.into_iter().map(|g| g.grant).collect(),
            token_id: None,
        })
    }

    /// Sign in with a name and password. Locks the account after repeated failures.
    pub async fn login(
        &self,
        name: &str,
        password: &str,
        source_ip: Option<String>,
    ) -> DomainResult<LoginSuccess> {
        let now = self.p.now();
        let attempted = sanitise_attempted_name(name);
        let failure = |action: &str, user_id: Option<i64>, reason: &str| AuditEvent {
            at: now,
            actor: Actor {
                user_id,
                name: attempted.clone(),
            },
            acting_agency: None,
            action: action.to_string(),
            object_type: "user".into(),
            object_id: attempted.clone(),
            source_ip: source_ip.clone(),
            outcome: Outcome::Failure,
            summary: json!({ "reason": reason }),
        };
        let user = match UserName::parse(name) {
            Ok(parsed) => self.p.stores.accounts.user_by_name(parsed.as_str()).await?,
            Err(_) => None,
        };
        let Some(user) = user else {
            verify_blocking(password.to_string(), DUMMY_HASH.to_string()).await;
            self.p
                .stores
                .audit
                .append(failure("auth.login", None, "unknown user"))
                .await?;
            return Err(DomainError::BadCredentials);
        };
        if let Some(until) = user.locked_until.filter(|until| *until > now) {
            self.p
                .stores
                .audit
                .append(failure("auth.login", Some(user.id), "account locked"))
                .await?;
            return Err(DomainError::AccountLocked { until });
        }
        let phc = self
            .p
            .stores
            .accounts
            .password_hash(user.id)
            .await?
            .unwrap_or_else(|| DUMMY_HASH.to_string());
        if !verify_blocking(password.to_string(), phc).await {
            // A lock that has run out starts the count afresh.
            let previous = if user.locked_until.is_some() {
                0
            } else {
                user.failed_logins
            };
            let failed = previous.saturating_add(1);
            let mut events = vec![failure("auth.login", Some(user.id), "wrong password")];
            let locked_until = if failed >= self.p.policy.max_failed_logins {
                let until = now.add(self.p.policy.lockout);
                events.push(AuditEvent {
                    action: "user.lock".into(),
                    outcome: Outcome::Success,
                    summary: json!({ "failed_logins": failed, "locked_until": until }),
                    ..failure("user.lock", Some(user.id), "")
                });
                Some(until)
            } else {
                None
            };
            self.p
                .stores
                .accounts
                .record_login_failure(user.id, failed, locked_until, events)
                .await?;
            return Err(match locked_until {
                Some(until) => DomainError::AccountLocked { until },
                None => DomainError::BadCredentials,
            });
        }
        if !user.active {
            self.p
                .stores
                .audit
                .append(failure("auth.login", Some(user.id), "account disabled"))
                .await?;
            return Err(DomainError::AccountDisabled);
        }
        let secret = crate::random::secret_hex()?;
        let session = Session {
            id_hash: hash_secret(&secret),
            user_id: user.id,
            csrf_token: crate::random::secret_hex()?,
            created_at: now,
            last_seen_at: now,
            expires_at: now.add(self.p.policy.session_idle),
            absolute_expires_at: now.add(self.p.policy.session_absolute),
            source_ip: source_ip.clone(),
        };
        let event = AuditEvent {
            at: now,
            actor: Actor {
                user_id: Some(user.id),
                name: user.name.to_string(),
            },
            acting_agency: user.home_agency.as_ref().map(|c| c.to_string()),
            action: "auth.login".into(),
            object_type: "user".into(),
            object_id: user.name.to_string(),
            source_ip,
            outcome: Outcome::Success,
            summary: json!({}),
        };
        self.p
            .stores
            .accounts
            .record_login_success(
                user.id,
                &NewSession {
                    session: session.clone(),
                },
                event,
            )
            .await?;
        let user = self
            .p
            .stores
            .accounts
            .user_by_id(user.id)
            .await?
            .ok_or_else(|| DomainError::not_found("user", user.name.as_str()))?;
        Ok(LoginSuccess {
            session_secret: secret,
            session,
            user,
        })
    }

    pub async fn logout(&self, caller: &Caller, session: &Session) -> DomainResult<()> {
        let at = self.p.now();
        let name = caller.principal.user_name.clone();
        let event = caller.self_event(at, "auth.logout", "user", &name, json!({}));
        self.p
            .stores
            .sessions
            .end_session(&session.id_hash, Some(event))
            .await
    }

    /// The live session for a cookie secret, with its user and what they may do.
    pub async fn resolve_session(
        &self,
        secret: &str,
    ) -> DomainResult<Option<(Session, User, Principal)>> {
        let now = self.p.now();
        let hash = hash_secret(secret);
        let Some(mut session) = self.p.stores.sessions.session(&hash).await? else {
            return Ok(None);
        };
        if now >= session.expires_at || now >= session.absolute_expires_at {
            self.p.stores.sessions.end_session(&hash, None).await?;
            return Ok(None);
        }
        let Some(user) = self.p.stores.accounts.user_by_id(session.user_id).await? else {
            self.p.stores.sessions.end_session(&hash, None).await?;
            return Ok(None);
        };
        if !user.active {
            self.p.stores.sessions.end_session(&hash, None).await?;
            return Ok(None);
        }
        if now.since(session.last_seen_at) >= TOUCH_INTERVAL {
            let expires = now.add(self.p.policy.session_idle);
            self.p
                .stores
                .sessions
                .touch_session(&hash, now, expires)
                .await?;
            session.last_seen_at = now;
            session.expires_at = expires;
        }
        let principal = self.principal_for(&user).await?;
        Ok(Some((session, user, principal)))
    }

    pub async fn create_user(&self, caller: &Caller, req: NewUserRequest) -> DomainResult<User> {
        let name = UserName::parse(&req.name)?;
        let home_agency = match req
            .home_agency
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(code) => Some(AgencyCode::parse(code).map_err(|_| {
                DomainError::invalid(
                    "home_agency",
                    Text::new("機關代碼格式不正確", "not an agency code"),
                )
            })?),
            None => None,
        };
        let profile = UserProfile {
            display_name: req.display_name,
            email: req.email,
            home_agency: home_agency.clone(),
            active: true,
            language: req.language,
            date_style: req.date_style,
        }
        .normalised()?;
        if let Some(code) = &home_agency {
            self.require_active_agency("home_agency", code).await?;
        }
        let auth = caller.principal.authorize(
            Permission::ManageUsers,
            &self.tree_target(home_agency.as_ref()).await?,
        )?;
        for grant in &req.grants {
            if let Some(code) = grant.scope.agency() {
                self.require_active_agency("grants", code).await?;
            }
            caller.principal.authorize(
                Permission::ManageUsers,
                &self.tree_target(grant.scope.agency()).await?,
            )?;
        }
        check_password_policy(&req.password, name.as_str())?;
        if self
            .p
            .stores
            .accounts
            .user_by_name(name.as_str())
            .await?
            .is_some()
        {
            return Err(DomainError::AlreadyExists {
                what: "user",
                key: name.to_string(),
            });
        }
        let hash = hash_blocking(req.password, self.p.policy.argon2).await?;
        let at = self.p.now();
        let mut grants = req.grants;
        grants.sort();
        grants.dedup();
        let event = caller.event(
            at,
            &auth,
            "user.create",
            "user",
            name.as_str(),
            json!({ "profile": profile, "grants": grants }),
        );
        let new_user = NewUser {
            name,
            profile,
            password_hash: hash,
            created_at: at,
        };
        self.p
            .stores
            .accounts
            .create_user(&new_user, &grants, &caller.principal.user_name, event)
            .await
    }

    async fn user_named(&self, name: &str) -> DomainResult<User> {
        let parsed = UserName::parse(name).map_err(|_| DomainError::not_found("user", name))?;
        self.p
            .stores
            .accounts
            .user_by_name(parsed.as_str())
            .await?
            .ok_or_else(|| DomainError::not_found("user", name))
    }

    /// Users the caller may see: everyone for a city-wide grant, otherwise those whose home
    /// agency lies within the caller's scopes.
    pub async fn list_users(
        &self,
        caller: &Caller,
        mut filter: UserFilter,
        page: PageRequest,
    ) -> DomainResult<Page<User>> {
        if caller
            .principal
            .authorize(Permission::ReadUsers, &Target::City)
            .is_err()
        {
            let scopes: Vec<&AgencyCode> = caller
                .principal
                .grants
                .iter()
                .filter(|g| g.role.has(Permission::ReadUsers))
                .filter_map(|g| g.scope.agency())
                .collect();
            if scopes.is_empty() {
                return Err(DomainError::Forbidden {
                    needed: Permission::ReadUsers.as_str().into(),
                });
            }
            let all = self.p.stores.agencies.agencies().await?;
            let tree = AgencyTree::new(&all);
            let visible: Vec<AgencyCode> = all
                .iter()
                .filter(|a| {
                    scopes
                        .iter()
                        .any(|s| tree.is_descendant_or_self(&a.code, s))
                })
                .map(|a| a.code.clone())
                .collect();
            filter.home_agencies = Some(match filter.home_agencies {
                Some(asked) => asked.into_iter().filter(|c| visible.contains(c)).collect(),
                None => visible,
            });
        }
        self.p.stores.accounts.list_users(&filter, page).await
    }

    pub async fn get_user(
        &self,
        caller: &Caller,
        name: &str,
    ) -> DomainResult<(User, Vec<RoleGrant>)> {
        let user = self.user_named(name).await?;
        if caller.principal.user_id != Some(user.id) {
            caller.principal.authorize(
                Permission::ReadUsers,
                &self.tree_target(user.home_agency.as_ref()).await?,
            )?;
        }
        let grants = self.p.stores.accounts.grants_of(user.id).await?;
        Ok((user, grants))
    }

    pub async fn update_profile(
        &self,
        caller: &Caller,
        name: &str,
        profile: UserProfile,
    ) -> DomainResult<User> {
        let user = self.user_named(name).await?;
        let profile = profile.normalised()?;
        let auth = caller.principal.authorize(
            Permission::ManageUsers,
            &self.tree_target(user.home_agency.as_ref()).await?,
        )?;
        if profile.home_agency != user.home_agency {
            if let Some(code) = &profile.home_agency {
                self.require_active_agency("home_agency", code).await?;
            }
            caller.principal.authorize(
                Permission::ManageUsers,
                &self.tree_target(profile.home_agency.as_ref()).await?,
            )?;
        }
        if caller.principal.user_id == Some(user.id) && !profile.active {
            return Err(DomainError::conflict(
                "不能停用自己的帳號",
                "you cannot disable your own account",
            ));
        }
        let before = UserProfile::of(&user);
        if before == profile {
            return Ok(user);
        }
        let at = self.p.now();
        let action = match (before.active, profile.active) {
            (true, false) => "user.disable",
            (false, true) => "user.enable",
            _ => "user.update",
        };
        let summary = diff_json(
            &serde_json::to_value(&before).unwrap_or_default(),
            &serde_json::to_value(&profile).unwrap_or_default(),
        );
        let event = caller.event(at, &auth, action, "user", user.name.as_str(), summary);
        self.p
            .stores
            .accounts
            .update_profile(user.id, &profile, at, event)
            .await
    }

    /// A person's own language and date style.
    pub async fn set_preferences(
        &self,
        caller: &Caller,
        language: Language,
        date_style: DateStyle,
    ) -> DomainResult<User> {
        let user_id = caller
            .principal
            .user_id
            .ok_or(DomainError::Unauthenticated)?;
        let user = self
            .p
            .stores
            .accounts
            .user_by_id(user_id)
            .await?
            .ok_or(DomainError::Unauthenticated)?;
        let before = UserProfile::of(&user);
        let after = UserProfile {
            language,
            date_style,
            ..before.clone()
        };
        if before == after {
            return Ok(user);
        }
        let at = self.p.now();
        let summary = diff_json(
            &serde_json::to_value(&before).unwrap_or_default(),
            &serde_json::to_value(&after).unwrap_or_default(),
        );
        let event = caller.self_event(at, "user.preferences", "user", user.name.as_str(), summary);
        self.p
            .stores
            .accounts
            .update_profile(user.id, &after, at, event)
            .await
    }

    /// Change one's own password; other sessions end, `keep_session` (a hash) stays.
    pub async fn change_own_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
        keep_session: Option<&str>,
    ) -> DomainResult<()> {
        let user_id = caller
            .principal
            .user_id
            .ok_or(DomainError::Unauthenticated)?;
        let user = self
            .p
            .stores
            .accounts
            .user_by_id(user_id)
            .await?
            .ok_or(DomainError::Unauthenticated)?;
        let phc = self
            .p
            .stores
            .accounts
            .password_hash(user.id)
            .await?
            .unwrap_or_else(|| DUMMY_HASH.to_string());
        if !verify_blocking(current.to_string(), phc).await {
            return Err(DomainError::invalid(
                "current_password",
                Text::new("目前的密碼不正確", "the current password is not correct"),
            ));
        }
        if current == new {
            return Err(DomainError::invalid(
                "new_password",
                Text::new(
                    "新密碼必須與目前的密碼不同",
                    "choose a password different from the current one",
                ),
            ));
        }
        check_password_policy(new, user.name.as_str())?;
        let hash = hash_blocking(new.to_string(), self.p.policy.argon2).await?;
        let at = self.p.now();
        let event = caller.self_event(
            at,
            "user.password_change",
            "user",
            user.name.as_str(),
            json!({}),
        );
        self.p
            .stores
            .accounts
            .set_password(user.id, &hash, at, keep_session, event)
            .await
    }

    /// An administrator sets someone's password (e.g. they forgot it); their sessions end.
    pub async fn reset_password(&self, caller: &Caller, name: &str, new: &str) -> DomainResult<()> {
        let user = self.user_named(name).await?;
        let auth = caller.principal.authorize(
            Permission::ManageUsers,
            &self.tree_target(user.home_agency.as_ref()).await?,
        )?;
        check_password_policy(new, user.name.as_str())?;
        let hash = hash_blocking(new.to_string(), self.p.policy.argon2).await?;
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "user.password_reset",
            "user",
            user.name.as_str(),
            json!({}),
        );
        self.p
            .stores
            .accounts
            .set_password(user.id, &hash, at, None, event)
            .await
    }

    /// Lift a lock-out before it runs out.
    pub async fn unlock(&self, caller: &Caller, name: &str) -> DomainResult<()> {
        let user = self.user_named(name).await?;
        let auth = caller.principal.authorize(
            Permission::ManageUsers,
            &self.tree_target(user.home_agency.as_ref()).await?,
        )?;
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "user.unlock",
            "user",
            user.name.as_str(),
            json!({ "failed_logins": user.failed_logins }),
        );
        self.p
            .stores
            .accounts
            .record_login_failure(user.id, 0, None, vec![event])
            .await
    }

    pub async fn grant(
        &self,
        caller: &Caller,
        name: &str,
        grant: Grant,
    ) -> DomainResult<RoleGrant> {
        let user = self.user_named(name).await?;
        caller.principal.authorize(
            Permission::ManageUsers,
            &self.tree_target(user.home_agency.as_ref()).await?,
        )?;
        if let Some(code) = grant.scope.agency() {
            self.require_active_agency("agency", code).await?;
        }
        let auth = caller.principal.authorize(
            Permission::ManageUsers,
            &self.tree_target(grant.scope.agency()).await?,
        )?;
        let existing = self.p.stores.accounts.grants_of(user.id).await?;
        if existing.iter().any(|g| g.grant == grant) {
            return Err(DomainError::AlreadyExists {
                what: "grant",
                key: format!("{} {}", user.name, describe_grant(&grant)),
            });
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "user.grant",
            "user",
            user.name.as_str(),
            json!({ "grant": grant }),
        );
        self.p
            .stores
            .accounts
            .add_grant(user.id, &grant, at, &caller.principal.user_name, event)
            .await
    }

    pub async fn revoke_grant(
        &self,
        caller: &Caller,
        name: &str,
        grant_id: i64,
    ) -> DomainResult<()> {
        let user = self.user_named(name).await?;
        caller.principal.authorize(
            Permission::ManageUsers,
            &self.tree_target(user.home_agency.as_ref()).await?,
        )?;
        let grants = self.p.stores.accounts.grants_of(user.id).await?;
        let grant = grants
            .iter()
            .find(|g| g.id == grant_id)
            .ok_or_else(|| DomainError::not_found("grant", grant_id.to_string()))?;
        let auth = caller.principal.authorize(
            Permission::ManageUsers,
            &self.tree_target(grant.grant.scope.agency()).await?,
        )?;
        if caller.principal.user_id == Some(user.id)
            && grant.grant.role == Role::PlatformAdmin
            && grant.grant.scope == Scope::City
        {
            return Err(DomainError::conflict(
                "不能移除自己的全市平台管理者角色；請由另一位管理者處理",
                "you cannot remove your own city-wide administrator role; ask another administrator",
            ));
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "user.revoke",
            "user",
            user.name.as_str(),
            json!({ "grant": grant.grant }),
        );
        self.p.stores.accounts.remove_grant(grant_id, event).await
    }
}

pub fn describe_grant(grant: &Grant) -> String {
    match &grant.scope {
        Scope::City => format!("{} (city-wide)", grant.role),
        Scope::Agency(code) => format!("{} @ {code}", grant.role),
    }
}

pub struct TokenService<'a> {
    p: &'a Platform,
}

impl<'a> TokenService<'a> {
    pub fn new(p: &'a Platform) -> Self {
        TokenService { p }
    }

    /// Authorise acting on `owner`'s tokens: one's own, or anyone's with `manage_any_token`.
    async fn authorize_for(
        &self,
        caller: &Caller,
        owner: &User,
    ) -> DomainResult<crate::authz::Authorization> {
        if caller.principal.user_id == Some(owner.id) {
            return Ok(crate::authz::Authorization {
                acting_agency: caller.principal.home_agency.clone(),
            });
        }
        let target = self.p.agencies().target(owner.home_agency.as_ref()).await?;
        caller
            .principal
            .authorize(Permission::ManageAnyToken, &target)
    }

    /// Create a token for `owner` (default: the caller) holding the owner's grants for
    /// `roles` (default: all of them). Returns the plaintext, shown once.
    pub async fn create(
        &self,
        caller: &Caller,
        owner: Option<&str>,
        label: &str,
        roles: Option<&[Role]>,
        lifetime: Duration,
    ) -> DomainResult<(String, ApiToken)> {
        let owner = match owner {
            Some(name) => AccountService::new(self.p).user_named(name).await?,
            None => {
                let id = caller.principal.user_id.ok_or_else(|| {
                    DomainError::invalid(
                        "user",
                        Text::new(
                            "請指定權杖屬於哪一位使用者",
                            "say which user the token is for",
                        ),
                    )
                })?;
                self.p
                    .stores
                    .accounts
                    .user_by_id(id)
                    .await?
                    .ok_or(DomainError::Unauthenticated)?
            }
        };
        let auth = self.authorize_for(caller, &owner).await?;
        if !owner.active {
            return Err(DomainError::conflict(
                format!("{} 的帳號已停用", owner.name),
                format!("{} is disabled", owner.name),
            ));
        }
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 80 || label.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "label",
                Text::new(
                    "請為權杖取 1 至 80 字的名稱，例如使用它的程式",
                    "give the token a name of 1–80 characters, e.g. what script uses it",
                ),
            ));
        }
        if lifetime <= Duration::ZERO {
            return Err(DomainError::invalid(
                "expires",
                Text::new("到期時間必須在未來", "the expiry must be in the future"),
            ));
        }
        if lifetime > self.p.policy.token_max_lifetime {
            return Err(DomainError::invalid(
                "expires",
                Text::new(
                    format!(
                        "權杖最長有效 {} 天",
                        self.p.policy.token_max_lifetime.whole_days()
                    ),
                    format!(
                        "a token may live at most {} days",
                        self.p.policy.token_max_lifetime.whole_days()
                    ),
                ),
            ));
        }
        let held: Vec<Grant> = self
            .p
            .stores
            .accounts
            .grants_of(owner.id)
            .await?
            .into_iter()
            .map(|g| g.grant)
            .collect();
        let grants: Vec<Grant> = match roles {
            None => held,
            Some(roles) => {
                for role in roles {
                    if !held.iter().any(|g| g.role == *role) {
                        return Err(DomainError::invalid(
                            "roles",
                            Text::new(
                                format!(
                                    "{} 沒有 {role} 角色；權杖只能帶有擁有者本身具備的角色",
                                    owner.name
                                ),
                                format!(
                                    "{} does not hold the role {role}; a token can only carry roles its owner holds",
                                    owner.name
                                ),
                            ),
                        ));
                    }
                }
                held.into_iter()
                    .filter(|g| roles.contains(&g.role))
                    .collect()
            }
        };
        if grants.is_empty() {
            return Err(DomainError::invalid(
                "roles",
                Text::new(
                    format!("{} 沒有任何角色，權杖將無法使用", owner.name),
                    format!("{} holds no roles, so a token would be useless", owner.name),
                ),
            ));
        }
        let (secret, prefix, hash) = generate_token()?;
        let at = self.p.now();
        let new = NewToken {
            user_id: owner.id,
            label: label.to_string(),
            prefix: prefix.clone(),
            secret_hash: hash,
            grants: grants.clone(),
            created_at: at,
            expires_at: at.add(lifetime),
        };
        let event = caller.event(
            at,
            &auth,
            "token.create",
            "token",
            &prefix,
            json!({ "owner": owner.name, "label": label, "grants": grants, "expires_at": new.expires_at }),
        );
        let token = self.p.stores.tokens.create_token(&new, event).await?;
        Ok((secret, token))
    }

    pub async fn list(&self, caller: &Caller, owner: Option<&str>) -> DomainResult<Vec<ApiToken>> {
        match owner {
            Some(name) => {
                let owner = AccountService::new(self.p).user_named(name).await?;
                self.authorize_for(caller, &owner).await?;
                self.p.stores.tokens.list_tokens(Some(owner.id)).await
            }
            None if caller.principal.is_operator() => self.p.stores.tokens.list_tokens(None).await,
            None => {
                let id = caller
                    .principal
                    .user_id
                    .ok_or(DomainError::Unauthenticated)?;
                self.p.stores.tokens.list_tokens(Some(id)).await
            }
        }
    }

    pub async fn revoke(&self, caller: &Caller, id: i64) -> DomainResult<ApiToken> {
        let token = self
            .p
            .stores
            .tokens
            .token_by_id(id)
            .await?
            .ok_or_else(|| DomainError::not_found("token", id.to_string()))?;
        let owner = self
            .p
            .stores
            .accounts
            .user_by_id(token.user_id)
            .await?
            .ok_or_else(|| DomainError::not_found("user", token.user_name.clone()))?;
        // Someone else's token that the caller may not manage does not exist for them.
        let auth = self
            .authorize_for(caller, &owner)
            .await
            .map_err(|_| DomainError::not_found("token", id.to_string()))?;
        if token.revoked_at.is_some() {
            return Err(DomainError::conflict(
                "此權杖已經撤銷",
                "this token is already revoked",
            ));
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "token.revoke",
            "token",
            &token.prefix,
            json!({ "owner": owner.name, "label": token.label }),
        );
        self.p.stores.tokens.revoke_token(id, at, event).await?;
        self.p
            .stores
            .tokens
            .token_by_id(id)
            .await?
            .ok_or_else(|| DomainError::not_found("token", id.to_string()))
    }

    /// The principal behind a bearer token: the token's grants that its owner still holds.
    pub async fn resolve(&self, secret: &str) -> DomainResult<(ApiToken, Principal)> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Err(DomainError::InvalidToken(Text::new(
                "這不是 civitas API 權杖（權杖以 civ_ 開頭）",
                "this is not a civitas API token (they start with civ_)",
            )));
        }
        let now: Timestamp = self.p.now();
        let token = self
            .p
            .stores
            .tokens
            .token_by_hash(&hash_secret(secret))
            .await?
            .ok_or(DomainError::InvalidToken(Text::new(
                "無法辨識的權杖；請在「我的 API 權杖」建立新的權杖",
                "unknown token; create a new one under My API tokens",
            )))?;
        if token.revoked_at.is_some() {
            return Err(DomainError::InvalidToken(Text::new(
                "此權杖已撤銷",
                "this token was revoked",
            )));
        }
        if now >= token.expires_at {
            return Err(DomainError::InvalidToken(Text::new(
                "此權杖已過期；請建立新的權杖",
                "this token has expired; create a new one",
            )));
        }
        let owner = self
            .p
            .stores
            .accounts
            .user_by_id(token.user_id)
            .await?
            .ok_or(DomainError::InvalidToken(Text::new(
                "權杖的擁有者已不存在",
                "the token's owner no longer exists",
            )))?;
        if !owner.active {
            return Err(DomainError::InvalidToken(Text::new(
                "權杖擁有者的帳號已停用",
                "the token's owner is disabled",
            )));
        }
        let held: Vec<Grant> = self
            .p
            .stores
            .accounts
            .grants_of(owner.id)
            .await?
            .into_iter()
            .map(|g| g.grant)
            .collect();
        let grants = token
            .grants
            .iter()
            .filter(|g| held.contains(g))
            .cloned()
            .collect();
        if token
            .last_used_at
            .is_none_or(|used| now.since(used) >= TOUCH_INTERVAL)
        {
            self.p.stores.tokens.touch_token(token.id, now).await?;
        }
        let principal = Principal {
            user_id: Some(owner.id),
            user_name: owner.name.to_string(),
            home_agency: owner.home_agency.clone(),
            grants,
            token_id: Some(token.id),
        };
        Ok((token, principal))
    }
}
