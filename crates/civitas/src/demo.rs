//! The demo data set: Taoyuan's real bureaus and offices, the 民國113年 merger the audit
//! report records, a handful of staff in each role, and a month of their sign-ins replayed
//! through the real services on a moving clock, so every number on screen has history.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use civitas_core::Platform;
use civitas_core::accounts::NewUserRequest;
use civitas_core::agencies::{AgencyCode, AgencyImportFormat};
use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::catalog::CatalogFormat;
use civitas_core::clock::{Clock, ManualClock, SystemClock};
use civitas_core::freshness::{PeriodUnit, UpdateFrequency};
use civitas_core::time::{DateStyle, Language, TAIPEI, Timestamp};
use time::Duration;

use crate::config::Settings;
use crate::runtime;

pub const PASSWORD_FILE: &str = "demo-admin-password.txt";
pub const ADMIN: &str = "admin";
const AGENCIES: &[u8] = include_bytes!("../demo/agencies.csv");
/// Taoyuan's real open-data supply list of 民國107年3月 (see fixtures/catalog/README.md).
const SUPPLY_LIST: &[u8] =
    include_bytes!("../../../fixtures/catalog/taoyuan_open_data_supply_list_2018.nocontact.csv");

/// (user name, display name, role, scope agency, home agency)
const STAFF: &[(&str, &str, Role, Option<&str>, &str)] = &[
    (
        ADMIN,
        "平台管理者（示範）",
        Role::PlatformAdmin,
        None,
        "TY-SCDC",
    ),
    (
        "chen.steward",
        "陳怡君",
        Role::DataSteward,
        Some("380290000H"),
        "380290000H",
    ),
    (
        "lai.steward",
        "賴志明",
        Role::DataSteward,
        Some("380120000J"),
        "380120000J",
    ),
    (
        "lin.soc",
        "林冠宇",
        Role::SocAnalyst,
        // The city's SOC sits in the commission and watches every agency.
        None,
        "TY-SCDC",
    ),
    (
        "wang.handler",
        "王雅婷",
        Role::IncidentHandler,
        Some("TY-SCDC"),
        "TY-SCDC",
    ),
    (
        "huang.security",
        "黃建宏",
        Role::SecurityOfficer,
        Some("380330000E"),
        "380330000E",
    ),
    ("auditor", "周稽核", Role::Auditor, None, "380200000A"),
    (
        "viewer",
        "張小芬",
        Role::Viewer,
        Some("380120000J"),
        "380120000J",
    ),
];

pub struct DemoLogin {
    pub name: &'static str,
    pub password: String,
    pub created: bool,
}

fn taipei(date: time::Date, hour: u8, minute: u8) -> Timestamp {
    let t = time::Time::from_hms(hour, minute, 0).unwrap_or(time::Time::MIDNIGHT);
    Timestamp::from_offset(date.with_time(t).assume_offset(TAIPEI))
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Load the demo data into a new data directory; reuse it when it exists.
pub async fn prepare(settings: &Settings) -> anyhow::Result<DemoLogin> {
    let db = settings.data_dir.join(civitas_store_sqlite::DB_FILE);
    let password_file = settings.data_dir.join(PASSWORD_FILE);
    if db.exists() {
        let password = std::fs::read_to_string(&password_file)
            .map(|p| p.trim().to_string())
            .unwrap_or_else(|_| "（不是示範資料目錄 / not a demo data directory）".into());
        return Ok(DemoLogin {
            name: ADMIN,
            password,
            created: false,
        });
    }
    std::fs::create_dir_all(&settings.data_dir)?;
    let password = civitas_core::random::readable_password()?;
    let store = runtime::open_store(settings, true)?;
    let now = SystemClock.now();
    let clock = Arc::new(ManualClock::new(now));
    let platform = runtime::platform(settings, &store, clock.clone())?;
    load(&platform, &clock, now, &password).await?;
    install_verification_conf(&settings.data_dir)?;
    write_private(&password_file, &format!("{password}\n"))?;
    Ok(DemoLogin {
        name: ADMIN,
        password,
        created: true,
    })
}

/// X-Road's test global configuration (fixtures/xroad, MIT) as the demo's verification
/// configuration, so that X-Road's own sample containers verify on `/exchange/verify`. A real
/// node keeps the downloaded T-Road/X-Road global configuration here instead.
const DEMO_SHARED_PARAMS: &[u8] =
    include_bytes!("../../../fixtures/xroad/globalconf_good2_v3/DEV/shared-params.xml");

fn install_verification_conf(data_dir: &std::path::Path) -> anyhow::Result<()> {
    let dir = data_dir.join("exchange").join("globalconf").join("DEV");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("shared-params.xml"), DEMO_SHARED_PARAMS)?;
    Ok(())
}

