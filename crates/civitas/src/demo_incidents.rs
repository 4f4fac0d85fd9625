//! The demo's incidents: the four the audit names (a device using wget to fetch penetration
//! tools and a password dictionary; intrusion alerts on Cultural Affairs Bureau and Art Museum
//! devices; a department website injected with advertising text and links; EDR alerts), walked
//! through the real `CaseService` on the demo clock: levels, timelines, forensic reports kept
//! by SHA-256, findings with root causes and indicators, and actions in the states a year of
//! follow-up leaves them — some overdue, one sent back, one waiting for its verifier, one
//! verified, and one verified then reopened by the recurrence check because its indicator came
//! back in the alerts. Incidents that came from alerts are opened from the demo's real
//! notifications.

use std::collections::BTreeSet;

use civitas_core::accounts::UserName;
use civitas_core::agencies::AgencyCode;
use civitas_core::alerts::AlertFilter;
use civitas_core::cases::{
    ActionInput, AffectedAsset, AssetClass, Determination, Effect, EvidenceUpload, Impact,
    IncidentCategory, IncidentInput, Priority, RecordId, ReportSection, RootCause, Sensitivity,
    Severity, TimelineKind, sha256_hex,
};
use civitas_core::clock::ManualClock;
use civitas_core::intel::{HashAlgorithm, Observable, ObservableKind};
use civitas_core::page::PageRequest;
use civitas_core::time::Timestamp;
use civitas_core::{Caller, Platform};
use time::Duration;

type Result<T> = anyhow::Result<T>;

