//! The `civitas` binary: command line, configuration, and the server's life cycle.

mod alerts;
mod cli;
mod commands;
mod config;
mod demo;
mod demo_alerts;
mod demo_exchange;
mod demo_incidents;
mod demo_inventory;
mod demo_sharing;
mod harvest;
mod intel;
mod logging;
mod notify;
mod progress;
mod runtime;
mod serve;
mod syslog;
mod trust;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // One TLS provider (ring) for every outgoing connection: e-mail, webhooks, harvests.
    civitas_delivery::install_tls_provider();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("錯誤：無法啟動 / error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("錯誤 / error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