fn code(c: &str) -> anyhow::Result<AgencyCode> {
    AgencyCode::parse(c).map_err(|e| anyhow::anyhow!("{e}"))
}

async fn load(
    p: &Platform,
    clock: &ManualClock,
    now: Timestamp,
    password: &str,
) -> anyhow::Result<()> {
    let op = runtime::operator();
    let err = |e: civitas_core::DomainError| anyhow::anyhow!("{e}");

    // The organisation tree and the city's dataset inventory as taken on 民國107年3月20日.
    clock.set(taipei(time::macros::date!(2018 - 03 - 20), 9, 0));
    let (_, report) = p
        .agencies()
        .import(
            &op,
            AGENCIES,
            AgencyImportFormat::CivitasCsv,
            "demo/agencies.csv",
        )
        .await
        .map_err(err)?;
    anyhow::ensure!(
        report.rejected.is_empty(),
        "demo agencies rejected: {:?}",
        report.rejected
    );
    clock.set(taipei(time::macros::date!(2018 - 03 - 20), 10, 0));
    let (_, report) = p
        .catalog()
        .import(
            &op,
            SUPPLY_LIST,
            CatalogFormat::TaoyuanSupplyList,
            "桃園市政府開放資料供應清單（民國107年3月）",
        )
        .await
        .map_err(err)?;
    anyhow::ensure!(
        report.rejected.is_empty(),
        "demo datasets rejected: {:?}",
        report.rejected
    );
    p.catalog()
        .recompute_freshness(clock.now())
        .await
        .map_err(err)?;

    // 民國113年1月1日: 資訊科技局 and 研考會 merge into 智慧城鄉發展委員會.
    clock.set(taipei(time::macros::date!(2024 - 01 - 01), 9, 0));
    for retired in ["380370000A", "380220000A"] {
        p.agencies()
            .retire(&op, &code(retired)?, Some(code("TY-SCDC")?))
            .await
            .map_err(err)?;
    }

    // Staff accounts, six weeks ago.
    let start = now.sub(Duration::days(45));
    clock.set(start);
    for (name, display, role, scope, home) in STAFF {
        let scope = match scope {
            Some(c) => Scope::Agency(code(c)?),
            None => Scope::City,
        };
        p.accounts()
            .create_user(
                &op,
                NewUserRequest {
                    name: (*name).into(),
                    display_name: (*display).into(),
                    email: Some(format!("{name}@demo.tycg.example")),
                    home_agency: Some((*home).into()),
                    password: password.into(),
                    grants: vec![Grant { role: *role, scope }],
                    language: Language::ZhTw,
                    date_style: DateStyle::Roc,
                },
            )
            .await
            .map_err(err)?;
    }

    // A month of working days: people sign in in the morning; now and then someone mistypes,
    // and once an account locks and the administrator unlocks it.
    let today = now.taipei_date();
    let mut seed: u32 = 20_240_101;
    let mut next = move || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (seed >> 16) % 1000
    };
    for back in (1..=30).rev() {
        let day = today - Duration::days(back);
        let weekday = day.weekday().number_from_monday();
        if weekday >= 6 && next() % 4 != 0 {
            continue; // most weekends are quiet
        }
        for (i, (name, ..)) in STAFF.iter().enumerate() {
            if next() % 10 < 3 {
                continue; // not everyone signs in every day
            }
            let at = taipei(day, 8 + (i as u8 % 3), (next() % 60) as u8);
            clock.set(at);
            if next() % 25 == 0 {
                let _ = p
                    .accounts()
                    .login(name, "wrong-password-typed", Some("10.20.1.23".into()))
                    .await;
                clock.advance(Duration::seconds(40));
            }
            p.accounts()
                .login(
                    name,
                    password,
                    Some(format!("10.20.{}.{}", 1 + i, 10 + next() % 200)),
                )
                .await
                .map_err(err)?;
        }
        if back == 12 {
            clock.set(taipei(day, 13, 5));
            for _ in 0..5 {
                let _ = p
                    .accounts()
                    .login("viewer", "forgot-my-password", Some("10.20.8.44".into()))
                    .await;
                clock.advance(Duration::seconds(20));
            }
            clock.set(taipei(day, 13, 40));
            let admin = admin_caller(p).await?;
            p.accounts().unlock(&admin, "viewer").await.map_err(err)?;
        }
    }
    replay_updates(p, clock, now).await?;
    let story = crate::demo_sharing::replay(p, clock, now, password).await?;
    crate::demo_exchange::replay(p, clock, now, &story).await?;
    crate::demo_inventory::replay(p, clock, now).await?;
    crate::demo_alerts::replay(p, clock, now).await?;
    crate::demo_incidents::replay(p, clock, now).await?;

    // Leave no demo session behind: the replayed sign-ins are history, not live sessions.
    p.stores
        .sessions
        .purge_expired_sessions(now.add(Duration::days(1)))
        .await
        .map_err(err)?;
    Ok(())
}