fn err(e: civitas_core::DomainError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn code(c: &str) -> Result<AgencyCode> {
    AgencyCode::parse(c).map_err(|e| anyhow::anyhow!("{e}"))
}

fn user(n: &str) -> Result<UserName> {
    UserName::parse(n).map_err(|e| anyhow::anyhow!("{e}"))
}

/// `days` before `now`'s Taipei date, at hour:minute Taipei time.
fn day_at(now: Timestamp, days: i64, hour: i64, minute: i64) -> Timestamp {
    let date = now.taipei_date() - Duration::days(days);
    Timestamp::taipei_midnight(date).add(Duration::minutes(hour * 60 + minute))
}

/// A small one-page PDF (real structure, so viewers open it) carrying the report's text.
pub fn report_pdf(lines: &[&str]) -> Vec<u8> {
    let escape = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)")
    };
    let mut content = String::from("BT /F1 11 Tf 56 780 Td 14 TL\n");
    for line in lines {
        content.push_str(&format!("({}) '\n", escape(line)));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{body}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for o in offsets {
        out.push_str(&format!("{o:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

/// A notification of `agency`'s demo alerts seen in the window, with the time of its alert.
async fn notification(
    p: &Platform,
    agency: &str,
    from: Timestamp,
    to: Timestamp,
) -> Result<Option<(i64, Timestamp, Option<String>)>> {
    let rows = p
        .alerts()
        .list(
            &crate::runtime::operator(),
            &AlertFilter {
                agency: Some(code(agency)?),
                from: Some(from),
                to: Some(to),
                ..AlertFilter::default()
            },
            PageRequest::new(Some(1), Some(20)),
        )
        .await
        .map_err(err)?;
    Ok(rows
        .items
        .iter()
        .min_by_key(|r| r.observed_at)
        .map(|r| (r.group_id, r.observed_at, r.destination_ip.clone())))
}

fn effect(asset: &str, class: AssetClass, impact: Impact) -> Effect {
    Effect {
        asset: asset.into(),
        class,
        sensitivity: Sensitivity::Ordinary,
        impact,
    }
}

fn all_sections() -> BTreeSet<ReportSection> {
    ReportSection::ALL.into_iter().collect()
}

struct Cast {
    soc: Caller,
    officer: Caller,
    admin: Caller,
    owner: Caller,
}

/// Records timeline moments in order, each at its time.
async fn walk(
    p: &Platform,
    clock: &ManualClock,
    who: &Caller,
    id: &RecordId,
    mut revision: u32,
    steps: &[(TimelineKind, Timestamp, &str)],
) -> Result<u32> {
    for (kind, at, note) in steps {
        clock.set(*at);
        let i = p
            .cases()
            .record_event(who, id, revision, *kind, *at, Some((*note).into()))
            .await
            .map_err(err)?;
        revision = i.revision;
    }
    Ok(revision)
}

async fn engagement_revision(
    p: &Platform,
    who: &Caller,
    incident: &RecordId,
    fx: &RecordId,
) -> Result<u32> {
    let view = p.cases().get(who, incident).await.map_err(err)?;
    view.engagements
        .iter()
        .find(|e| &e.id == fx)
        .map(|e| e.revision)
        .ok_or_else(|| anyhow::anyhow!("engagement {fx} missing"))
}

/// A finding: root cause, what was found, indicators, hosts and recommendations.
type FindingSpec<'a> = (
    RootCause,
    &'a str,
    Vec<Observable>,
    Vec<&'a str>,
    Vec<&'a str>,
);

/// Commissions forensics, receives the given report versions (each a full PDF) and records
/// the finding; returns the engagement and its finding id.
#[allow(clippy::too_many_arguments)]
async fn forensics(
    p: &Platform,
    clock: &ManualClock,
    who: &Caller,
    incident: &RecordId,
    requested: Timestamp,
    vendor: &str,
    scope: &str,
    reports: &[(Timestamp, &str, Vec<&str>, BTreeSet<ReportSection>)],
    accept: Option<Timestamp>,
    finding: Option<FindingSpec<'_>>,
) -> Result<(RecordId, Option<RecordId>)> {
    clock.set(requested);
    let fx = p
        .cases()
        .request_forensics(
            who,
            incident,
            vendor,
            scope,
            requested.add(Duration::days(1)),
            requested.add(Duration::days(21)),
        )
        .await
        .map_err(err)?;
    for (at, name, lines, sections) in reports {
        clock.set(*at);
        let bytes = report_pdf(lines);
        let hash = sha256_hex(&bytes);
        let revision = engagement_revision(p, who, incident, &fx.id).await?;
        p.cases()
            .upload_report(
                who,
                &fx.id,
                revision,
                name,
                bytes,
                Some(&hash),
                sections.clone(),
            )
            .await
            .map_err(err)?;
    }
    if let Some(at) = accept {
        clock.set(at);
        let revision = engagement_revision(p, who, incident, &fx.id).await?;
        p.cases()
            .accept_report(who, &fx.id, revision)
            .await
            .map_err(err)?;
    }
    let mut finding_id = None;
    if let Some((cause, detail, iocs, hosts, recommendations)) = finding {
        let revision = engagement_revision(p, who, incident, &fx.id).await?;
        let e = p
            .cases()
            .add_finding(
                who,
                &fx.id,
                revision,
                cause,
                detail.into(),
                iocs,
                hosts.into_iter().map(str::to_string).collect(),
                recommendations.into_iter().map(str::to_string).collect(),
            )
            .await
            .map_err(err)?;
        finding_id = e.findings.last().map(|f| f.id.clone());
    }
    Ok((fx.id, finding_id))
}

#[allow(clippy::too_many_arguments)]
fn action(
    finding: &Option<RecordId>,
    recommendation: &str,
    agency: &str,
    owner: &str,
    due: Timestamp,
    priority: Priority,
    criteria: &str,
) -> Result<ActionInput> {
    Ok(ActionInput {
        finding: finding.clone(),
        recommendation: recommendation.into(),
        owner_agency: code(agency)?,
        owner: user(owner)?,
        due_at: due,
        priority,
        closure_criteria: criteria.into(),
    })
}

fn evidence(name: &str, text: &str) -> EvidenceUpload {
    let bytes = text.as_bytes().to_vec();
    EvidenceUpload {
        name: name.into(),
        claimed_sha256: Some(sha256_hex(&bytes)),
        bytes,
        media_type: "text/plain".into(),
    }
}

/// Replays the four incidents; the recurrence check runs last, at `now`.
pub async fn replay(p: &Platform, clock: &ManualClock, now: Timestamp) -> Result<()> {
    let cast = Cast {
        soc: crate::demo::caller_named(p, "lin.soc").await?,
        officer: crate::demo::caller_named(p, "huang.security").await?,
        admin: crate::demo::caller_named(p, crate::demo::ADMIN).await?,
        owner: crate::demo::caller_named(p, "wang.handler").await?,
    };
    wget(p, clock, now, &cast).await?;
    intrusions(p, clock, now, &cast).await?;
    website(p, clock, now, &cast).await?;
    edr(p, clock, now, &cast).await?;
    clock.set(now);
    p.cases()
        .run_recurrence_checks(&cast.soc)
        .await
        .map_err(err)?;
    Ok(())
}

/// The Tor exit node the demo's alerts keep seeing: the wget device fetched its tools there.
const TOOL_HOST: &str = "185.220.101.34";

async fn wget(p: &Platform, clock: &ManualClock, now: Timestamp, c: &Cast) -> Result<()> {
    let culture = "380330000E";
    let found = notification(p, culture, day_at(now, 215, 0, 0), day_at(now, 195, 0, 0)).await?;
    let seen = found
        .as_ref()
        .map(|f| f.1)
        .unwrap_or(day_at(now, 200, 9, 0));
    let aware = seen.add(Duration::minutes(25));
    clock.set(aware.add(Duration::minutes(5)));
    let incident = p
        .cases()
        .create(
            &c.soc,
            IncidentInput {
                title: "承辦人電腦以 wget 下載滲透工具與密碼字典".into(),
                agency: code(culture)?,
                category: IncidentCategory::IllegalIntrusion,
                notifications: found.iter().map(|f| f.0).collect(),
                how_learned: Some("IDS 偵測 wget 使用者代理對外連線".into()),
                assets: vec![AffectedAsset {
                    name: "文化局承辦人電腦 CA-PC-027".into(),
                    class: AssetClass::General,
                    host: Some("10.30.4.27".into()),
                }],
                occurred_at: Some(seen),
                aware_at: aware,
                people: Vec::new(),
                description: "IDS 告警顯示承辦人電腦以 wget 下載 nmap、hydra 等滲透工具與 rockyou 密碼字典；使用者表示未曾操作。".into(),
            },
        )
        .await
        .map_err(err)?;
    let id = incident.id.clone();
    clock.set(aware.add(Duration::minutes(35)));
    let i = p
        .cases()
        .assess(
            &c.soc,
            &id,
            incident.revision,
            vec![effect(
                "文化局承辦人電腦 CA-PC-027",
                AssetClass::General,
                Impact::SystemTampered {
                    severity: Severity::Minor,
                },
            )],
            None,
        )
        .await
        .map_err(err)?;
    let revision = walk(
        p,
        clock,
        &c.soc,
        &id,
        i.revision,
        &[
            (
                TimelineKind::Notified,
                aware.add(Duration::minutes(48)),
                "已於國家資通安全通報應變網站通報",
            ),
            (
                TimelineKind::LevelReviewed,
                aware.add(Duration::hours(3)),
                "主管機關已審核事件等級",
            ),
            (
                TimelineKind::Contained,
                aware.add(Duration::hours(5)),
                "電腦離線並封鎖對外連線",
            ),
            (
                TimelineKind::Recovered,
                aware.add(Duration::days(2)),
                "重灌作業系統並更換本機帳號密碼",
            ),
        ],
    )
    .await?;
    let (_, finding) = forensics(
        p,
        clock,
        &c.soc,
        &id,
        aware.add(Duration::days(2)),
        "台灣數位鑑識股份有限公司",
        "CA-PC-027 之磁碟映像、記憶體與防火牆紀錄；同網段其他電腦抽查",
        &[(
            aware.add(Duration::days(16)),
            "CA-PC-027-forensic-report-v1.pdf",
            vec![
                "Forensic investigation report - Department of Cultural Affairs, Taoyuan",
                "Host CA-PC-027 (10.30.4.27)",
                "1. Timeline: wget fetched nmap, hydra and rockyou.txt from 185.220.101.34",
                "2. Scope: one workstation; no lateral movement found",
                "3. Damage control: host isolated, outbound blocked",
                "4. Investigation: shared local administrator password reused on 40 PCs",
                "5. Root cause: weak/shared local administrator credentials",
                "6. Preventive measures: LAPS, application allow-listing",
                "7. Schedule: LAPS within 30 days, allow-listing within 60 days",
            ],
            all_sections(),
        )],
        Some(aware.add(Duration::days(17))),
        Some((
            RootCause::WeakOrDefaultCredentials,
            "同網段 40 台電腦共用本機管理者密碼，遭取得後以 wget 自 Tor 出口節點下載滲透工具與密碼字典",
            vec![
                Observable::new(ObservableKind::Ipv4, TOOL_HOST),
                Observable::new(ObservableKind::Domain, "dl.pentest-mirror.example"),
            ],
            vec!["10.30.4.27"],
            vec![
                "停用共用本機管理者帳號，改用 LAPS 管理各電腦密碼",
                "以應用程式白名單封鎖 wget、curl 等下載工具",
            ],
        )),
    )
    .await?;
    clock.set(aware.add(Duration::days(18)));
    let laps = p
        .cases()
        .plan_action(
            &c.soc,
            &id,
            action(
                &finding,
                "停用共用本機管理者帳號，改用 LAPS 管理各電腦密碼",
                culture,
                "chen.culture",
                aware.add(Duration::days(48)),
                Priority::High,
                "文化局 40 台電腦的本機管理者密碼皆不相同，且由 LAPS 定期更換",
            )?,
        )
        .await
        .map_err(err)?;
    let allow = p
        .cases()
        .plan_action(
            &c.soc,
            &id,
            action(
                &finding,
                "以應用程式白名單封鎖 wget、curl 等下載工具",
                culture,
                "chen.culture",
                aware.add(Duration::days(78)),
                Priority::Medium,
                "端點政策僅允許核定軟體執行；抽查 5 台電腦無法執行 wget",
            )?,
        )
        .await
        .map_err(err)?;
    // LAPS: done with evidence and verified by the bureau's security officer.
    clock.set(aware.add(Duration::days(40)));
    let done = p
        .cases()
        .record_work(
            &c.soc,
            &laps.id,
            laps.revision,
            vec![evidence(
                "laps-deployment-report.txt",
                "LAPS deployed by GPO to OU=Culture,PC=40; passwords rotate every 30 days; audit export attached.",
            )],
            Some("已部署 LAPS 至 40 台電腦並停用共用帳號".into()),
        )
        .await
        .map_err(err)?;
    clock.set(aware.add(Duration::days(42)));
    p.cases()
        .verify(
            &c.officer,
            &laps.id,
            done.revision,
            "抽查 5 台電腦之本機管理者密碼皆不同",
        )
        .await
        .map_err(err)?;
    // Allow-listing: started, never finished: overdue.
    clock.set(aware.add(Duration::days(50)));
    p.cases()
        .record_work(
            &c.soc,
            &allow.id,
            allow.revision,
            vec![evidence(
                "allowlist-pilot.txt",
                "AppLocker pilot on 5 PCs in the records section; wget.exe and curl.exe blocked.",
            )],
            None,
        )
        .await
        .map_err(err)?;
    // Evidence custody: the disk image went to the vendor and came back.
    clock.set(aware.add(Duration::hours(6)));
    let item = p
        .cases()
        .collect_evidence(
            &c.soc,
            &id,
            "CA-PC-027 磁碟映像（E01）雜湊清單",
            "林冠宇",
            aware.add(Duration::hours(5)),
            evidence(
                "CA-PC-027.E01.sha256.txt",
                "CA-PC-027.E01 sha256 9b2f... acquired with FTK Imager 4.7, write blocker Tableau T35u",
            ),
        )
        .await
        .map_err(err)?;
    clock.set(aware.add(Duration::days(2)));
    p.cases()
        .hand_over_evidence(
            &c.soc,
            &id,
            &item.id,
            0,
            "林冠宇",
            "台灣數位鑑識股份有限公司 張工程師",
            aware.add(Duration::days(2)),
            "鑑識分析",
        )
        .await
        .map_err(err)?;
    // The report, the plan and the closure.
    let revision = walk(
        p,
        clock,
        &c.soc,
        &id,
        revision,
        &[
            (
                TimelineKind::ReportSubmitted,
                aware.add(Duration::days(25)),
                "調查、處理及改善報告已送市府資安長",
            ),
            (
                TimelineKind::ImprovementPlanSubmitted,
                aware.add(Duration::days(25)),
                "改善計畫含 LAPS 與白名單時程",
            ),
        ],
    )
    .await?;
    clock.set(aware.add(Duration::days(26)));
    let i = p
        .cases()
        .determine(
            &c.soc,
            &id,
            revision,
            Determination::Confirmed,
            "鑑識報告確認帳號遭濫用",
        )
        .await
        .map_err(err)?;
    p.cases()
        .close(&c.soc, &id, i.revision, "已結案；改善措施持續追蹤")
        .await
        .map_err(err)?;
    Ok(())
}

async fn intrusions(p: &Platform, clock: &ManualClock, now: Timestamp, c: &Cast) -> Result<()> {
    // The museum's bad day in the alerts demo, nine days ago, and the bureau's alerts of it.
    let museum = notification(
        p,
        "TY-ARTMUSEUM",
        day_at(now, 10, 0, 0),
        day_at(now, 8, 0, 0),
    )
    .await?;
    let bureau = notification(p, "380330000E", day_at(now, 14, 0, 0), day_at(now, 8, 0, 0)).await?;
    let seen = [museum.as_ref(), bureau.as_ref()]
        .into_iter()
        .flatten()
        .map(|f| f.1)
        .max()
        .unwrap_or(day_at(now, 9, 10, 0));
    let aware = seen.add(Duration::minutes(40));
    clock.set(aware.add(Duration::minutes(10)));
    let incident = p
        .cases()
        .create(
            &c.soc,
            IncidentInput {
                title: "文化局與美術館設備遭入侵攻擊告警".into(),
                agency: code("380330000E")?,
                category: IncidentCategory::IllegalIntrusion,
                notifications: [museum.as_ref(), bureau.as_ref()]
                    .into_iter()
                    .flatten()
                    .map(|f| f.0)
                    .collect(),
                how_learned: None,
                assets: vec![
                    AffectedAsset {
                        name: "美術館典藏管理系統".into(),
                        class: AssetClass::Core,
                        host: museum.as_ref().and_then(|m| m.2.clone()),
                    },
                    AffectedAsset {
                        name: "文化局檔案伺服器".into(),
                        class: AssetClass::General,
                        host: bureau.as_ref().and_then(|b| b.2.clone()),
                    },
                ],
                occurred_at: None,
                aware_at: aware,
                people: Vec::new(),
                description: "IDS 於同日偵測多筆針對美術館典藏系統與文化局檔案伺服器之漏洞利用嘗試，部分連線有回應。".into(),
            },
        )
        .await
        .map_err(err)?;
    let id = incident.id.clone();
    clock.set(aware.add(Duration::minutes(45)));
    let i = p
        .cases()
        .assess(
            &c.soc,
            &id,
            incident.revision,
            vec![
                effect(
                    "美術館典藏管理系統",
                    AssetClass::Core,
                    Impact::SystemTampered {
                        severity: Severity::Minor,
                    },
                ),
                effect(
                    "文化局檔案伺服器",
                    AssetClass::General,
                    Impact::OperationDisrupted {
                        within_max_tolerable_downtime: true,
                    },
                ),
            ],
            None,
        )
        .await
        .map_err(err)?;
    walk(
        p,
        clock,
        &c.soc,
        &id,
        i.revision,
        &[
            (
                TimelineKind::Notified,
                aware.add(Duration::minutes(55)),
                "已通報",
            ),
            (
                TimelineKind::LevelReviewed,
                aware.add(Duration::hours(3)),
                "主管機關已審核事件等級",
            ),
            (
                TimelineKind::Contained,
                aware.add(Duration::hours(20)),
                "封鎖攻擊來源並隔離典藏系統對外服務",
            ),
        ],
    )
    .await?;
    forensics(
        p,
        clock,
        &c.soc,
        &id,
        aware.add(Duration::days(1)),
        "安碁資訊股份有限公司",
        "典藏管理系統與檔案伺服器之網頁與系統紀錄、IDS 封包",
        &[],
        None,
        None,
    )
    .await?;
    Ok(())
}

async fn website(p: &Platform, clock: &ManualClock, now: Timestamp, c: &Cast) -> Result<()> {
    let aware = day_at(now, 100, 14, 20);
    clock.set(aware.add(Duration::minutes(10)));
    let incident = p
        .cases()
        .create(
            &c.soc,
            IncidentInput {
                title: "交通局網站遭植入博弈廣告文字與連結".into(),
                agency: code("380290000H")?,
                category: IncidentCategory::MaliciousWebContent,
                notifications: Vec::new(),
                how_learned: Some("民眾來電反映交通局網站頁尾出現博弈廣告".into()),
                assets: vec![AffectedAsset {
                    name: "交通局全球資訊網".into(),
                    class: AssetClass::Core,
                    host: Some("www-traffic.tycg.example".into()),
                }],
                occurred_at: Some(aware.sub(Duration::days(3))),
                aware_at: aware,
                people: Vec::new(),
                description: "網站多個頁面頁尾被插入隱藏的博弈廣告文字與外部連結，搜尋引擎已收錄。"
                    .into(),
            },
        )
        .await
        .map_err(err)?;
    let id = incident.id.clone();
    clock.set(aware.add(Duration::minutes(40)));
    let i = p
        .cases()
        .assess(
            &c.soc,
            &id,
            incident.revision,
            vec![effect(
                "交通局全球資訊網",
                AssetClass::Core,
                Impact::InformationTampered {
                    severity: Severity::Minor,
                },
            )],
            None,
        )
        .await
        .map_err(err)?;
    let revision = walk(
        p,
        clock,
        &c.soc,
        &id,
        i.revision,
        &[
            (
                TimelineKind::Notified,
                aware.add(Duration::minutes(50)),
                "已通報",
            ),
            (
                TimelineKind::LevelReviewed,
                aware.add(Duration::hours(3)),
                "主管機關已審核事件等級",
            ),
            (
                TimelineKind::Contained,
                aware.add(Duration::hours(6)),
                "網站切換為維護頁面",
            ),
            (
                TimelineKind::Recovered,
                aware.add(Duration::days(1)),
                "以乾淨備份重建並更新 CMS",
            ),
        ],
    )
    .await?;
    let partial: BTreeSet<ReportSection> = [
        ReportSection::Timeline,
        ReportSection::ScopeAndDamage,
        ReportSection::DamageControlAndRecovery,
        ReportSection::InvestigationAndHandling,
        ReportSection::RootCause,
    ]
    .into_iter()
    .collect();
    let (_, finding) = forensics(
        p,
        clock,
        &c.soc,
        &id,
        aware.add(Duration::days(1)),
        "中華資安國際股份有限公司",
        "網站主機之網頁檔案、CMS 外掛與存取紀錄",
        &[
            (
                aware.add(Duration::days(12)),
                "traffic-web-forensics-v1.pdf",
                vec![
                    "Forensic report v1 - Department of Transportation website",
                    "Injected gambling links in footer template since 3 days before discovery",
                    "Entry: outdated CMS gallery plug-in (arbitrary file upload)",
                ],
                partial,
            ),
            (
                aware.add(Duration::days(16)),
                "traffic-web-forensics-v2.pdf",
                vec![
                    "Forensic report v2 - Department of Transportation website",
                    "1. Timeline 2. Scope 3. Recovery 4. Investigation 5. Root cause",
                    "6. Preventive measures: patch CMS, remove unused plug-ins, file integrity monitoring",
                    "7. Schedule: patch in 30 days, monitoring in 45 days, contract terms in 120 days",
                ],
                all_sections(),
            ),
        ],
        Some(aware.add(Duration::days(17))),
        Some((
            RootCause::UnpatchedVulnerability,
            "CMS 相簿外掛未更新，存在任意檔案上傳漏洞，遭上傳 webshell 後修改頁尾樣板",
            vec![
                Observable::new(ObservableKind::Domain, "lucky-bet88.example"),
                Observable::new(ObservableKind::Url, "https://lucky-bet88.example/promo"),
            ],
            vec!["www-traffic.tycg.example"],
            vec![
                "更新 CMS 與外掛並移除未使用外掛",
                "網站加入檔案完整性監控",
                "委外維護合約增列弱點修補時限",
            ],
        )),
    )
    .await?;
    clock.set(aware.add(Duration::days(18)));
    let patch = p
        .cases()
        .plan_action(
            &c.soc,
            &id,
            action(
                &finding,
                "更新 CMS 與外掛並移除未使用外掛",
                "TY-SCDC",
                "wang.handler",
                aware.add(Duration::days(48)),
                Priority::High,
                "CMS 與外掛為最新版；弱點掃描無高風險項目",
            )?,
        )
        .await
        .map_err(err)?;
    let monitor = p
        .cases()
        .plan_action(
            &c.soc,
            &id,
            action(
                &finding,
                "網站加入檔案完整性監控（每小時比對網頁雜湊）",
                "TY-SCDC",
                "wang.handler",
                aware.add(Duration::days(63)),
                Priority::Medium,
                "網頁檔案變動於 1 小時內告警至 SOC；提供測試告警紀錄",
            )?,
        )
        .await
        .map_err(err)?;
    let contract = p
        .cases()
        .plan_action(
            &c.soc,
            &id,
            action(
                &finding,
                "委外維護合約增列弱點修補時限",
                "TY-SCDC",
                "wang.handler",
                aware.add(Duration::days(80)),
                Priority::Low,
                "新合約載明高風險弱點 7 日內修補並有罰則",
            )?,
        )
        .await
        .map_err(err)?;
    // The patch: done by its owner, verified by the administrator, and it stayed fixed.
    clock.set(aware.add(Duration::days(30)));
    let done = p
        .cases()
        .record_work(
            &c.owner,
            &patch.id,
            patch.revision,
            vec![evidence(
                "cms-scan-after-patch.txt",
                "CMS 6.4.2, plug-ins updated, 3 unused removed; vulnerability scan: 0 high, 2 low.",
            )],
            Some("已更新 CMS 並移除 3 個未使用外掛；弱點掃描報告如附".into()),
        )
        .await
        .map_err(err)?;
    clock.set(aware.add(Duration::days(31)));
    p.cases()
        .verify(
            &c.admin,
            &patch.id,
            done.revision,
            "弱點掃描報告確認無高風險項目",
        )
        .await
        .map_err(err)?;
    // Monitoring: submitted, waiting for its verifier.
    clock.set(aware.add(Duration::days(55)));
    p.cases()
        .record_work(
            &c.owner,
            &monitor.id,
            monitor.revision,
            vec![evidence(
                "fim-test-alert.txt",
                "2024 test: modified footer.php at 10:02, SOC alert at 10:41 (integrity monitor).",
            )],
            Some("已啟用檔案完整性監控，測試告警 39 分鐘內送達 SOC".into()),
        )
        .await
        .map_err(err)?;
    // The contract: the procurement cycle moved, so the date was extended with a reason.
    clock.set(aware.add(Duration::days(70)));
    p.cases()
        .extend(
            &c.soc,
            &contract.id,
            contract.revision,
            now.add(Duration::days(45)),
            "新年度委外合約延至下月決標",
            &user("wang.handler")?,
        )
        .await
        .map_err(err)?;
    walk(
        p,
        clock,
        &c.soc,
        &id,
        revision,
        &[(
            TimelineKind::ReportSubmitted,
            aware.add(Duration::days(20)),
            "調查報告已送",
        )],
    )
    .await?;
    Ok(())
}

async fn edr(p: &Platform, clock: &ManualClock, now: Timestamp, c: &Cast) -> Result<()> {
    let aware = day_at(now, 45, 10, 5);
    clock.set(aware.add(Duration::minutes(8)));
    let incident = p
        .cases()
        .create(
            &c.soc,
            IncidentInput {
                title: "教育局端點偵測（EDR）告警：PowerShell 下載可疑執行檔".into(),
                agency: code("380040000E")?,
                category: IncidentCategory::Malware,
                notifications: Vec::new(),
                how_learned: Some("EDR 主控台告警：Office 文件啟動 PowerShell 下載執行檔".into()),
                assets: vec![AffectedAsset {
                    name: "教育局行政電腦 ED-NB-113".into(),
                    class: AssetClass::General,
                    host: Some("10.40.3.113".into()),
                }],
                occurred_at: Some(aware.sub(Duration::minutes(12))),
                aware_at: aware,
                people: Vec::new(),
                description:
                    "同仁開啟偽冒公文附件後，EDR 偵測 PowerShell 下載並執行可疑檔案，已自動隔離。"
                        .into(),
            },
        )
        .await
        .map_err(err)?;
    let id = incident.id.clone();
    clock.set(aware.add(Duration::minutes(30)));
    let i = p
        .cases()
        .assess(
            &c.soc,
            &id,
            incident.revision,
            vec![effect(
                "教育局行政電腦 ED-NB-113",
                AssetClass::General,
                Impact::SystemTampered {
                    severity: Severity::Minor,
                },
            )],
            None,
        )
        .await
        .map_err(err)?;
    walk(
        p,
        clock,
        &c.soc,
        &id,
        i.revision,
        &[
            (
                TimelineKind::Notified,
                aware.add(Duration::minutes(50)),
                "已通報",
            ),
            (
                TimelineKind::LevelReviewed,
                aware.add(Duration::hours(3)),
                "主管機關已審核事件等級",
            ),
            (
                TimelineKind::Contained,
                aware.add(Duration::hours(1)),
                "EDR 網路隔離",
            ),
            (
                TimelineKind::Recovered,
                aware.add(Duration::days(1)),
                "重灌並還原使用者資料",
            ),
        ],
    )
    .await?;
    let malware = "5f2b7f9e0c0a4d3e8b1c6a7d9e2f4b1a3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f";
    let (_, finding) = forensics(
        p,
        clock,
        &c.soc,
        &id,
        aware.add(Duration::days(1)),
        "台灣數位鑑識股份有限公司",
        "ED-NB-113 之 EDR 紀錄、郵件閘道紀錄與惡意附件",
        &[(
            aware.add(Duration::days(9)),
            "ED-NB-113-edr-forensics.pdf",
            vec![
                "EDR investigation - Department of Education, Taoyuan",
                "Phishing mail impersonating an official letter; macro launched PowerShell",
                "Payload: loader (SHA-256 5f2b7f9e...), C2 update-cdn-check.example",
                "No credential theft observed; host isolated within 1 hour",
            ],
            all_sections(),
        )],
        Some(aware.add(Duration::days(10))),
        Some((
            RootCause::UserBehaviour,
            "同仁開啟偽冒公文之巨集附件，巨集以 PowerShell 下載載入器",
            vec![
                Observable::new(ObservableKind::FileHash(HashAlgorithm::Sha256), malware),
                Observable::new(ObservableKind::Domain, "update-cdn-check.example"),
            ],
            vec!["10.40.3.113"],
            vec![
                "全局社交工程演練與教育訓練",
                "以群組原則封鎖網路來源文件之巨集",
            ],
        )),
    )
    .await?;
    clock.set(aware.add(Duration::days(11)));
    let drill = p
        .cases()
        .plan_action(
            &c.soc,
            &id,
            action(
                &finding,
                "全局社交工程演練與教育訓練",
                "380040000E",
                "lin.education",
                aware.add(Duration::days(38)),
                Priority::Medium,
                "全體同仁完成 1 小時訓練；演練開啟率低於 5% 並附成果報告",
            )?,
        )
        .await
        .map_err(err)?;
    p.cases()
        .plan_action(
            &c.soc,
            &id,
            action(
                &finding,
                "以群組原則封鎖網路來源文件之巨集",
                "380040000E",
                "lin.education",
                now.add(Duration::days(20)),
                Priority::High,
                "群組原則已套用至全局電腦；測試文件巨集無法執行",
            )?,
        )
        .await
        .map_err(err)?;
    // The drill: handed in without its results, sent back, and now overdue.
    clock.set(aware.add(Duration::days(30)));
    let done = p
        .cases()
        .record_work(
            &c.soc,
            &drill.id,
            drill.revision,
            vec![evidence(
                "training-attendance.txt",
                "Training held; 212 of 230 staff attended.",
            )],
            Some("已辦理教育訓練".into()),
        )
        .await
        .map_err(err)?;
    clock.set(aware.add(Duration::days(31)));
    p.cases()
        .send_back(
            &c.admin,
            &drill.id,
            done.revision,
            "缺少演練成果報告，且仍有 18 位同仁未完成訓練",
        )
        .await
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_reports_are_pdfs_with_a_cross_reference_table() {
        let pdf = report_pdf(&["Forensic report (v1)", "Root cause: weak credentials"]);
        let text = String::from_utf8(pdf.clone()).unwrap();
        assert!(pdf.starts_with(b"%PDF-1.4"));
        assert!(text.ends_with("%%EOF\n"));
        assert!(text.contains("\\(v1\\)"), "parentheses escaped");
        // Every object offset in the xref points at its object.
        let xref = text.find("xref\n").unwrap();
        for (n, line) in text[xref..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(
                text[offset..].starts_with(&format!("{} 0 obj", n + 1)),
                "{line}"
            );
        }
    }
}
