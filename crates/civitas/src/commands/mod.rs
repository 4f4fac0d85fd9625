//! Each subcommand: load settings, open the platform, act as the local operator.

mod accounts;
mod agency;
mod alerts;
mod audit;
mod backup;
mod catalog;
mod exchange;
mod incidents;
mod intel;

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, Command, ConfigCommand, ListenArgs};
use crate::config::{self, Overrides, Settings};
use crate::{demo, logging, runtime, serve};

fn settings(cli: &Cli, listen: Option<&ListenArgs>) -> anyhow::Result<Settings> {
    let overrides = Overrides {
        data_dir: cli.data_dir.clone(),
        listen: listen.and_then(|l| l.listen.clone()),
    };
    config::load(cli.config.as_deref(), &overrides)
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))
}

/// A domain error as both languages, for the terminal.
pub fn domain(e: civitas_core::DomainError) -> anyhow::Error {
    use civitas_core::time::Language;
    anyhow::anyhow!(
        "{}\n{} [{}]",
        e.message(Language::ZhTw),
        e.message(Language::En),
        e.code()
    )
}

pub fn read_password_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("reading the password from standard input")?;
    let password = text.lines().next().unwrap_or("").to_string();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(password)
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Serve(listen) => {
            let settings = settings(&cli, Some(listen))?;
            logging::init(&settings);
            let store = runtime::open_store(&settings, settings.migrate_on_start)?;
            let platform = runtime::platform(
                &settings,
                &store,
                std::sync::Arc::new(civitas_core::clock::SystemClock),
            )?;
            serve::run(&settings, platform, |addr| {
                println!("civitas 已啟動 / listening on http://{addr}");
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(listen) => {
            let mut settings = settings(&cli, Some(listen))?;
            // The demo's sensor and agencies' address ranges, unless the configuration has its own.
            if settings.alerts.sources.is_empty() && settings.alerts.agencies.is_empty() {
                let demo = crate::demo_alerts::settings();
                settings.alerts.sources = demo.sources;
                settings.alerts.agencies = demo.agencies;
            }
            logging::init(&settings);
            eprintln!(
                "準備示範資料 / preparing the demo data in {} …",
                settings.data_dir.display()
            );
            let login = demo::prepare(&settings).await?;
            let (_, platform) = runtime::open(&settings)?;
            let created = login.created;
            serve::run(&settings, platform, move |addr| {
                println!();
                println!("civitas 示範站已啟動 / the civitas demo is running");
                println!("  網址 URL:       http://{addr}/");
                println!("  帳號 user:      {}", login.name);
                println!("  密碼 password:  {}", login.password);
                if created {
                    println!("  （其他示範帳號使用相同密碼 / the other demo accounts use the same password: chen.steward, lin.soc, wang.handler, huang.security, auditor, viewer）");
                }
                println!("  按 Ctrl+C 結束 / press Ctrl+C to stop");
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let settings = settings(&cli, None)?;
            logging::init_quiet();
            std::fs::create_dir_all(&settings.data_dir)?;
            let path = settings.data_dir.join(civitas_store_sqlite::DB_FILE);
            let applied = civitas_store_sqlite::SqliteStore::migrate_file(&path).map_err(domain)?;
            if applied.is_empty() {
                println!("資料庫已是最新 / the schema is up to date");
            } else {
                println!("已套用 / applied migrations: {applied:?}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Config(ConfigCommand::PrintDefault) => {
            print!("{}", config::DEFAULT_CONFIG);
            Ok(ExitCode::SUCCESS)
        }
        Command::Config(ConfigCommand::Show) => {
            let settings = settings(&cli, None)?;
            println!("{settings:#?}");
            Ok(ExitCode::SUCCESS)
        }
        Command::User(cmd) => {
            let settings = settings(&cli, None)?;
            logging::init_quiet();
            accounts::user(&settings, cmd).await
        }
        Command::Token(cmd) => {
            let settings = settings(&cli, None)?;
            logging::init_quiet();
            accounts::token(&settings, cmd).await
        }
        Command::Agency(cmd) => {
            let settings = settings(&cli, None)?;
            logging::init_quiet();
            agency::run(&settings, cmd).await
        }
        Command::Audit(cmd) => {
            let settings = settings(&cli, None)?;
            logging::init_quiet();
            audit::run(&settings, cmd).await
        }
        Command::Catalog(cmd) => {
            let settings = settings(&cli, None)?;
            logging::init_quiet();
            catalog::run(&settings, cmd).await
        }
        Command::Alerts(cmd) => {
            let settings = settings(&cli, None)?;
            logging::init_quiet();
            alerts::run(&settings, cmd).await
        }
        Command::Exchange(crate::cli::ExchangeCommand::Archive { dir, per_archive }) => {
            let settings = settings(&cli, None)?;
            logging::init_quiet();
            exchange::archive(&settings, dir.as_deref(), *per_archive).await
        }
        Command::Exchange(cmd) => {
            logging::init_quiet();
            exchange::run(cmd, || settings(&cli, None).map(|s| s.data_dir))
        }
        Command::Intel(cmd) => {
            let settings = settings(&cli, None)?;
            logging::init_quiet();
            intel::run(&settings, cmd).await
        }
        Command::Incidents(cmd) => {
            let settings = settings(&cli, None)?;
            logging::init_quiet();
            incidents::run(&settings, cmd).await
        }
        Command::Backup { out } => {
            let settings = settings(&cli, None)?;
            logging::init_quiet();
            backup::backup(&settings, out).await
        }
        Command::Restore { input, force } => {
            let settings = settings(&cli, None)?;
            logging::init_quiet();
            backup::restore(&settings, input, *force).await
        }
    }
}
