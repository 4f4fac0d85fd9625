//! Every role × every route: allowed exactly when the role's permissions say so, checked on
//! the server for tokens, sessions and anonymous callers alike. The API table must cover every
//! operation in the OpenAPI document, so a new endpoint cannot skip this test.

use civitas_core::authz::{Grant, Permission, Role, Scope};
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{PASSWORD, TestApp, client};

#[derive(Clone, Copy, Debug)]
enum Need {
    Public,
    SignedIn,
    Perm(Permission),
    /// Either permission is enough.
    Either(Permission, Permission),
}

struct Route {
    method: Method,
    path: &'static str,
    body: Option<Value>,
    need: Need,
}

fn r(method: Method, path: &'static str, body: Option<Value>, need: Need) -> Route {
    Route {
        method,
        path,
        body,
        need,
    }
}

fn api_routes() -> Vec<Route> {
    use Need::*;
    use Permission::*;
    let pw = "another long pass phrase";
    vec![
        r(Method::GET, "/api/v1/me", None, SignedIn),
        r(
            Method::PUT,
            "/api/v1/me/preferences",
            Some(json!({"language": "zh-TW", "date_style": "roc"})),
            SignedIn,
        ),
        r(
            Method::POST,
            "/api/v1/me/password",
            Some(json!({"current_password": "wrong one", "new_password": pw})),
            SignedIn,
        ),
        r(Method::GET, "/api/v1/agencies", None, Perm(ReadAgencies)),
        r(
            Method::POST,
            "/api/v1/agencies",
            Some(
                json!({"code": "TY-NEWONE", "name_zh": "新機關", "parent": "380000000A", "kind": "bureau"}),
            ),
            Perm(ManageAgencies),
        ),
        r(
            Method::GET,
            "/api/v1/agencies/380330000E",
            None,
            Perm(ReadAgencies),
        ),
        r(
            Method::PATCH,
            "/api/v1/agencies/380330000E",
            Some(json!({"name_en": "Cultural Affairs"})),
            Perm(ManageAgencies),
        ),
        r(
            Method::POST,
            "/api/v1/agencies/TY-ARTMUSEUM/retire",
            Some(json!({})),
            Perm(ManageAgencies),
        ),
        r(
            Method::POST,
            "/api/v1/agencies/TY-ARTMUSEUM/reactivate",
            None,
            Perm(ManageAgencies),
        ),
        r(
            Method::POST,
            "/api/v1/agencies/import?format=civitas-csv",
            Some(json!("csv")),
            Perm(ManageAgencies),
        ),
        r(Method::GET, "/api/v1/users", None, Perm(ReadUsers)),
        r(
            Method::POST,
            "/api/v1/users",
            Some(json!({"name": "newbie", "display_name": "新人", "password": pw})),
            Perm(ManageUsers),
        ),
        r(Method::GET, "/api/v1/users/admin", None, Perm(ReadUsers)),
        r(
            Method::PATCH,
            "/api/v1/users/admin",
            Some(json!({"display_name": "管理者"})),
            Perm(ManageUsers),
        ),
        r(
            Method::POST,
            "/api/v1/users/admin/grants",
            Some(json!({"role": "viewer"})),
            Perm(ManageUsers),
        ),
        r(
            Method::DELETE,
            "/api/v1/users/admin/grants/99999",
            None,
            Perm(ManageUsers),
        ),
        r(
            Method::POST,
            "/api/v1/users/admin/password",
            Some(json!({"new_password": pw})),
            Perm(ManageUsers),
        ),
        r(
            Method::POST,
            "/api/v1/users/admin/unlock",
            None,
            Perm(ManageUsers),
        ),
        r(Method::GET, "/api/v1/tokens", None, SignedIn),
        r(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"label": "matrix", "expires_in_days": 1})),
            SignedIn,
        ),
        r(Method::DELETE, "/api/v1/tokens/99999", None, SignedIn),
        r(Method::GET, "/api/v1/audit", None, Perm(ReadAudit)),
        r(Method::GET, "/api/v1/audit/export", None, Perm(ReadAudit)),
        r(Method::GET, "/api/v1/audit/verify", None, Perm(ReadAudit)),
        r(
            Method::GET,
            "/api/v1/datasets?q=停車",
            None,
            Perm(ReadCatalog),
        ),
        r(Method::GET, "/api/v1/datasets/1", None, Perm(ReadCatalog)),
        r(
            Method::POST,
            "/api/v1/datasets",
            Some(json!("record")),
            Perm(ManageCatalog),
        ),
        r(
            Method::PUT,
            "/api/v1/datasets/1",
            Some(json!("record")),
            Perm(ManageCatalog),
        ),
        r(
            Method::GET,
            "/api/v1/catalog/harvest/sources",
            None,
            Perm(ManageCatalog),
        ),
        r(
            Method::POST,
            "/api/v1/catalog/harvest/sources/nowhere/run",
            Some(json!({})),
            Perm(ManageCatalog),
        ),
        r(
            Method::POST,
            "/api/v1/datasets/1/review",
            Some(json!({"note": "nothing new"})),
            Perm(ManageCatalog),
        ),
        r(
            Method::GET,
            "/api/v1/datasets/1/versions",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::POST,
            "/api/v1/catalog/import?format=taoyuan-supply-list",
            Some(json!("csv")),
            Perm(ManageCatalog),
        ),
        r(
            Method::GET,
            "/api/v1/catalog/dcat?format=jsonld",
            None,
            Perm(ReadCatalog),
        ),
        r(Method::GET, "/catalog.ttl", None, Public),
        r(
            Method::GET,
            "/api/v1/imports",
            None,
            Either(ReadImports, ReadAlerts),
        ),
        r(
            Method::GET,
            "/api/v1/imports/1",
            None,
            Either(ReadImports, ReadAlerts),
        ),
        r(
            Method::GET,
            "/api/v1/notifications?unread=1",
            None,
            SignedIn,
        ),
        r(
            Method::POST,
            "/api/v1/notifications/99999/read",
            None,
            SignedIn,
        ),
        r(
            Method::POST,
            "/api/v1/notifications/read-all",
            None,
            SignedIn,
        ),
        r(
            Method::POST,
            "/api/v1/sharing/requests",
            Some(
                json!({"dataset_id": 1, "requesting_agency": "380130000C", "purpose": "路邊停車管理", "days": 30}),
            ),
            Perm(RequestData),
        ),
        r(
            Method::GET,
            "/api/v1/sharing/requests",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::GET,
            "/api/v1/sharing/requests/99999",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::POST,
            "/api/v1/sharing/requests/99999/decision",
            Some(json!({"decision": "approve"})),
            Perm(ManageCatalog),
        ),
        r(
            Method::POST,
            "/api/v1/sharing/requests/99999/withdraw",
            None,
            Perm(RequestData),
        ),
        r(
            Method::GET,
            "/api/v1/sharing/grants",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::GET,
            "/api/v1/sharing/grants/99999",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::POST,
            "/api/v1/sharing/grants/99999/revoke",
            Some(json!({"reason": "不再需要"})),
            Perm(ManageCatalog),
        ),
        r(
            Method::POST,
            "/api/v1/sharing/grants/99999/keys",
            Some(json!({"label": "系統"})),
            Perm(ReadSharedData),
        ),
        r(
            Method::GET,
            "/api/v1/sharing/grants/99999/keys",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::POST,
            "/api/v1/sharing/grants/99999/keys/1/revoke",
            None,
            Perm(ReadSharedData),
        ),
        r(Method::GET, "/api/v1/datasets/1/data", None, Public),
        r(Method::GET, "/api/v1/datasets/1/file", None, Public),
        r(
            Method::POST,
            "/api/v1/datasets/1/file?name=parking.csv",
            Some(json!("csv")),
            Perm(ManageCatalog),
        ),
        r(
            Method::GET,
            "/api/v1/usage?days=30",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::GET,
            "/api/v1/datasets/1/usage",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::GET,
            "/api/v1/datasets/1/access-log",
            None,
            Either(ManageCatalog, ReadAudit),
        ),
        r(Method::GET, "/api/v1/demands", None, Perm(ReadCatalog)),
        r(
            Method::POST,
            "/api/v1/demands",
            Some(
                json!({"needing_agency": "380130000C", "title": "公有停車場即時車位", "purpose": "違規停車熱點分析", "likely_holder": "380290000H"}),
            ),
            Perm(ManageCatalog),
        ),
        r(
            Method::GET,
            "/api/v1/demands/99999",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::PUT,
            "/api/v1/demands/99999",
            Some(json!({"title": "公有停車場", "purpose": "違規停車熱點分析"})),
            Perm(ManageCatalog),
        ),
        r(
            Method::POST,
            "/api/v1/demands/99999/status",
            Some(json!({"status": "met"})),
            Perm(ManageCatalog),
        ),
        r(
            Method::GET,
            "/api/v1/demands/99999/suggestions",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::POST,
            "/api/v1/demands/99999/matches",
            Some(json!({"dataset_id": 1})),
            Perm(ManageCatalog),
        ),
        r(
            Method::DELETE,
            "/api/v1/demands/99999/matches/1",
            None,
            Perm(ManageCatalog),
        ),
        r(
            Method::GET,
            "/api/v1/inventory/matrix",
            None,
            Perm(ReadCatalog),
        ),
        r(Method::GET, "/api/v1/platforms", None, Perm(ReadPortfolio)),
        r(
            Method::POST,
            "/api/v1/platforms",
            Some(
                json!({"name_zh": "資料開放平台", "operator": "380000000A", "since_year": 104, "status": "active"}),
            ),
            Perm(ManagePortfolio),
        ),
        r(
            Method::PUT,
            "/api/v1/platforms/99999",
            Some(json!({"name_zh": "資料開放平台", "operator": "380000000A", "status": "active"})),
            Perm(ManagePortfolio),
        ),
        r(
            Method::PUT,
            "/api/v1/platforms/99999/costs/113",
            Some(json!({"amount": 44000000})),
            Perm(ManagePortfolio),
        ),
        r(
            Method::DELETE,
            "/api/v1/platforms/99999/costs/113",
            None,
            Perm(ManagePortfolio),
        ),
        r(
            Method::GET,
            "/api/v1/platforms/sources",
            None,
            Perm(ReadPortfolio),
        ),
        r(
            Method::PUT,
            "/api/v1/platforms/sources",
            Some(json!({"source": "taoyuan-supply-list", "platform_id": null})),
            Perm(ManagePortfolio),
        ),
        r(
            Method::GET,
            "/api/v1/platforms/benefit?months=6",
            None,
            Perm(ReadPortfolio),
        ),
        r(
            Method::POST,
            "/api/v1/alerts/eve/bulk",
            Some(json!({"timestamp": "2024-01-01T00:00:00Z", "event_type": "stats"})),
            Perm(ManageAlerts),
        ),
        r(
            Method::GET,
            "/api/v1/alerts?severity=high",
            None,
            Perm(ReadAlerts),
        ),
        r(
            Method::GET,
            "/api/v1/alerts/summary",
            None,
            Perm(ReadAlerts),
        ),
        r(
            Method::GET,
            "/api/v1/alerts/analysis?from_month=2024-01&to_month=2024-03",
            None,
            Perm(ReadAlerts),
        ),
        r(Method::GET, "/api/v1/alerts/1", None, Perm(ReadAlerts)),
        r(Method::GET, "/api/v1/alerts/rules", None, Perm(ReadAlerts)),
        r(
            Method::POST,
            "/api/v1/alerts/rules/preview",
            Some(json!({"rules": "version = \"\""})),
            Perm(ManageAlerts),
        ),
        r(
            Method::PUT,
            "/api/v1/alerts/rules",
            Some(json!({"rules": "version = \"\""})),
            Perm(ManageAlerts),
        ),
        r(
            Method::POST,
            "/api/v1/alerts/notes",
            Some(json!({"dimension": "category", "value": "dos", "cause": "a test"})),
            Perm(ManageAlerts),
        ),
        r(
            Method::GET,
            "/api/v1/incidents?open=true",
            None,
            Perm(ReadIncidents),
        ),
        r(
            Method::GET,
            "/api/v1/incidents/measures?from=2025-01-01&to=2025-12-31",
            None,
            Perm(ReadIncidents),
        ),
        r(
            Method::GET,
            "/api/v1/incidents/compliance",
            None,
            Perm(ReadIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/incidents",
            Some(
                json!({"title": "網站遭植入廣告連結", "agency": "380330000E",
                        "category": "malicious-web-content", "how_learned": "市民來信",
                        "aware_at": "2024-03-01T08:00:00+08:00"}),
            ),
            Perm(ManageIncidents),
        ),
        r(
            Method::GET,
            "/api/v1/incidents/INC-2099-9999",
            None,
            Perm(ReadIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/incidents/INC-2099-9999/assess",
            Some(json!({"revision": 1, "effects": []})),
            Perm(ManageIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/incidents/INC-2099-9999/events",
            Some(json!({"revision": 1, "kind": "notified", "at": "2024-03-01T08:30:00+08:00"})),
            Perm(ManageIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/incidents/INC-2099-9999/determination",
            Some(json!({"revision": 1, "determination": "confirmed", "why": "確認"})),
            Perm(ManageIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/incidents/INC-2099-9999/close",
            Some(json!({"revision": 1, "summary": "結案"})),
            Perm(ManageIncidents),
        ),
        r(
            Method::GET,
            "/api/v1/incidents/INC-2099-9999/stix",
            None,
            Perm(ReadIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/incidents/INC-2099-9999/forensics",
            Some(
                json!({"vendor": "廠商", "scope": "主機", "starts_on": "2024-03-02T09:00:00+08:00",
                        "report_due": "2024-03-30T09:00:00+08:00"}),
            ),
            Perm(ManageIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/incidents/INC-2099-9999/actions",
            Some(
                json!({"recommendation": "修補", "owner_agency": "380330000E", "owner": "it.wang",
                        "due_at": "2024-05-01T17:00:00+08:00", "priority": "high",
                        "closure_criteria": "掃描無高風險"}),
            ),
            Perm(ManageIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/forensics/FX-2099-9999/reports",
            Some(json!({})),
            Perm(ManageIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/forensics/FX-2099-9999/accept",
            Some(json!({"revision": 1})),
            Perm(ManageIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/forensics/FX-2099-9999/findings",
            Some(json!({"revision": 1, "root_cause": "misconfiguration", "detail": "設定錯誤"})),
            Perm(ManageIncidents),
        ),
        r(
            Method::GET,
            "/api/v1/actions?status=done_pending_verification",
            None,
            Perm(ReadIncidents),
        ),
        r(
            Method::GET,
            "/api/v1/actions/ACT-2099-9999",
            None,
            Perm(ReadIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/actions/ACT-2099-9999/work",
            Some(json!({})),
            Perm(ManageIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/actions/ACT-2099-9999/verify",
            Some(json!({"revision": 1, "note": "確認"})),
            Perm(VerifyActions),
        ),
        r(
            Method::POST,
            "/api/v1/actions/ACT-2099-9999/send-back",
            Some(json!({"revision": 1, "note": "缺清單"})),
            Perm(VerifyActions),
        ),
        r(
            Method::POST,
            "/api/v1/actions/ACT-2099-9999/extend",
            Some(
                json!({"revision": 1, "to": "2024-06-01T17:00:00+08:00", "reason": "等待廠商",
                        "requested_by": "it.wang"}),
            ),
            Perm(ManageIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/actions/recurrence-check",
            None,
            Perm(ManageIncidents),
        ),
        r(
            Method::POST,
            "/api/v1/intel/bundles",
            Some(
                json!({"type": "bundle", "id": "bundle--6d1f0e2a-3b4c-4d5e-8f60-718293a4b5c7", "objects": []}),
            ),
            Perm(ManageAlerts),
        ),
        r(
            Method::GET,
            "/api/v1/intel/indicators?value=10.0.0.0",
            None,
            Perm(ReadAlerts),
        ),
        r(
            Method::GET,
            "/api/v1/intel/sightings",
            None,
            Perm(ReadAlerts),
        ),
        r(
            Method::GET,
            "/api/v1/intel/export",
            None,
            Perm(ManageAlerts),
        ),
        r(
            Method::GET,
            "/api/v1/exchange/services",
            None,
            Perm(ReadExchange),
        ),
        r(
            Method::POST,
            "/api/v1/exchange/services",
            Some(
                json!({"service_id": "TW/GOV/380330000E/CULTURE/events", "agency": "380330000E",
                        "title": "展演活動", "base_url": "http://127.0.0.1:9/api"}),
            ),
            Perm(ManageExchange),
        ),
        r(
            Method::POST,
            "/api/v1/exchange/services/99999/disable",
            Some(json!({"notice": "系統維護"})),
            Perm(ManageExchange),
        ),
        r(
            Method::POST,
            "/api/v1/exchange/services/99999/enable",
            None,
            Perm(ManageExchange),
        ),
        r(
            Method::GET,
            "/api/v1/exchange/services/99999/traffic",
            None,
            Perm(ReadExchange),
        ),
        r(
            Method::GET,
            "/api/v1/exchange/transfer-records",
            None,
            Perm(ReadExchange),
        ),
        r(
            Method::GET,
            "/api/v1/exchange/health",
            None,
            Perm(ReadExchange),
        ),
        r(
            Method::GET,
            "/api/v1/exchange/grants",
            None,
            Perm(ReadExchange),
        ),
        r(
            Method::POST,
            "/api/v1/exchange/grants",
            Some(json!({"service_id": "TW/GOV/380330000E/CULTURE/events",
                        "subject": "TW/GOV/380130000C/POLICE", "request_id": 99999})),
            Perm(ManageExchange),
        ),
        r(
            Method::POST,
            "/api/v1/exchange/grants/99999/revoke",
            None,
            Perm(ManageExchange),
        ),
        r(
            Method::GET,
            "/api/v1/exchange/log?errors_only=true",
            None,
            Perm(ReadExchange),
        ),
        r(
            Method::GET,
            "/api/v1/exchange/messages/99999/asice?side=request",
            None,
            Perm(ReadExchange),
        ),
        r(
            Method::GET,
            "/api/v1/exchange/credentials",
            None,
            Perm(ReadExchange),
        ),
        r(
            Method::POST,
            "/api/v1/exchange/credentials",
            Some(
                json!({"client": "TW/GOV/380330000E/CULTURE-SYS", "agency": "380330000E",
                        "kind": "token", "label": "文化局系統"}),
            ),
            Perm(ManageExchange),
        ),
        r(
            Method::POST,
            "/api/v1/exchange/credentials/99999/revoke",
            None,
            Perm(ManageExchange),
        ),
        r(
            Method::POST,
            "/api/v1/exchange/verify",
            None,
            Perm(ReadExchange),
        ),
        // The gateway's own face: information systems, not people (X-Road-Client decides).
        r(Method::GET, "/listClients", None, Public),
        r(
            Method::GET,
            "/r1/TW/GOV/380330000E/CULTURE/listMethods",
            None,
            Public,
        ),
        r(Method::GET, "/api/v1/openapi.json", None, Public),
        r(Method::GET, "/healthz", None, Public),
        r(Method::GET, "/readyz", None, Public),
        r(Method::GET, "/metrics", None, Perm(ReadMetrics)),
    ]
}

fn ui_routes() -> Vec<Route> {
    use Need::*;
    use Permission::*;
    let form = |pairs: &[(&str, &str)]| {
        Some(json!(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        ))
    };
    vec![
        r(Method::GET, "/", None, Perm(ReadDashboard)),
        r(Method::GET, "/account", None, SignedIn),
        r(Method::GET, "/tokens", None, SignedIn),
        r(Method::GET, "/notifications", None, SignedIn),
        r(
            Method::POST,
            "/notifications/99999/read",
            form(&[]),
            SignedIn,
        ),
        r(Method::POST, "/notifications/read-all", form(&[]), SignedIn),
        r(Method::GET, "/agencies", None, Perm(ReadAgencies)),
        r(
            Method::GET,
            "/agencies/380330000E",
            None,
            Perm(ReadAgencies),
        ),
        r(Method::GET, "/agencies/new", None, Perm(ManageAgencies)),
        r(
            Method::GET,
            "/agencies/380330000E/edit",
            None,
            Perm(ManageAgencies),
        ),
        r(Method::GET, "/agencies/import", None, Perm(ManageAgencies)),
        r(
            Method::POST,
            "/agencies",
            form(&[
                ("code", "TY-UINEW"),
                ("name_zh", "新"),
                ("kind", "bureau"),
                ("parent", "380000000A"),
            ]),
            Perm(ManageAgencies),
        ),
        r(
            Method::POST,
            "/agencies/380330000E",
            form(&[
                ("name_zh", "桃園市政府文化局"),
                ("kind", "bureau"),
                ("parent", "380000000A"),
            ]),
            Perm(ManageAgencies),
        ),
        r(
            Method::POST,
            "/agencies/TY-ARTMUSEUM/retire",
            form(&[]),
            Perm(ManageAgencies),
        ),
        r(
            Method::POST,
            "/agencies/TY-ARTMUSEUM/reactivate",
            form(&[]),
            Perm(ManageAgencies),
        ),
        r(Method::GET, "/users", None, Perm(ReadUsers)),
        r(Method::GET, "/users/new", None, Perm(ManageUsers)),
        r(
            Method::POST,
            "/users",
            form(&[
                ("name", "uinew"),
                ("display_name", "新"),
                ("password", "another long pass phrase"),
            ]),
            Perm(ManageUsers),
        ),
        r(Method::GET, "/users/admin", None, Perm(ReadUsers)),
        r(
            Method::POST,
            "/users/admin",
            form(&[("display_name", "管理者"), ("active", "on")]),
            Perm(ManageUsers),
        ),
        r(
            Method::POST,
            "/users/admin/grants",
            form(&[("role", "viewer")]),
            Perm(ManageUsers),
        ),
        r(
            Method::POST,
            "/users/admin/grants/99999/revoke",
            form(&[]),
            Perm(ManageUsers),
        ),
        r(
            Method::POST,
            "/users/admin/password",
            form(&[("new_password", "another long pass phrase")]),
            Perm(ManageUsers),
        ),
        r(
            Method::POST,
            "/users/admin/unlock",
            form(&[]),
            Perm(ManageUsers),
        ),
        r(Method::GET, "/audit", None, Perm(ReadAudit)),
        r(Method::GET, "/audit/export.csv", None, Perm(ReadAudit)),
        r(Method::POST, "/audit/verify", form(&[]), Perm(ReadAudit)),
        r(
            Method::GET,
            "/imports",
            None,
            Either(ReadImports, ReadAlerts),
        ),
        r(
            Method::GET,
            "/imports/1",
            None,
            Either(ReadImports, ReadAlerts),
        ),
        r(Method::GET, "/catalog?q=停車", None, Perm(ReadCatalog)),
        r(Method::GET, "/catalog/datasets/1", None, Perm(ReadCatalog)),
        r(Method::GET, "/catalog/new", None, Perm(ManageCatalog)),
        r(
            Method::POST,
            "/catalog/new",
            form(&[("title_zh", "測試"), ("frequency", "每月")]),
            Perm(ManageCatalog),
        ),
        r(Method::GET, "/catalog/import", None, Perm(ManageCatalog)),
        r(
            Method::POST,
            "/catalog/import",
            form(&[]),
            Perm(ManageCatalog),
        ),
        r(
            Method::GET,
            "/catalog/template.xlsx",
            None,
            Perm(ManageCatalog),
        ),
        r(
            Method::GET,
            "/catalog/template.csv",
            None,
            Perm(ManageCatalog),
        ),
        r(
            Method::GET,
            "/catalog/datasets/1/edit",
            None,
            Perm(ManageCatalog),
        ),
        r(
            Method::POST,
            "/catalog/datasets/1/edit",
            form(&[("title_zh", "桃園市公有停車場資訊"), ("frequency", "每月")]),
            Perm(ManageCatalog),
        ),
        r(Method::GET, "/catalog/harvest", None, Perm(ManageCatalog)),
        r(
            Method::POST,
            "/catalog/harvest/nowhere/run",
            form(&[]),
            Perm(ManageCatalog),
        ),
        r(Method::GET, "/freshness", None, Perm(ReadCatalog)),
        r(Method::GET, "/freshness/late.csv", None, Perm(ReadCatalog)),
        r(
            Method::POST,
            "/freshness/recompute",
            form(&[]),
            Perm(ManageCatalog),
        ),
        r(
            Method::POST,
            "/catalog/datasets/1/review",
            form(&[("note", "checked")]),
            Perm(ManageCatalog),
        ),
        r(Method::GET, "/sharing", None, Perm(ReadCatalog)),
        r(
            Method::GET,
            "/sharing/requests/99999",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::POST,
            "/sharing/requests/99999/decision",
            form(&[("decision", "approve")]),
            Perm(ManageCatalog),
        ),
        r(
            Method::POST,
            "/sharing/requests/99999/withdraw",
            form(&[]),
            Perm(RequestData),
        ),
        r(
            Method::GET,
            "/sharing/grants/99999",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::POST,
            "/sharing/grants/99999/keys",
            form(&[("label", "系統")]),
            Perm(ReadSharedData),
        ),
        r(
            Method::POST,
            "/sharing/grants/99999/keys/1/revoke",
            form(&[]),
            Perm(ReadSharedData),
        ),
        r(
            Method::POST,
            "/sharing/grants/99999/revoke",
            form(&[("reason", "不再需要")]),
            Perm(ManageCatalog),
        ),
        r(
            Method::GET,
            "/catalog/datasets/1/request",
            None,
            Perm(RequestData),
        ),
        r(
            Method::POST,
            "/catalog/datasets/1/request",
            form(&[
                ("requesting_agency", "380130000C"),
                ("purpose", "路邊停車管理"),
                ("days", "30"),
            ]),
            Perm(RequestData),
        ),
        r(
            Method::POST,
            "/catalog/datasets/1/upload",
            form(&[]),
            Perm(ManageCatalog),
        ),
        r(Method::GET, "/catalog/datasets/1/preview", None, SignedIn),
        r(Method::GET, "/catalog/datasets/1/file", None, Public),
        r(Method::GET, "/usage", None, Perm(ReadCatalog)),
        r(Method::GET, "/worklist", None, Perm(ManageCatalog)),
        r(Method::GET, "/usage/datasets.xlsx", None, Perm(ReadCatalog)),
        r(Method::GET, "/inventory", None, Perm(ReadCatalog)),
        r(
            Method::GET,
            "/inventory/demands.xlsx?gap=1",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::GET,
            "/inventory/agencies/380130000C",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::GET,
            "/inventory/demands/new",
            None,
            Perm(ManageCatalog),
        ),
        r(
            Method::POST,
            "/inventory/demands",
            form(&[
                ("needing_agency", "380130000C"),
                ("title", "公有停車場即時車位"),
                ("purpose", "違規停車熱點分析"),
                ("urgency", "high"),
                ("likely_holder", "380290000H"),
            ]),
            Perm(ManageCatalog),
        ),
        r(
            Method::GET,
            "/inventory/demands/99999",
            None,
            Perm(ReadCatalog),
        ),
        r(
            Method::GET,
            "/inventory/demands/99999/edit",
            None,
            Perm(ManageCatalog),
        ),
        r(
            Method::POST,
            "/inventory/demands/99999",
            form(&[("title", "停車"), ("purpose", "違規停車熱點分析")]),
            Perm(ManageCatalog),
        ),
        r(
            Method::POST,
            "/inventory/demands/99999/status",
            form(&[("status", "met")]),
            Perm(ManageCatalog),
        ),
        r(
            Method::POST,
            "/inventory/demands/99999/matches",
            form(&[("dataset_id", "1")]),
            Perm(ManageCatalog),
        ),
        r(
            Method::POST,
            "/inventory/demands/99999/matches/1/remove",
            form(&[]),
            Perm(ManageCatalog),
        ),
        r(
            Method::GET,
            "/catalog/datasets/1/request?demand=99999",
            None,
            Perm(RequestData),
        ),
        r(Method::GET, "/platforms", None, Perm(ReadPortfolio)),
        r(
            Method::GET,
            "/platforms/benefit.csv?months=6",
            None,
            Perm(ReadPortfolio),
        ),
        r(
            Method::POST,
            "/platforms",
            form(&[
                ("name_zh", "資料開放平台"),
                ("operator", "380000000A"),
                ("since_year", "104"),
                ("status", "active"),
            ]),
            Perm(ManagePortfolio),
        ),
        r(
            Method::POST,
            "/platforms/99999/costs",
            form(&[("roc_year", "113"), ("amount", "44,000,000")]),
            Perm(ManagePortfolio),
        ),
        r(
            Method::POST,
            "/platforms/sources",
            form(&[("source", "taoyuan-supply-list"), ("platform_id", "")]),
            Perm(ManagePortfolio),
        ),
        r(Method::GET, "/alerts", None, Perm(ReadAlerts)),
        r(
            Method::GET,
            "/alerts/list?severity=high",
            None,
            Perm(ReadAlerts),
        ),
        r(Method::GET, "/alerts/rules", None, Perm(ReadAlerts)),
        r(
            Method::GET,
            "/alerts/report?month=2024-03",
            None,
            Perm(ReadAlerts),
        ),
        r(
            Method::GET,
            "/alerts/report.xlsx?month=2024-03",
            None,
            Perm(ReadAlerts),
        ),
        r(
            Method::POST,
            "/alerts/report/commentary",
            form(&[("month", "2024-03"), ("commentary", "a test")]),
            Perm(ManageAlerts),
        ),
        r(
            Method::POST,
            "/alerts/rules/preview",
            form(&[("rules", "version = \"\"")]),
            Perm(ManageAlerts),
        ),
        r(
            Method::POST,
            "/alerts/rules",
            form(&[("rules", "version = \"\"")]),
            Perm(ManageAlerts),
        ),
        r(
            Method::POST,
            "/alerts/notes",
            form(&[("target", "category|dos"), ("cause", "a test")]),
            Perm(ManageAlerts),
        ),
        r(Method::GET, "/assets", None, Perm(ReadDashboard)),
        r(Method::GET, "/exchange", None, Perm(ReadExchange)),
        r(Method::GET, "/exchange/grants", None, Perm(ReadExchange)),
        r(
            Method::GET,
            "/exchange/log?status=failed",
            None,
            Perm(ReadExchange),
        ),
        r(Method::GET, "/exchange/readiness", None, Perm(ReadExchange)),
        r(
            Method::GET,
            "/exchange/log/99999/response.asice",
            None,
            Perm(ReadExchange),
        ),
        r(Method::GET, "/exchange/verify", None, Perm(ReadExchange)),
        r(
            Method::POST,
            "/exchange/verify",
            form(&[]),
            Perm(ReadExchange),
        ),
        r(
            Method::GET,
            "/exchange/services/9999/traffic",
            None,
            Perm(ReadExchange),
        ),
        r(
            Method::POST,
            "/exchange/services",
            form(&[("agency", ""), ("title", "")]),
            Perm(ManageExchange),
        ),
        r(
            Method::POST,
            "/exchange/services/9999/disable",
            form(&[("notice", "maintenance")]),
            Perm(ManageExchange),
        ),
        r(
            Method::POST,
            "/exchange/services/9999/enable",
            form(&[]),
            Perm(ManageExchange),
        ),
        r(
            Method::POST,
            "/exchange/grants",
            form(&[("request_id", "")]),
            Perm(ManageExchange),
        ),
        r(
            Method::POST,
            "/exchange/grants/9999/revoke",
            form(&[]),
            Perm(ManageExchange),
        ),
        r(Method::GET, "/incidents", None, Perm(ReadIncidents)),
        r(Method::GET, "/incidents/new", None, Perm(ManageIncidents)),
        r(
            Method::POST,
            "/incidents",
            form(&[("title", "")]),
            Perm(ManageIncidents),
        ),
        r(
            Method::GET,
            "/incidents/actions/mine",
            None,
            Perm(ReadIncidents),
        ),
        r(
            Method::GET,
            "/incidents/actions/verify",
            None,
            Perm(VerifyActions),
        ),
        r(
            Method::POST,
            "/incidents/actions/ACT-2024-9999/verify",
            form(&[("revision", "1"), ("note", "checked")]),
            Perm(VerifyActions),
        ),
        r(
            Method::POST,
            "/incidents/INC-2024-9999/events",
            form(&[
                ("revision", "1"),
                ("kind", "notified"),
                ("at", "2024-03-01T09:00"),
            ]),
            Perm(ManageIncidents),
        ),
    ]
}

#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    NoRoles,
    Role(Role),
}

fn allowed(who: Who, need: Need) -> bool {
    match (who, need) {
        (_, Need::Public) => true,
        (Who::Anonymous, _) => false,
        (_, Need::SignedIn) => true,
        (Who::NoRoles, Need::Perm(_)) => false,
        (Who::Role(role), Need::Perm(p)) => role.has(p),
        (Who::NoRoles, Need::Either(..)) => false,
        (Who::Role(role), Need::Either(a, b)) => role.has(a) || role.has(b),
    }
}

fn cases() -> Vec<Who> {
    let mut v = vec![Who::Anonymous, Who::NoRoles];
    v.extend(Role::ALL.iter().map(|r| Who::Role(*r)));
    v
}

async fn send(
    c: &reqwest::Client,
    app: &TestApp,
    route: &Route,
    bearer: Option<&str>,
    csrf: Option<&str>,
) -> u16 {
    let mut req = c.request(route.method.clone(), app.url(route.path));
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    if let Some(body) = &route.body {
        req = if route.path.starts_with("/api/v1/agencies/import")
            || route.path.starts_with("/api/v1/catalog/import")
            || route.path.starts_with("/api/v1/datasets/1/file")
        {
            req.header("content-type", "text/csv")
                .body("code,name_zh\n")
        } else if *body == json!("record") {
            req.json(&dataset_record())
        } else if route.path.starts_with("/api") {
            req.json(body)
        } else {
            let mut pairs: Vec<(String, String)> = serde_json::from_value(body.clone()).unwrap();
            pairs.push(("_csrf".into(), csrf.unwrap_or("").into()));
            req.form(&pairs)
        };
    }
    if let Some(csrf) = csrf
        && route.path.starts_with("/api")
    {
        req = req.header("x-csrf-token", csrf);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    // An address that does not exist is never "allowed": report it as a failure.
    let body = r.text().await.unwrap_or_default();
    if body.contains("\"route_not_found\"") || body.contains("找不到這個網址") {
        return 599;
    }
    status
}

/// A denial is 401 for anonymous API callers, a redirect to sign-in for anonymous page
/// visitors, and 403 for everyone signed in.
fn denied_status_ok(who: Who, is_api: bool, status: u16) -> bool {
    match who {
        Who::Anonymous if is_api => status == 401,
        Who::Anonymous => status == 303,
        _ => status == 403,
    }
}

#[tokio::test]
async fn every_role_reaches_exactly_the_api_routes_its_permissions_allow() {
    let mut failures = Vec::new();
    for who in cases() {
        let app = TestApp::spawn().await;
        let c = client();
        let (bearer, csrf) = match who {
            Who::Anonymous => (None, None),
            Who::NoRoles => {
                // A user with no roles cannot hold a token (it would carry nothing): use a session.
                app.add_user("nobody", &[], None).await;
                let (c2, csrf) = app.browser("nobody").await;
                for route in api_routes() {
                    let status = send(&c2, &app, &route, None, Some(&csrf)).await;
                    check(&mut failures, who, &route, true, status);
                }
                continue;
            }
            Who::Role(role) => {
                app.add_user(
                    "caller",
                    &[Grant {
                        role,
                        scope: Scope::City,
                    }],
                    None,
                )
                .await;
                (Some(app.token("caller").await), None)
            }
        };
        for route in api_routes() {
            let status = send(&c, &app, &route, bearer.as_deref(), csrf).await;
            check(&mut failures, who, &route, true, status);
        }
    }
    assert!(
        failures.is_empty(),
        "role × route mismatches:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_role_reaches_exactly_the_pages_its_permissions_allow() {
    let mut failures = Vec::new();
    for who in cases() {
        let app = TestApp::spawn().await;
        let (c, csrf) = match who {
            Who::Anonymous => {
                let c = client();
                let csrf = app.anon_csrf(&c).await;
                (c, csrf)
            }
            Who::NoRoles => {
                app.add_user("nobody", &[], None).await;
                app.browser("nobody").await
            }
            Who::Role(role) => {
                app.add_user(
                    "caller",
                    &[Grant {
                        role,
                        scope: Scope::City,
                    }],
                    None,
                )
                .await;
                app.browser("caller").await
            }
        };
        for route in ui_routes() {
            let status = send(&c, &app, &route, None, Some(&csrf)).await;
            check(&mut failures, who, &route, false, status);
        }
    }
    assert!(
        failures.is_empty(),
        "role × page mismatches:\n{}",
        failures.join("\n")
    );
}

fn check(failures: &mut Vec<String>, who: Who, route: &Route, is_api: bool, status: u16) {
    let expect_allowed = allowed(who, route.need);
    let ok = if expect_allowed {
        !matches!(status, 401 | 403)
            && status < 500
            && !(status == 303 && matches!(who, Who::Anonymous) && !is_api)
    } else {
        denied_status_ok(who, is_api, status)
    };
    if !ok {
        failures.push(format!(
            "{who:?} {} {} → {status} (expected {})",
            route.method,
            route.path,
            if expect_allowed { "allowed" } else { "denied" }
        ));
    }
}

#[tokio::test]
async fn the_matrix_covers_every_operation_in_the_api_description() {
    let app = TestApp::spawn().await;
    let doc: Value = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let covered: Vec<(String, String)> = api_routes()
        .iter()
        .map(|r| {
            (
                r.method.as_str().to_lowercase(),
                r.path.split('?').next().unwrap().to_string(),
            )
        })
        .collect();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let full = format!("/api/v1{path}");
            let hit = covered
                .iter()
                .any(|(m, p)| m == method && path_matches(&full, p));
            if !hit {
                missing.push(format!("{method} {full}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "operations without a role-matrix row: {missing:?}"
    );
}

/// `/api/v1/users/{name}` matches `/api/v1/users/admin`.
fn path_matches(template: &str, concrete: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let c: Vec<&str> = concrete.split('/').collect();
    t.len() == c.len() && t.iter().zip(&c).all(|(a, b)| a.starts_with('{') || a == b)
}

#[tokio::test]
async fn an_auditor_can_change_nothing_even_with_a_valid_session() {
    let app = TestApp::spawn().await;
    app.add_user(
        "audrey",
        &[Grant {
            role: Role::Auditor,
            scope: Scope::City,
        }],
        None,
    )
    .await;
    let token = app.token("audrey").await;
    let before = app.audit_head().await;
    let c = client();
    // POSTs that only read: verifying an uploaded container changes nothing, so an auditor may.
    let reads = ["/api/v1/exchange/verify"];
    for route in api_routes() {
        if route.method == Method::GET
            || matches!(route.need, Need::SignedIn)
            || reads.contains(&route.path)
        {
            continue;
        }
        let status = send(&c, &app, &route, Some(&token), None).await;
        assert_eq!(status, 403, "{} {}", route.method, route.path);
    }
    assert_eq!(
        app.audit_head().await,
        before,
        "denied requests changed nothing"
    );
    let _ = PASSWORD;
}

/// The parking dataset's record, as a steward would send it back with a small change.
fn dataset_record() -> Value {
    json!({
        "identifier": "aaaaaaaa-0000-0000-0000-000000000001", "title_zh": "桃園市公有停車場資訊",
        "title_en": "Public car parks", "description_zh": "公有停車場位置與車位數", "description_en": null,
        "agency": "380290000H", "category": "交通及通訊", "category_code": null, "keywords": [], "kind": "raw_data",
        "frequency": "每月", "license": null, "license_url": null, "cost": "免費", "cost_url": null, "cost_law": null,
        "access_level": "open", "contact_name": null, "contact_email": null, "contact_phone": null,
        "temporal_from": null, "temporal_to": null, "spatial": "桃園市", "language": "zh-TW",
        "landing_page": "https://data.tycg.gov.tw/opendata/datalist/datasetMeta?oid=aaaaaaaa-0000-0000-0000-000000000001",
        "record_count": null, "notes": null,
        "fields": [{"name": "name", "label": "名稱", "data_type": null, "description": null},
                   {"name": "spaces", "label": "車位數", "data_type": null, "description": null}],
        "distributions": [], "issued": null, "source_modified": "2024-02-01T01:00:00Z"
    })
}
