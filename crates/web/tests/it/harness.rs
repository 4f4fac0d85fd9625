//! Boot a real server for one test: fresh SQLite, a manual clock, a seeded organisation tree.

use std::sync::Arc;

use civitas_core::accounts::{Argon2Params, NewUserRequest};
use civitas_core::agencies::{AgencyCode, AgencyImportFormat};
use civitas_core::alerts::{
    AgencyDirectory, AlertSettings, SourceConfig, SourceFormat, SourceName, TargetDirectory,
    TargetEntry,
};
use civitas_core::authz::{Grant, Principal, Role, Scope};
use civitas_core::clock::ManualClock;
use civitas_core::time::{DateStyle, Language, Timestamp};
use civitas_core::{Caller, Platform, SecurityPolicy};
use civitas_store_sqlite::{OpenOptions, SqliteStore};
use civitas_web::{AppState, WebSettings};
use reqwest::redirect::Policy;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

pub const PASSWORD: &str = "correct horse battery staple";

pub const AGENCIES: &str = "code,name_zh,name_en,short_name_zh,parent_code,kind\n\
    380000000A,桃園市政府,Taoyuan City Government,市政府,,city_government\n\
    380330000E,桃園市政府文化局,Department of Cultural Affairs,文化局,380000000A,bureau\n\
    TY-ARTMUSEUM,桃園市立美術館,Taoyuan Museum of Fine Arts,美術館,380330000E,subordinate\n\
    380130000C,桃園市政府警察局,Police Department,警察局,380000000A,bureau\n\
    380290000H,桃園市政府交通局,Department of Transportation,交通局,380000000A,bureau\n";

/// Three datasets in Taoyuan's supply-list format; the parking one gets id 1.
pub const DATASETS: &str = "資料名稱,資料集提供機關,更新頻率,資料連結網址,最後更新時間,檔案格式,資料集描述,主要欄位說明,分類及編號\n\
    桃園市公有停車場資訊,380290000H 【交通局】,每月,https://data.tycg.gov.tw/opendata/datalist/datasetMeta?oid=aaaaaaaa-0000-0000-0000-000000000001,2024-02-01 09:00:00,CSV,公有停車場位置與車位數,name(名稱)、spaces(車位數),交通及通訊 (117)\n\
    桃園市公車路線,380290000H 【交通局】,不定期,https://data.tycg.gov.tw/opendata/datalist/datasetMeta?oid=aaaaaaaa-0000-0000-0000-000000000002,2023-06-01 09:00:00,JSON,市區公車路線與站牌,route(路線),交通及通訊 (117)\n\
    臺灣美術展覽資訊,TY-ARTMUSEUM 【美術館】,每季,https://data.tycg.gov.tw/opendata/datalist/datasetMeta?oid=aaaaaaaa-0000-0000-0000-000000000003,2023-10-01 10:00:00,CSV,美術館的展覽,title(展名),休閒旅遊 (72)\n";

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    #[allow(dead_code)]
    pub store: Arc<SqliteStore>,
    #[allow(dead_code)]
    pub dir: TempDir,
    cancel: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// 民國113年3月1日 09:00 in Taoyuan.
pub fn start_time() -> Timestamp {
    Timestamp::parse_rfc3339("2024-03-01T09:00:00+08:00").unwrap()
}

pub fn operator() -> Caller {
    Caller::new(Principal::operator("test"), None)
}

