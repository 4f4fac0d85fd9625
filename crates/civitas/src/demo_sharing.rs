//! Sharing in the demo: a few of the real datasets are marked restricted or as holding
//! personal data (the supply list only lists open data, so these markings are the demo's),
//! their stewards upload files, agencies ask for them, stewards decide, programs read the
//! granted data with keys, and staff look at datasets — a month of use to report on.
//! The files' rows are generated (no real case data exists here) and say so in their name.

use anyhow::Context;
use civitas_core::accounts::NewUserRequest;
use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::catalog::{AccessLevel, Dataset};
use civitas_core::clock::ManualClock;
use civitas_core::sharing::{Decision, NewAccessRequest};
use civitas_core::time::{DateStyle, Language, Timestamp};
use civitas_core::{Caller, Platform};
use time::Duration;

use crate::runtime;

/// 桃園市登革熱確診個案分布 (衛生局): personal data.
const DENGUE: &str = "00405ad6-f02a-4bf5-85ac-dca2fdac822e";
/// 106年桃園市交通事故資料表 (警察局): restricted (locations to the 鄰).
const ACCIDENTS: &str = "3bff5008-9bdf-415a-8ddf-b53c7021dbf2";
/// 105年兒少高風險家庭通報量 (社會局): personal data.
const HIGH_RISK: &str = "ceed246d-8791-4bb7-9b22-8f6ada8fdf3b";
/// 公車即時車輛位置 (交通局): restricted for the demo.
const BUS_POSITIONS: &str = "48a94214-cfdd-486e-a9b8-86050729b1c0";

/// (user, display name, agency) of stewards the sharing story needs besides the demo staff.
const STEWARDS: &[(&str, &str, &str)] = &[
    ("kao.health", "高淑芬", "380140000I"),
    ("tsai.health", "蔡明哲", "380140000I"),
    ("hsu.police", "許家豪", "380130000C"),
    ("yang.edu", "楊佩玲", "380040000E"),
];

const DISTRICTS: &[&str] = &[
    "桃園區",
    "中壢區",
    "平鎮區",
    "八德區",
    "楊梅區",
    "蘆竹區",
    "大溪區",
    "龜山區",
    "大園區",
    "觀音區",
    "新屋區",
    "龍潭區",
    "復興區",
];

fn err(e: civitas_core::DomainError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
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
    Ok(Caller::new(principal, Some("10.20.3.15".into())))
}

async fn dataset(p: &Platform, identifier: &str) -> anyhow::Result<Dataset> {
    p.stores
        .catalog
        .dataset_by_identifier(identifier)
        .await
        .map_err(err)?
        .with_context(|| format!("dataset {identifier} is not in the supply list"))
}

/// A deterministic stream of small numbers.
pub(crate) struct Dice(pub(crate) u32);

impl Dice {
    pub(crate) fn roll(&mut self, n: u32) -> u32 {
        self.0 = self.0.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (self.0 >> 16) % n.max(1)
    }

    pub(crate) fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        let i = self.roll(from.len() as u32) as usize;
        from.get(i).copied().unwrap_or("")
    }
}

