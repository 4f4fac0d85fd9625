//! The measures and the compliance report over real HTTP: an incident nobody notified shows as
//! an overdue legal deadline with its legal source, in JSON and in the XLSX and ODS downloads;
//! bad periods are refused with a stable code; a data steward reads none of it.

use std::io::{Cursor, Read};

use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Grant, Role, Scope};
use serde_json::{Value, json};

use crate::harness::{TestApp, client, error_code};
use crate::office::{Field, open_in_libreoffice};

const CULTURE: &str = "380330000E";

fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[tokio::test]
async fn an_unnotified_incident_is_a_missed_deadline_in_the_measures_and_the_downloads() {
    let app = TestApp::spawn().await;
    let culture = Scope::Agency(AgencyCode::parse(CULTURE).unwrap());
    app.add_user(
        "soc.lin",
        &[Grant {
            role: Role::IncidentHandler,
            scope: culture.clone(),
        }],
        Some(CULTURE),
    )
    .await;
    app.add_user(
        "data.lee",
        &[Grant {
            role: Role::DataSteward,
            scope: culture,
        }],
        Some(CULTURE),
    )
    .await;
    let soc = app.token("soc.lin").await;
    let created = client()
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&soc)
        .json(&json!({"title": "網站遭植入廣告連結", "agency": CULTURE,
                      "category": "malicious-web-content", "how_learned": "市民來信",
                      "aware_at": "2024-03-01T08:00:00+08:00"}))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "{}", created.status());
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Four days on, nobody has recorded the notification (due an hour after becoming aware).
    app.clock
        .set(civitas_core::time::Timestamp::parse_rfc3339("2024-03-05T09:00:00+08:00").unwrap());

    let get = |path: &str, token: &str| {
        client()
            .get(app.url(path))
            .bearer_auth(token.to_string())
            .send()
    };
    let m: Value = get(
        "/api/v1/incidents/measures?from=2024-01-01&to=2024-12-31",
        &soc,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(m["city"]["incidents"], 1, "{m}");
    assert_eq!(m["agencies"][0]["agency"], CULTURE);
    let notify = m["city"]["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["obligation"] == "notify")
        .unwrap();
    assert_eq!(
        (notify["met"].as_u64(), notify["overdue"].as_u64()),
        (Some(0), Some(1))
    );
    let outside: Value = get("/api/v1/incidents/measures?from=2024-03-02", &soc)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(outside["city"]["incidents"], 0);

    let c: Value = get("/api/v1/incidents/compliance", &soc)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let missed = c["missed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["incident"] == id.as_str() && d["obligation"] == "notify")
        .unwrap_or_else(|| panic!("{c}"));
    assert_eq!(missed["state"], "overdue");
    assert_eq!(missed["due_at"], "2024-03-01T01:00:00Z");
    assert!(missed["source_zh"].as_str().unwrap().contains("2021-08-23"));

    for bad in [
        "/api/v1/incidents/measures?from=2025-13-01",
        "/api/v1/incidents/compliance?from=2025-06-01&to=2025-01-01",
        "/api/v1/incidents/compliance?agency=not%20a%20code",
    ] {
        let r = get(bad, &soc).await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        assert_eq!(error_code(r).await, "invalid_input", "{bad}");
    }
    let steward = app.token("data.lee").await;
    assert_eq!(
        get("/api/v1/incidents/measures", &steward)
            .await
            .unwrap()
            .status(),
        403
    );
    let elsewhere = get("/api/v1/incidents/compliance?agency=380000000A", &soc)
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 403, "another agency's report");

    // The pages and their downloads, in the browser.
    let (b, _) = app.browser("soc.lin").await;
    let page = b
        .get(app.url("/incidents/compliance"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&id), "the missed deadline is listed");
    assert!(page.contains("已逾期"));
    assert!(page.contains("民國113年"), "ROC dates");
    let page = b
        .get(app.url("/incidents/measures"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-chart=\"incident-actions\""));
    let mut downloads = Vec::new();
    for (path, sheet) in [
        ("/incidents/compliance.xlsx", "xl/sharedStrings.xml"),
        ("/incidents/compliance.ods", "content.xml"),
        ("/incidents/measures.xlsx", "xl/sharedStrings.xml"),
        ("/incidents/measures.ods", "content.xml"),
    ] {
        let r = b.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"), "{path} is a zip package");
        let text = part(&bytes, sheet);
        assert!(text.contains("全市合計"), "{path}");
        if path.starts_with("/incidents/compliance") {
            assert!(text.contains(&id), "{path} lists the missed deadline");
            assert!(
                text.contains("資通安全事件通報及應變辦法"),
                "{path} names the legal source"
            );
        }
        let name = path.trim_start_matches("/incidents/").replace('.', "-");
        downloads.push((
            format!("{name}.{}", path.rsplit('.').next().unwrap()),
            bytes,
        ));
    }
    // LibreOffice opens all four: Chinese text as text, counts as numbers, the due time shown.
    let files: Vec<(&str, &[u8])> = downloads
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_ref()))
        .collect();
    for sheet in open_in_libreoffice(&files) {
        let city = sheet.row_with("全市合計");
        if sheet.name.starts_with("compliance") {
            // Met on time 0, missed 2 (notify and damage control), as numbers.
            assert_eq!(
                city[5..7],
                [Field::value("0"), Field::value("2")],
                "{sheet:?}"
            );
            let missed = sheet.row_with(&id);
            assert_eq!(missed[3], Field::text("網站遭植入廣告連結"), "{sheet:?}");
            assert!(
                matches!(&missed[7], Field::Text(s) if s.starts_with("民國113年3月1日 09:00")),
                "the due time in ROC date and Taipei time: {sheet:?}"
            );
            assert!(
                matches!(&missed[8], Field::Text(s) if s.contains("資通安全事件通報及應變辦法")),
                "{sheet:?}"
            );
        } else {
            assert!(
                city.iter().any(|f| *f == Field::value("1")),
                "the city's one incident is a number: {sheet:?}"
            );
        }
    }
    assert_eq!(
        b.get(app.url("/incidents/measures.pdf"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