pub fn client() -> reqwest::Client {
    // Built with the workspace's rustls, which needs its provider chosen once per process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// One Suricata source, `eve`; the Wrccdc network (10.47.0.0/16) is the culture bureau's.
pub fn alert_settings() -> AlertSettings {
    let mut agencies = AgencyDirectory::new();
    agencies
        .add_range("10.47.0.0/16", AgencyCode::parse("380330000E").unwrap())
        .unwrap();
    AlertSettings {
        sources: vec![SourceConfig::new(
            SourceName::parse("eve").unwrap(),
            SourceFormat::Suricata,
        )],
        agencies,
        // A critical system no fixture reaches: `alerts::the_score_weighs_…` aims at it.
        targets: TargetDirectory::from_entries(&[TargetEntry {
            name: "自來水監控系統".into(),
            criticality: "critical".into(),
            ranges: vec!["10.99.1.0/24".into()],
            hosts: Vec::new(),
        }])
        .unwrap(),
        ..AlertSettings::default()
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(WebSettings::default()).await
    }

    pub async fn spawn_with(settings: WebSettings) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
        let clock = Arc::new(ManualClock::new(start_time()));
        // Cheap hashing in tests; production parameters are covered by the core's own test.
        let policy = SecurityPolicy {
            argon2: Argon2Params {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            },
            ..SecurityPolicy::default()
        };
        let platform =
            Platform::new(store.stores(), clock.clone(), policy).with_alerts(alert_settings());
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
                civitas_core::catalog::CatalogFormat::TaoyuanSupplyList,
                "test",
            )
            .await
            .unwrap();
        let state = AppState::new(platform, settings);
        let (router, _) = civitas_web::app(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let cancel = CancellationToken::new();
        tokio::spawn(civitas_web::serve(
            listener,
            router,
            cancel.clone().cancelled_owned(),
        ));
        let app = TestApp {
            base,
            state,
            clock,
            store,
            dir,
            cancel,
        };
        app.add_user(
            "admin",
            &[Grant {
                role: Role::PlatformAdmin,
                scope: Scope::City,
            }],
            None,
        )
        .await;
        app
    }

    pub fn platform(&self) -> &Platform {
        &self.state.platform
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The bytes of a download `c` makes, which must succeed.
    pub async fn download(&self, c: &reqwest::Client, path: &str) -> Vec<u8> {
        let r = c.get(self.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.bytes().await.unwrap().to_vec()
    }

    pub async fn add_user(&self, name: &str, grants: &[Grant], home: Option<&str>) {
        self.platform()
            .accounts()
            .create_user(
                &operator(),
                NewUserRequest {
                    name: name.into(),
                    display_name: format!("{name} 測試"),
                    email: None,
                    home_agency: home.map(str::to_string),
                    password: PASSWORD.into(),
                    grants: grants.to_vec(),
                    language: Language::ZhTw,
                    date_style: DateStyle::Roc,
                },
            )
            .await
            .unwrap();
    }

    /// A token for `name` carrying all their roles, valid for 30 days.
    pub async fn token(&self, name: &str) -> String {
        let (secret, _) = self
            .platform()
            .tokens()
            .create(
                &operator(),
                Some(name),
                "test",
                None,
                time::Duration::days(30),
            )
            .await
            .unwrap();
        secret
    }

    /// A browser signed in as `name`; returns the client and its CSRF token.
    pub async fn browser(&self, name: &str) -> (reqwest::Client, String) {
        let c = client();
        let csrf = self.anon_csrf(&c).await;
        let r = c
            .post(self.url("/login"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("name", name),
                ("password", PASSWORD),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "sign-in of {name} failed");
        let page = c
            .get(self.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        (c, csrf_of(&page))
    }

    /// Fetch the sign-in page and return the form's CSRF token (setting its cookie).
    pub async fn anon_csrf(&self, c: &reqwest::Client) -> String {
        let page = c
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        csrf_of(&page)
    }

    pub async fn audit_head(&self) -> i64 {
        self.platform()
            .stores
            .audit
            .head()
            .await
            .unwrap()
            .map(|h| h.seq)
            .unwrap_or(0)
    }

    pub async fn actions(&self) -> Vec<String> {
        self.platform()
            .stores
            .audit
            .entries_after(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect()
    }
}

pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// Assert the one error body shape and return the code.
pub async fn error_code(r: reqwest::Response) -> String {
    let body: serde_json::Value = r.json().await.expect("a JSON error body");
    let obj = body.as_object().expect("an object");
    assert!(
        obj.contains_key("code") && obj.contains_key("message") && obj.contains_key("detail"),
        "{body}"
    );
    assert!(!obj["message"].as_str().unwrap().is_empty());
    obj["code"].as_str().unwrap().to_string()
}
