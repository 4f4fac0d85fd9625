//! `civitas user …` and `civitas token …`.

use std::process::ExitCode;

use civitas_core::accounts::{NewUserRequest, UserFilter};
use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::page::PageRequest;
use civitas_core::time::{DateStyle, Language, parse_duration};

use super::{domain, read_password_stdin};
use crate::cli::{TokenCommand, UserCommand};
use crate::config::Settings;
use crate::runtime;

fn role(name: &str) -> anyhow::Result<Role> {
    Role::parse(name).ok_or_else(|| {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        anyhow::anyhow!("unknown role '{name}'; roles are: {}", all.join(", "))
    })
}

fn grant(role_name: &str, agency: Option<&str>) -> anyhow::Result<Grant> {
    let scope = match agency {
        Some(code) => Scope::Agency(AgencyCode::parse(code).map_err(domain)?),
        None => Scope::City,
    };
    Ok(Grant {
        role: role(role_name)?,
        scope,
    })
}

pub async fn user(settings: &Settings, cmd: &UserCommand) -> anyhow::Result<ExitCode> {
    let (_, platform) = runtime::open(settings)?;
    let op = runtime::operator();
    let accounts = platform.accounts();
    match cmd {
        UserCommand::Add {
            name,
            role: role_name,
            agency,
            display_name,
            email,
            ..
        } => {
            let password = read_password_stdin()?;
            let grants = match role_name {
                Some(r) => vec![grant(r, agency.as_deref())?],
                None => Vec::new(),
            };
            let user = accounts
                .create_user(
                    &op,
                    NewUserRequest {
                        name: name.clone(),
                        display_name: display_name.clone().unwrap_or_else(|| name.clone()),
                        email: email.clone(),
                        home_agency: agency.clone(),
                        password,
                        grants,
                        language: Language::ZhTw,
                        date_style: DateStyle::Roc,
                    },
                )
                .await
                .map_err(domain)?;
            println!("已建立使用者 / created user {}", user.name);
        }
        UserCommand::List { json } => {
            let mut page = 1;
            let mut rows = Vec::new();
            loop {
                let result = accounts
                    .list_users(
                        &op,
                        UserFilter::default(),
                        PageRequest {
                            page,
                            per_page: 500,
                        },
                    )
                    .await
                    .map_err(domain)?;
                let pages = result.pages();
                for u in result.items {
                    let grants = platform
                        .stores
                        .accounts
                        .grants_of(u.id)
                        .await
                        .map_err(domain)?;
                    rows.push((u, grants));
                }
                if u64::from(page) >= pages {
                    break;
                }
                page += 1;
            }
            if *json {
                let list: Vec<_> = rows
                    .iter()
                    .map(|(u, g)| {
                        serde_json::json!({
                            "name": u.name, "display_name": u.display_name, "home_agency": u.home_agency,
                            "active": u.active, "grants": g.iter().map(|g| &g.grant).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for (u, g) in rows {
                    let roles: Vec<String> = g
                        .iter()
                        .map(|g| match &g.grant.scope {
                            Scope::City => g.grant.role.to_string(),
                            Scope::Agency(c) => format!("{}@{c}", g.grant.role),
                        })
                        .collect();
                    println!(
                        "{:<20} {:<12} {:<8} {}",
                        u.name.as_str(),
                        u.home_agency.as_ref().map(|c| c.as_str()).unwrap_or("-"),
                        if u.active { "active" } else { "disabled" },
                        roles.join(", ")
                    );
                }
            }
        }
        UserCommand::SetPassword { name, .. } => {
            let password = read_password_stdin()?;
            accounts
                .reset_password(&op, name, &password)
                .await
                .map_err(domain)?;
            println!("已設定密碼 / password set for {name}; their sessions ended");
        }
        UserCommand::Grant {
            name,
            role: r,
            agency,
        } => {
            accounts
                .grant(&op, name, grant(r, agency.as_deref())?)
                .await
                .map_err(domain)?;
            println!("已授予 / granted {r} to {name}");
        }
        UserCommand::Revoke {
            name,
            role: r,
            agency,
        } => {
            let wanted = grant(r, agency.as_deref())?;
            let (user, grants) = accounts.get_user(&op, name).await.map_err(domain)?;
            let found = grants.iter().find(|g| g.grant == wanted).ok_or_else(|| {
                anyhow::anyhow!("{} does not hold {r} with that scope", user.name)
            })?;
            accounts
                .revoke_grant(&op, name, found.id)
                .await
                .map_err(domain)?;
            println!("已移除 / revoked {r} from {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn token(settings: &Settings, cmd: &TokenCommand) -> anyhow::Result<ExitCode> {
    let (_, platform) = runtime::open(settings)?;
    let op = runtime::operator();
    let tokens = platform.tokens();
    match cmd {
        TokenCommand::Create {
            user,
            roles,
            expires,
            label,
            json,
        } => {
            let lifetime = parse_duration(expires).ok_or_else(|| {
                anyhow::anyhow!(
                    "--expires takes a number and a unit, e.g. 30d, 12h, 2w (got '{expires}')"
                )
            })?;
            let roles = roles
                .iter()
                .map(|r| role(r))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let roles = (!roles.is_empty()).then_some(roles);
            let (secret, token) = tokens
                .create(&op, Some(user), label, roles.as_deref(), lifetime)
                .await
                .map_err(domain)?;
            if *json {
                println!(
                    "{}",
                    serde_json::json!({ "token": secret, "id": token.id, "expires_at": token.expires_at })
                );
            } else {
                println!("{secret}");
                eprintln!(
                    "（只顯示這一次 / shown only this once; id {}, expires {}）",
                    token.id, token.expires_at
                );
            }
        }
        TokenCommand::List { user, json } => {
            let list = tokens.list(&op, user.as_deref()).await.map_err(domain)?;
            if *json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|t| serde_json::json!({
                        "id": t.id, "owner": t.user_name, "label": t.label, "prefix": t.prefix,
                        "grants": t.grants, "expires_at": t.expires_at, "last_used_at": t.last_used_at,
                        "revoked_at": t.revoked_at,
                    }))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for t in list {
                    let state = if t.revoked_at.is_some() {
                        "revoked"
                    } else {
                        ""
                    };
                    println!(
                        "{:<5} {:<16} {:<14} {:<28} {} {state}",
                        t.id, t.user_name, t.prefix, t.label, t.expires_at
                    );
                }
            }
        }
        TokenCommand::Revoke { id } => {
            let t = tokens.revoke(&op, *id).await.map_err(domain)?;
            println!("已撤銷 / revoked token {} ({})", t.id, t.label);
        }
    }
    Ok(ExitCode::SUCCESS)
}
