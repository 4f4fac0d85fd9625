//! Demo inventory: the city's platforms with the audit's real Table 1 (表1 桃園市推動並迭代
//! 開發大數據相關平台, NT$89,452,900 from 民國106 to 113年), the open-data platform as the source
//! of the supply list (its cost unknown: 未填), and data needs recorded by stewards of five
//! agencies — some confirmed against the catalogue, some gaps. The needs are written for the
//! demo; the platform names, years, amounts and notes are the audit's.

use anyhow::Context;
use civitas_core::agencies::AgencyCode;
use civitas_core::clock::ManualClock;
use civitas_core::inventory::{DemandInput, DemandStatus, PlatformInput, PlatformStatus, Urgency};
use civitas_core::time::Timestamp;
use civitas_core::{Caller, Platform};
use time::Duration;

use crate::runtime;

fn err(e: civitas_core::DomainError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn code(c: &str) -> anyhow::Result<AgencyCode> {
    AgencyCode::parse(c).map_err(err)
}

async fn caller(p: &Platform, name: &str) -> anyhow::Result<Caller> {
    let user = p
        .stores
        .accounts
        .user_by_name(name)
        .await
        .map_err(err)?
        .with_context(|| format!("demo user {name} is missing"))?;
    let principal = p.accounts().principal_for(&user).await.map_err(err)?;
    Ok(Caller::new(principal, Some("10.20.4.21".into())))
}

/// (name zh, name en, operator, since, retired, note, [(ROC year, NT$, note)]).
type PlatformRow = (
    &'static str,
    &'static str,
    &'static str,
    i32,
    Option<i32>,
    &'static str,
    &'static [(i32, i64, &'static str)],
);

/// Table 1 of the audit; 資訊科技局 (380370000A) ran the platforms until the 民國113年 merger
/// into 智慧城鄉發展委員會 (TY-SCDC).
const PLATFORMS: &[PlatformRow] = &[
    (
        "資料開放平台",
        "Open data platform",
        "TY-SCDC",
        104,
        None,
        "市府於104年推出；桃園市政府開放資料供應清單的來源。經費未列於審核報告表1。",
        &[],
    ),
    (
        "智慧運籌管理暨大數據分析平台",
        "Smart logistics management and big data analysis platform",
        "380370000A",
        106,
        Some(110),
        "因無法滿足新增需求而於110年度下架。",
        &[
            (106, 8_492_000, "建置"),
            (108, 976_500, "功能增修及維護移轉"),
            (109, 2_552_000, "功能增修及維護移轉"),
        ],
    ),
    (
        "市政資料治理暨大數據分析平台",
        "Municipal data governance and big data analysis platform",
        "TY-SCDC",
        110,
        None,
        "於建置案期間提供單位使用並辦理教育訓練；最後一次驗收111年10月31日，軟體保固12個月已屆滿。",
        &[
            (110, 30_000_000, "建置案，取代原大數據分析平台"),
            (112, 3_432_400, ""),
        ],
    ),
    (
        "大數據分析深化計畫（桃園市大數據平台）",
        "Big data analysis deepening project (Taoyuan big data platform)",
        "TY-SCDC",
        113,
        None,
        "尚在執行中。",
        &[(113, 44_000_000, "大數據中心建置暨數據分析深化計畫")],
    ),
];

/// The sum of Table 1 (合計).
pub const TABLE1_TOTAL: i64 = 89_452_900;

/// (steward, needing agency, title, fields, purpose, legal basis, urgency, likely holder,
/// search words, what becomes of it).
struct Need {
    steward: &'static str,
    needing: &'static str,
    title: &'static str,
    fields: &'static [&'static str],
    purpose: &'static str,
    legal_basis: Option<&'static str>,
    urgency: Urgency,
    holder: Option<&'static str>,
    words: &'static str,
    outcome: Outcome,
}

#[derive(PartialEq)]
enum Outcome {
    /// Confirm the best suggestion from the likely holder.
    Confirm,
    /// Confirm, then mark met (a sharing grant is in place).
    Met,
    /// Leave open for the steward to look at the suggestions.
    Open,
}