/// Rows for a dataset's declared fields, values shaped by each field's name.
fn generated_csv(d: &Dataset, rows: usize, dice: &mut Dice) -> anyhow::Result<Vec<u8>> {
    let names: Vec<String> = d.record.fields.iter().map(|f| f.name.clone()).collect();
    anyhow::ensure!(!names.is_empty(), "{} lists no fields", d.record.title_zh);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&names)?;
    for _ in 0..rows {
        let row: Vec<String> = names
            .iter()
            .map(|n| {
                let day = format!("2017-{:02}-{:02}", 1 + dice.roll(12), 1 + dice.roll(28));
                if n.contains("日期") {
                    day
                } else if n.contains("時間") {
                    format!("{:02}:{:02}", dice.roll(24), dice.roll(60))
                } else if n.contains("年度") {
                    "106".into()
                } else if n.contains("月份") {
                    (1 + dice.roll(12)).to_string()
                } else if n.contains("星期") {
                    dice.pick(&["一", "二", "三", "四", "五", "六", "日"])
                        .into()
                } else if n.contains("年齡") {
                    (5 + dice.roll(80)).to_string()
                } else if n.contains("性別") {
                    dice.pick(&["男", "女"]).into()
                } else if n.contains("國籍") {
                    dice.pick(&["本國", "本國", "本國", "印尼", "越南"]).into()
                } else if n.contains("分類") {
                    dice.pick(&["本土個案", "境外移入"]).into()
                } else if n.contains("地址") {
                    format!("{}示範路{}號", dice.pick(DISTRICTS), 1 + dice.roll(300))
                } else if n.contains("區") || n.contains("感染地") || n.contains("里別") {
                    dice.pick(DISTRICTS).into()
                } else if n.contains("量") || n.contains("數") {
                    dice.roll(40).to_string()
                } else {
                    format!("示範{}", 1 + dice.roll(9))
                }
            })
            .collect();
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

fn field_names(d: &Dataset, take: usize) -> Vec<String> {
    d.record
        .fields
        .iter()
        .take(take)
        .map(|f| f.name.clone())
        .collect()
}

/// Replay the sharing story over the last month, ending at `now`.
/// What the exchange part of the demo builds on: the approved requests and their datasets.
pub struct SharingStory {
    /// 社會局's request for 衛生局's dengue cases (approved in part).
    pub dengue_request: i64,
    pub dengue_dataset: i64,
    /// 交通局's request for 警察局's accident records (approved).
    pub accidents_request: i64,
    pub accidents_dataset: i64,
    /// 交通局's live bus positions (警察局's request still waits).
    pub bus_dataset: i64,
}

pub async fn replay(
    p: &Platform,
    clock: &ManualClock,
    now: Timestamp,
    password: &str,
) -> anyhow::Result<SharingStory> {
    let op = runtime::operator();
    let start = now.sub(Duration::days(32));
    clock.set(start);
    for (name, display, agency) in STEWARDS {
        let scope = Scope::Agency(civitas_core::agencies::AgencyCode::parse(agency).map_err(err)?);
        p.accounts()
            .create_user(
                &op,
                NewUserRequest {
                    name: (*name).into(),
                    display_name: (*display).into(),
                    email: Some(format!("{name}@demo.tycg.example")),
                    home_agency: Some((*agency).into()),
                    password: password.into(),
                    grants: vec![Grant {
                        role: Role::DataSteward,
                        scope,
                    }],
                    language: Language::ZhTw,
                    date_style: DateStyle::Roc,
                },
            )
            .await
            .map_err(err)?;
    }
    let kao = caller(p, "kao.health").await?;
    let tsai = caller(p, "tsai.health").await?;
    let hsu = caller(p, "hsu.police").await?;
    let yang = caller(p, "yang.edu").await?;
    let lai = caller(p, "lai.steward").await?;
    let chen = caller(p, "chen.steward").await?;
    let mut dice = Dice(20_171_106);

    // Stewards mark what is not open data and upload the files.
    let marks = [
        (DENGUE, AccessLevel::PersonalData, &kao, 60),
        (ACCIDENTS, AccessLevel::Restricted, &hsu, 120),
        (HIGH_RISK, AccessLevel::PersonalData, &lai, 13),
        (BUS_POSITIONS, AccessLevel::Restricted, &chen, 40),
    ];
    let mut ids = Vec::new();
    for (identifier, level, steward, rows) in marks {
        let d = dataset(p, identifier).await?;
        let mut record = d.record.clone();
        record.access_level = level;
        p.catalog()
            .update(steward, d.id, record)
            .await
            .map_err(err)?;
        clock.advance(Duration::minutes(7));
        let d = dataset(p, identifier).await?;
        let csv = generated_csv(&d, rows, &mut dice)?;
        p.sharing()
            .upload(steward, d.id, "demo-generated.csv", "text/csv", &csv)
            .await
            .map_err(err)?;
        clock.advance(Duration::minutes(13));
        ids.push(d);
    }
    let [dengue, accidents, high_risk, bus] = <[Dataset; 4]>::try_from(ids)
        .map_err(|_| anyhow::anyhow!("four demo datasets expected"))?;

    let ask = |dataset: &Dataset,
               agency: &str,
               purpose: &str,
               legal: Option<&str>,
               fields: Vec<String>,
               days: u32|
     -> anyhow::Result<NewAccessRequest> {
        Ok(NewAccessRequest {
            dataset_id: dataset.id,
            requesting_agency: civitas_core::agencies::AgencyCode::parse(agency).map_err(err)?,
            purpose: purpose.into(),
            legal_basis: legal.map(str::to_string),
            fields,
            period_from: Some("2017-01-01".into()),
            period_to: Some("2017-12-31".into()),
            days,
        })
    };

    // 1. 社會局 asks 衛生局 for dengue cases; approved in part by two people; a key for its system.
    clock.set(start.add(Duration::days(2)));
    let r1 = p
        .sharing()
        .request(
            &lai,
            ask(
                &dengue,
                "380120000J",
                "登革熱確診個案家庭之社會救助與關懷訪視",
                Some("個人資料保護法第16條第2款；社會救助法第4條"),
                field_names(&dengue, 6),
                180,
            )?,
        )
        .await
        .map_err(err)?;
    clock.advance(Duration::days(1));
    let keep: Vec<String> = field_names(&dengue, 6)
        .into_iter()
        .filter(|f| !f.contains("地址"))
        .take(5)
        .collect();
    p.sharing()
        .decide(
            &kao,
            r1.id,
            Decision::ApproveInPart {
                fields: keep,
                days: Some(120),
                reason: "地址屬可直接識別個人之資料，改由衛生局轉介".into(),
            },
        )
        .await
        .map_err(err)?;
    clock.advance(Duration::hours(20));
    let (_, grant) = p
        .sharing()
        .decide(&tsai, r1.id, Decision::Approve { days: Some(120) })
        .await
        .map_err(err)?;
    let grant = grant.context("the dengue request should have made a grant")?;
    let (secret, _) = p
        .sharing()
        .issue_key(&lai, grant.id, "社福個案管理系統")
        .await
        .map_err(err)?;

    // 2. 交通局 asks 警察局 for accident records: approved in full.
    clock.set(start.add(Duration::days(4)));
    let r2 = p
        .sharing()
        .request(
            &chen,
            ask(
                &accidents,
                "380290000H",
                "路口號誌改善與交通事故熱點分析",
                Some("道路交通管理處罰條例第4條"),
                Vec::new(),
                365,
            )?,
        )
        .await
        .map_err(err)?;
    clock.advance(Duration::days(2));
    p.sharing()
        .decide(&hsu, r2.id, Decision::Approve { days: None })
        .await
        .map_err(err)?;

    // 3. 教育局 asks 社會局 for high-risk family reports: refused with a reason.
    clock.set(start.add(Duration::days(6)));
    let r3 = p
        .sharing()
        .request(
            &yang,
            ask(
                &high_risk,
                "380040000E",
                "學生輔導資源配置",
                Some("兒童及少年福利與權益保障法第54條"),
                Vec::new(),
                365,
            )?,
        )
        .await
        .map_err(err)?;
    clock.advance(Duration::days(3));
    p.sharing()
        .decide(
            &lai,
            r3.id,
            Decision::Refuse {
                reason: "通報資料屬個案資料；請改申請依學區彙整之去識別化統計".into(),
            },
        )
        .await
        .map_err(err)?;

    // 4. 警察局 asks 衛生局 for dengue cases: the first approval is in, a second is awaited.
    clock.set(now.sub(Duration::days(3)));
    let r4 = p
        .sharing()
        .request(
            &hsu,
            ask(
                &dengue,
                "380130000C",
                "防疫期間協助疫情調查與居家檢疫訪查",
                Some("傳染病防治法第43條"),
                field_names(&dengue, 5),
                60,
            )?,
        )
        .await
        .map_err(err)?;
    clock.advance(Duration::days(1));
    p.sharing()
        .decide(&kao, r4.id, Decision::Approve { days: Some(60) })
        .await
        .map_err(err)?;

    // 5. 警察局 asks 交通局 for live bus positions: waiting for chen.steward.
    clock.set(now.sub(Duration::days(1)));
    p.sharing()
        .request(
            &hsu,
            ask(
                &bus,
                "380130000C",
                "公車違規行駛與事故現場比對",
                None,
                Vec::new(),
                90,
            )?,
        )
        .await
        .map_err(err)?;

    // A month of use: 社會局's system reads the grant every working morning, 交通局 downloads
    // the accident records weekly, and staff look at datasets in the catalogue.
    let (_, program) = p.sharing().resolve_key(&secret).await.map_err(err)?;
    let open: Vec<i64> = p
        .stores
        .catalog
        .active_datasets()
        .await
        .map_err(err)?
        .into_iter()
        .filter(|d| d.record.access_level == AccessLevel::Open)
        .map(|d| d.id)
        .collect();
    let viewers = [&lai, &chen, &hsu, &yang, &kao];
    let first_use = start.add(Duration::days(4));
    let today = now.taipei_date();
    for back in (0..28).rev() {
        let day = today - Duration::days(back);
        if day.weekday().number_from_monday() >= 6 {
            continue;
        }
        let morning = Timestamp::from_offset(
            day.with_hms(8, 30, 0)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .assume_offset(civitas_core::time::TAIPEI),
        );
        if morning < first_use || morning > now {
            continue;
        }
        clock.set(morning);
        p.sharing()
            .read_rows(Some(&program), dengue.id, 0, 100, Some(grant.id))
            .await
            .map_err(err)?;
        if day.weekday().number_from_monday() == 1 && morning > start.add(Duration::days(6)) {
            clock.advance(Duration::hours(2));
            p.sharing()
                .download(Some(&chen), accidents.id, None)
                .await
                .map_err(err)?;
        }
        for _ in 0..(3 + dice.roll(6)) {
            clock.advance(Duration::minutes(i64::from(10 + dice.roll(50))));
            let who = viewers
                .get(dice.roll(viewers.len() as u32) as usize)
                .copied()
                .unwrap_or(&lai);
            // Most attention goes to a few datasets, as in any catalogue.
            let pick = if dice.roll(3) == 0 {
                dice.roll(open.len() as u32)
            } else {
                dice.roll(40.min(open.len() as u32))
            };
            if let Some(id) = open.get(pick as usize) {
                p.sharing().record_view(Some(who), *id).await.map_err(err)?;
            }
        }
    }
    clock.set(now);
    Ok(SharingStory {
        dengue_request: r1.id,
        dengue_dataset: dengue.id,
        accidents_request: r2.id,
        accidents_dataset: accidents.id,
        bus_dataset: bus.id,
    })
}
