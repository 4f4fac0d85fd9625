//! A platform on a fresh SQLite file with a manual clock, Taoyuan's 交通局 and its monthly
//! parking dataset, last updated 民國113年2月1日 09:00.

use std::sync::Arc;

use civitas_core::accounts::{Argon2Params, NewUserRequest};
use civitas_core::agencies::AgencyImportFormat;
use civitas_core::authz::{Grant, Principal, Role, Scope};
use civitas_core::catalog::CatalogFormat;
use civitas_core::clock::ManualClock;
use civitas_core::notify::NotifyPolicy;
use civitas_core::time::{DateStyle, Language, Timestamp};
use civitas_core::{Caller, Platform, SecurityPolicy};
use civitas_store_sqlite::{OpenOptions, SqliteStore};
use tempfile::TempDir;

const AGENCIES: &str = "code,name_zh,name_en,short_name_zh,parent_code,kind\n\
    380000000A,桃園市政府,Taoyuan City Government,市政府,,city_government\n\
    380330000E,桃園市政府文化局,Department of Cultural Affairs,文化局,380000000A,bureau\n\
    380290000H,桃園市政府交通局,Department of Transportation,交通局,380000000A,bureau\n";

const DATASETS: &str = "資料名稱,資料集提供機關,更新頻率,資料連結網址,最後更新時間,檔案格式,資料集描述,主要欄位說明,分類及編號\n\
    桃園市公有停車場資訊,380290000H 【交通局】,每月,https://data.tycg.gov.tw/opendata/datalist/datasetMeta?oid=aaaaaaaa-0000-0000-0000-000000000001,2024-02-01 09:00:00,CSV,公有停車場位置與車位數,name(名稱)、spaces(車位數),交通及通訊 (117)\n";

pub fn taipei(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(&format!("{text}+08:00")).unwrap()
}

pub struct World {
    pub platform: Platform,
    pub clock: Arc<ManualClock>,
    _store: Arc<SqliteStore>,
    _dir: TempDir,
}

fn operator() -> Caller {
    Caller::new(Principal::operator("test"), None)
}

impl World {
    /// Four days before the parking dataset falls due (民國113年3月1日 09:00).
    pub async fn new(policy: NotifyPolicy) -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
        let clock = Arc::new(ManualClock::new(taipei("2024-02-26T09:00:00")));
        let security = SecurityPolicy {
            argon2: Argon2Params {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            },
            ..SecurityPolicy::default()
        };
        let platform = Platform::new(store.stores(), clock.clone(), security).with_notify(policy);
        platform
            .agencies()
            .import(
                &operator(),
                AGENCIES.as_bytes(),
                AgencyImportFormat::CivitasCsv,
                "test",
            )
            .await
            .unwrap();
        platform
            .catalog()
            .import(
                &operator(),
                DATASETS.as_bytes(),
                CatalogFormat::TaoyuanSupplyList,
                "test",
            )
            .await
            .unwrap();
        World {
            platform,
            clock,
            _store: store,
            _dir: dir,
        }
    }

    pub async fn add_steward(&self, name: &str, email: &str, agency: &str) {
        self.platform
            .accounts()
            .create_user(
                &operator(),
                NewUserRequest {
                    name: name.into(),
                    display_name: name.into(),
                    email: Some(email.into()),
                    home_agency: Some(agency.into()),
                    password: "correct horse battery staple".into(),
                    grants: vec![Grant {
                        role: Role::DataSteward,
                        scope: Scope::Agency(
                            civitas_core::agencies::AgencyCode::parse(agency).unwrap(),
                        ),
                    }],
                    language: Language::ZhTw,
                    date_style: DateStyle::Roc,
                },
            )
            .await
            .unwrap();
    }

    /// Move the clock and run the hourly reassessment.
    pub async fn reassess_at(&self, at: Timestamp) {
        self.clock.set(at);
        self.platform
            .catalog()
            .recompute_freshness(at)
            .await
            .unwrap();
    }
}