const NEEDS: &[Need] = &[
    Need {
        steward: "hsu.police",
        needing: "380130000C",
        title: "公有停車場位置與車位數",
        fields: &["停車場名稱", "地址", "經緯度", "小型車車位數"],
        purpose: "規劃違規停車取締勤務，優先巡查停車供給不足的路段",
        legal_basis: None,
        urgency: Urgency::Medium,
        holder: Some("380290000H"),
        words: "停車場",
        outcome: Outcome::Confirm,
    },
    Need {
        steward: "chen.steward",
        needing: "380290000H",
        title: "交通事故發生地點與時段",
        fields: &[
            "發生日期",
            "發生時間",
            "發生地點",
            "事故類別",
            "死亡受傷人數",
        ],
        purpose: "找出事故熱點路口，排定號誌時制調整與標線改善",
        legal_basis: Some("道路交通安全規則；個人資料保護法第16條"),
        urgency: Urgency::High,
        holder: Some("380130000C"),
        words: "交通事故",
        outcome: Outcome::Confirm,
    },
    Need {
        steward: "lai.steward",
        needing: "380120000J",
        title: "登革熱確診個案分布",
        fields: &["通報日期", "居住行政區", "居住村里"],
        purpose: "防疫期間優先訪視病例周邊的獨居長者與弱勢家庭",
        legal_basis: Some("傳染病防治法第10條；個人資料保護法第16條"),
        urgency: Urgency::High,
        holder: Some("380140000I"),
        words: "登革熱",
        outcome: Outcome::Met,
    },
    Need {
        steward: "kao.health",
        needing: "380140000I",
        title: "低收入戶及中低收入戶人數（依行政區）",
        fields: &["行政區", "戶數", "人數"],
        purpose: "規劃弱勢族群健康檢查與疫苗接種巡迴站點",
        legal_basis: None,
        urgency: Urgency::Medium,
        holder: Some("380120000J"),
        words: "低收入",
        outcome: Outcome::Confirm,
    },
    Need {
        steward: "kao.health",
        needing: "380140000I",
        title: "獨居長者名冊與居住地址",
        fields: &["姓名", "年齡", "居住地址", "緊急聯絡人"],
        purpose: "熱浪與寒流期間由衛生所主動關懷獨居長者",
        legal_basis: Some("老人福利法第41條；個人資料保護法第16條"),
        urgency: Urgency::High,
        holder: Some("380120000J"),
        words: "獨居長者",
        outcome: Outcome::Open,
    },
    Need {
        steward: "yang.edu",
        needing: "380040000E",
        title: "校園周邊空氣品質監測值",
        fields: &["測站", "監測時間", "PM2.5", "空氣品質指標"],
        purpose: "空品不良時即時通知學校調整戶外活動",
        legal_basis: None,
        urgency: Urgency::Medium,
        holder: Some("380150000I"),
        words: "空氣品質",
        outcome: Outcome::Open,
    },
    Need {
        steward: "yang.edu",
        needing: "380040000E",
        title: "學童通學路線與通學步道",
        fields: &["學校", "路線", "步道起訖點"],
        purpose: "檢討通學路線安全，爭取人行道與號誌改善經費",
        legal_basis: None,
        urgency: Urgency::Low,
        holder: None,
        words: "通學步道 通學路線",
        outcome: Outcome::Open,
    },
    Need {
        steward: "hsu.police",
        needing: "380130000C",
        title: "路燈位置與故障報修紀錄",
        fields: &["路燈編號", "經緯度", "報修日期", "修復日期"],
        purpose: "夜間治安熱點與照明不足路段的交叉比對",
        legal_basis: None,
        urgency: Urgency::Low,
        holder: Some("380110000G"),
        words: "路燈",
        outcome: Outcome::Open,
    },
];

pub async fn replay(p: &Platform, clock: &ManualClock, now: Timestamp) -> anyhow::Result<()> {
    let op = runtime::operator();
    let inv = p.inventory();

    // The administrator registers the platforms and Table 1, three weeks ago.
    clock.set(now.sub(Duration::days(21)));
    let mut open_data = None;
    for (name_zh, name_en, operator, since, retired, note, costs) in PLATFORMS {
        let platform = inv
            .create_platform(
                &op,
                PlatformInput {
                    name_zh: (*name_zh).into(),
                    name_en: Some((*name_en).into()),
                    operator: code(operator)?,
                    since_year: Some(*since),
                    status: if retired.is_some() {
                        PlatformStatus::Retired
                    } else {
                        PlatformStatus::Active
                    },
                    retired_year: *retired,
                    note: Some((*note).into()),
                },
            )
            .await
            .map_err(err)?;
        for (year, amount, note) in *costs {
            inv.set_cost(
                &op,
                platform.id,
                *year,
                *amount,
                Some((*note).to_string()).filter(|n| !n.is_empty()),
            )
            .await
            .map_err(err)?;
        }
        if open_data.is_none() {
            open_data = Some(platform.id);
        }
        clock.advance(Duration::minutes(7));
    }
    inv.map_source(
        &op,
        civitas_core::catalog::CatalogFormat::TaoyuanSupplyList.source(),
        open_data,
    )
    .await
    .map_err(err)?;
    let entered: i64 = inv
        .costs(&op)
        .await
        .map_err(err)?
        .iter()
        .map(|c| c.amount)
        .sum();
    anyhow::ensure!(
        entered == TABLE1_TOTAL,
        "Table 1 adds up to {entered}, not {TABLE1_TOTAL}"
    );

    // Stewards record their agencies' needs over the following days.
    for (i, need) in NEEDS.iter().enumerate() {
        clock.set(
            now.sub(Duration::days(18 - 2 * i as i64))
                .add(Duration::hours(2)),
        );
        let steward = caller(p, need.steward).await?;
        let demand = inv
            .create_demand(
                &steward,
                DemandInput {
                    needing_agency: code(need.needing)?,
                    title: need.title.into(),
                    description: String::new(),
                    fields: need.fields.iter().map(|f| f.to_string()).collect(),
                    purpose: need.purpose.into(),
                    legal_basis: need.legal_basis.map(str::to_string),
                    urgency: need.urgency,
                    likely_holder: need.holder.map(code).transpose()?,
                    search_words: need.words.into(),
                },
            )
            .await
            .map_err(err)?;
        if need.outcome == Outcome::Open {
            continue;
        }
        // The steward confirms the best suggestion from the agency they expected to hold it;
        // when the catalogue offers only others' data, the need stays open for a closer look.
        let found = inv.suggestions(&steward, demand.id).await.map_err(err)?;
        let Some(best) = found
            .iter()
            .find(|s| Some(s.agency.as_str()) == need.holder)
        else {
            continue;
        };
        clock.advance(Duration::hours(20));
        inv.confirm_match(&steward, demand.id, best.dataset_id)
            .await
            .map_err(err)?;
        if need.outcome == Outcome::Met {
            clock.advance(Duration::days(3));
            inv.set_status(&steward, demand.id, DemandStatus::Met)
                .await
                .map_err(err)?;
        }
    }
    Ok(())
}