async fn admin_caller(p: &Platform) -> anyhow::Result<civitas_core::Caller> {
    caller_named(p, ADMIN).await
}

/// A demo person, signed in from the city's network.
pub async fn caller_named(p: &Platform, name: &str) -> anyhow::Result<civitas_core::Caller> {
    let user = p
        .stores
        .accounts
        .user_by_name(name)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_context(|| format!("the demo user {name} is missing"))?;
    let principal = p
        .accounts()
        .principal_for(&user)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(civitas_core::Caller::new(
        principal,
        Some("10.20.1.10".into()),
    ))
}

/// A stable small number from text, to pick which agencies and datasets keep their schedules.
fn spread(text: &str, modulo: u64) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    }) % modulo
}

/// A year of monthly harvests of the supply list in which most agencies publish on schedule and
/// some fall behind: each harvest moves 最後更新時間 forward for the datasets updated that month.
/// Simulated activity, so that freshness has a history; the datasets themselves are real.
async fn replay_updates(p: &Platform, clock: &ManualClock, now: Timestamp) -> anyhow::Result<()> {
    let op = runtime::operator();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(SUPPLY_LIST);
    let headers = reader.headers()?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .context("a supply-list column is missing")
    };
    let (updated_col, url_col, freq_col, agency_col) = (
        col("最後更新時間")?,
        col("資料連結網址")?,
        col("更新頻率")?,
        col("資料集提供機關")?,
    );
    let mut rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    let today = now.taipei_date();
    let first_of_month = today.replace_day(1).unwrap_or(today);
    for back in (1..=12u64).rev() {
        let month = first_of_month - Duration::days(30 * back as i64);
        let harvest = taipei(month.replace_day(5).unwrap_or(month), 10, 0);
        let published = harvest.sub(Duration::days(1)).in_taipei();
        let stamp = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:00",
            published.year(),
            u8::from(published.month()),
            published.day(),
            9 + spread(&harvest.to_rfc3339(), 8),
            spread(&back.to_string(), 60)
        );
        for row in rows.iter_mut() {
            let url = row.get(url_col).unwrap_or("").to_string();
            let agency = row.get(agency_col).unwrap_or("").to_string();
            // Seven agencies in ten keep their schedules, and most of their datasets with them.
            if spread(&agency, 10) < 3 || spread(&url, 10) >= 8 {
                continue;
            }
            let due = match UpdateFrequency::parse(row.get(freq_col).unwrap_or("")) {
                UpdateFrequency::Continuous => true,
                UpdateFrequency::Regular(period) => match period.unit {
                    PeriodUnit::Minute | PeriodUnit::Hour | PeriodUnit::Day | PeriodUnit::Week => {
                        true
                    }
                    PeriodUnit::Month => back % u64::from(period.count.max(1)) == 0,
                    PeriodUnit::Year => period.count == 1 && back == 1 + spread(&url, 12),
                },
                UpdateFrequency::Irregular => back % 4 == spread(&url, 4),
                _ => false,
            };
            if due {
                let mut fields: Vec<String> = row.iter().map(str::to_string).collect();
                if let Some(cell) = fields.get_mut(updated_col) {
                    cell.clone_from(&stamp);
                }
                *row = csv::StringRecord::from(fields);
            }
        }
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&headers)?;
        for row in &rows {
            writer.write_record(row)?;
        }
        let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        clock.set(harvest);
        let (_, report) = p
            .catalog()
            .import(
                &op,
                &bytes,
                CatalogFormat::TaoyuanSupplyList,
                "data.tycg.gov.tw 每月同步 / monthly harvest",
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::ensure!(
            report.rejected.is_empty(),
            "a replayed harvest was rejected: {:?}",
            report.rejected.first()
        );
        p.catalog()
            .recompute_freshness(harvest)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    clock.set(now);
    p.catalog()
        .recompute_freshness(now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}
