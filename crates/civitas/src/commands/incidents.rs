//! `civitas incidents follow-up [--json]`: one run of the incidents' scheduled follow-up, for
//! cron or to run it now (the server runs the same every hour).

use std::process::ExitCode;

use civitas_core::cases::RecurrenceDecision;

use super::domain;
use crate::cli::IncidentsCommand;
use crate::config::Settings;
use crate::runtime;

pub async fn run(settings: &Settings, cmd: &IncidentsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        IncidentsCommand::FollowUp { json } => follow_up(settings, *json).await,
    }
}

async fn follow_up(settings: &Settings, json: bool) -> anyhow::Result<ExitCode> {
    let (_store, platform) = runtime::open(settings)?;
    let run = platform
        .cases()
        .follow_up(&runtime::operator())
        .await
        .map_err(domain)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    } else {
        let reopened = run
            .recurrence
            .iter()
            .filter(|o| matches!(o.decision, RecurrenceDecision::Reopen { .. }))
            .count();
        println!(
            "提醒 reminders {}，逾期通知 escalations {}，法定時限通知 legal-clock escalations {}；\
             電子郵件 e-mails queued {}；復發檢查 recurrence checks {}（重新開啟 reopened {}）",
            run.reminders.notifications,
            run.escalations.notifications,
            run.clock_escalations.notifications,
            run.reminders.deliveries
                + run.escalations.deliveries
                + run.clock_escalations.deliveries,
            run.recurrence.len(),
            reopened
        );
    }
    Ok(ExitCode::SUCCESS)
}
