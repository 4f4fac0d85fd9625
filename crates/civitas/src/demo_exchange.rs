//! The exchange gateway in the demo: three agencies offer services through `/r1` (警察局's
//! accident records, 衛生局's dengue cases, 交通局's live bus positions), the providers' stewards
//! grant access from the approved sharing requests, the requesting agencies get credentials for
//! their systems, and a month of calls fills the message log — denied calls before approval, a
//! short outage of one provider, and a request still waiting — so the service, traffic, log
//! and readiness pages have something true to show. The provider systems are not real (their
//! hosts are under `.example`); the calls are replayed into the log as the gateway logs them.

use civitas_core::Platform;
use civitas_core::clock::ManualClock;
use civitas_core::exchange::rest::{self, FaultSide, RestFault, codes};
use civitas_core::exchange::{CredentialInput, GrantInput, MessageRecord, ServiceInput};
use civitas_core::time::{TAIPEI, Timestamp};
use time::Duration;

use crate::demo::caller_named;
use crate::demo_sharing::{Dice, SharingStory};

const INSTANCE: &str = "TW";
const ACCIDENTS: &str = "TW/GOV/380130000C/POLICE-DATA/accidents";
const DENGUE: &str = "TW/GOV/380140000I/HEALTH-DATA/dengue";
const BUS: &str = "TW/GOV/380290000H/TRANSPORT-API/bus-positions";
const TRAFFIC_SYS: &str = "TW/GOV/380290000H/TRAFFIC-SYS";
const WELFARE_SYS: &str = "TW/GOV/380120000J/WELFARE-SYS";
const POLICE_SYS: &str = "TW/GOV/380130000C/POLICE-SYS";

fn err(e: civitas_core::DomainError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn code(c: &str) -> anyhow::Result<civitas_core::agencies::AgencyCode> {
    civitas_core::agencies::AgencyCode::parse(c).map_err(err)
}

fn openapi(title: &str, paths: &[&str]) -> String {
    let paths: Vec<String> = paths
        .iter()
        .map(|p| {
            format!(r#""{p}": {{"get": {{"responses": {{"200": {{"description": "OK"}}}}}}}}"#)
        })
        .collect();
    format!(
        r#"{{"openapi": "3.0.3", "info": {{"title": "{title}", "version": "1.0"}}, "paths": {{{}}}}}"#,
        paths.join(", ")
    )
}

/// One replayed call.
struct Replayed<'a> {
    client: &'a str,
    service: &'a str,
    agency: &'a str,
    path: String,
    endpoint: Option<&'a str>,
    fault: Option<RestFault>,
    duration_ms: i64,
}

async fn log(
    p: &Platform,
    at: Timestamp,
    call: Replayed<'_>,
    dice: &mut Dice,
) -> anyhow::Result<()> {
    let uuid = format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:06x}{:06x}",
        dice.roll(u32::MAX),
        dice.roll(0xffff),
        dice.roll(0xfff),
        dice.roll(0xfff),
        dice.roll(0xff_ffff),
        dice.roll(0xff_ffff)
    );
    let target = format!("/r1/{}{}", call.service, call.path);
    let headers = vec![("x-road-client".to_string(), call.client.to_string())];
    let header_part = rest::request_header_part("GET", &target, &headers);
    let (status, response_hash, error_type) = match &call.fault {
        None => (
            200,
            Some(rest::request_hash(
                format!("200 OK\r\n{uuid}").as_bytes(),
                Some(uuid.as_bytes()),
            )),
            None,
        ),
        Some(f) => (f.status(), None, Some(f.error_type())),
    };
    let record = MessageRecord {
        id: 0,
        xroad_id: rest::generated_xroad_id(INSTANCE, &uuid),
        request_id: uuid.clone(),
        client: Some(call.client.to_string()),
        service: Some(call.service.to_string()),
        agency: Some(code(call.agency)?),
        endpoint: call.endpoint.map(str::to_string),
        method: "GET".into(),
        path: call.path,
        status,
        request_hash: Some(rest::request_hash(&header_part, None)),
        response_hash,
        started_at: at,
        finished_at: at.add(Duration::milliseconds(call.duration_ms)),
        duration_us: call.duration_ms * 1000,
        error_type,
        evidence: Vec::new(),
    };
    p.exchange().log(&record).await;
    Ok(())
}

fn taipei_at(day: time::Date, hour: u8, minute: u8) -> anyhow::Result<Timestamp> {
    Ok(Timestamp::from_offset(
        day.with_hms(hour, minute, 0)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .assume_offset(TAIPEI),
    ))
}

/// A provider's answer time: mostly tens of milliseconds, sometimes slow.
fn latency(dice: &mut Dice) -> i64 {
    let base = 12 + i64::from(dice.roll(60));
    if dice.roll(20) == 0 {
        base + 300 + i64::from(dice.roll(900))
    } else {
        base
    }
}

/// The provider's steward grants a subsystem access from an approval; later the requesting
/// agency's steward issues the subsystem's token (not kept: a demo user issues their own).
async fn grant_with_token(
    p: &Platform,
    clock: &ManualClock,
    (provider, service, endpoint): (&civitas_core::Caller, &str, Option<(&str, &str)>),
    (subject, subject_name, request_id): (&str, &str, i64),
    (holder, agency, label): (&civitas_core::Caller, &str, &str),
) -> anyhow::Result<()> {
    p.exchange()
        .create_grant(
            provider,
            GrantInput {
                service_id: service.into(),
                endpoint: endpoint.map(|(method, path)| rest::Endpoint {
                    method: method.into(),
                    path: path.into(),
                }),
                subject: subject.into(),
                subject_name: Some(subject_name.into()),
                request_id,
                valid_until: None,
            },
        )
        .await
        .map_err(err)?;
    clock.advance(Duration::minutes(45));
    p.exchange()
        .issue_token(
            holder,
            &CredentialInput {
                client: subject.into(),
                agency: Some(code(agency)?),
                subsystem_name: None,
                label: label.into(),
            },
        )
        .await
        .map_err(err)?;
    Ok(())
}

pub async fn replay(
    p: &Platform,
    clock: &ManualClock,
    now: Timestamp,
    story: &SharingStory,
) -> anyhow::Result<()> {
    let start = now.sub(Duration::days(32));
    let hsu = caller_named(p, "hsu.police").await?;
    let kao = caller_named(p, "kao.health").await?;
    let chen = caller_named(p, "chen.steward").await?;
    let lai = caller_named(p, "lai.steward").await?;
    let x = p.exchange();
    let mut dice = Dice(20_260_601);

    // The providers register their services (the sharing story approved r1 on day 3, r2 on day 6).
    clock.set(start.add(Duration::days(3)).add(Duration::hours(2)));
    x.register_service(
        &hsu,
        ServiceInput {
            service_id: ACCIDENTS.into(),
            agency: code("380130000C")?,
            title: "交通事故資料查詢".into(),
            subsystem_name: Some("警察局資料服務".into()),
            base_url: "https://data.police.tycg.example/api/v1".into(),
            dataset_id: Some(story.accidents_dataset),
            timeout_ms: Some(10_000),
            tls_verify: Some(true),
            openapi: Some(openapi(
                "交通事故資料查詢",
                &["/accidents", "/accidents/{id}"],
            )),
        },
    )
    .await
    .map_err(err)?;
    clock.advance(Duration::minutes(40));
    x.register_service(
        &kao,
        ServiceInput {
            service_id: DENGUE.into(),
            agency: code("380140000I")?,
            title: "登革熱確診個案查詢".into(),
            subsystem_name: Some("衛生局防疫資料服務".into()),
            base_url: "https://data.health.tycg.example/dengue".into(),
            dataset_id: Some(story.dengue_dataset),
            timeout_ms: Some(10_000),
            tls_verify: Some(true),
            openapi: Some(openapi(
                "登革熱確診個案查詢",
                &["/cases", "/cases/{id}", "/statistics"],
            )),
        },
    )
    .await
    .map_err(err)?;
    clock.set(start.add(Duration::days(8)).add(Duration::hours(3)));
    x.register_service(
        &chen,
        ServiceInput {
            service_id: BUS.into(),
            agency: code("380290000H")?,
            title: "公車即時車輛位置".into(),
            subsystem_name: Some("交通局開放介面".into()),
            base_url: "https://bus.tycg.example/api".into(),
            dataset_id: Some(story.bus_dataset),
            timeout_ms: Some(5_000),
            tls_verify: Some(true),
            openapi: None,
        },
    )
    .await
    .map_err(err)?;

    // 社會局's case system may read the dengue cases list (the approval left out addresses).
    clock.set(start.add(Duration::days(4)).add(Duration::hours(1)));
    grant_with_token(
        p,
        clock,
        (&kao, DENGUE, Some(("GET", "/cases"))),
        (WELFARE_SYS, "社會局社福個案管理系統", story.dengue_request),
        (&lai, "380120000J", "社福個案管理系統（正式機）"),
    )
    .await?;

    // 交通局's signal system tries the accident service before 警察局 approved: denied.
    let day5 = (start.add(Duration::days(5))).taipei_date();
    for minute in [10, 11, 25] {
        log(
            p,
            taipei_at(day5, 15, minute)?,
            Replayed {
                client: TRAFFIC_SYS,
                service: ACCIDENTS,
                agency: "380130000C",
                path: "/accidents?district=中壢區".into(),
                endpoint: None,
                fault: Some(RestFault::new(
                    FaultSide::ServerProxy,
                    codes::ACCESS_DENIED,
                    "no access grant for this client",
                )),
                duration_ms: 2,
            },
            &mut dice,
        )
        .await?;
    }
    // After the approval on day 6, 警察局's steward grants it.
    clock.set(start.add(Duration::days(6)).add(Duration::hours(3)));
    grant_with_token(
        p,
        clock,
        (&hsu, ACCIDENTS, None),
        (TRAFFIC_SYS, "交通局號誌管理系統", story.accidents_request),
        (&chen, "380290000H", "號誌管理系統"),
    )
    .await?;

    // Four weeks of use.
    let districts = [
        "桃園區",
        "中壢區",
        "平鎮區",
        "八德區",
        "楊梅區",
        "蘆竹區",
        "龜山區",
    ];
    let today = now.taipei_date();
    let outage = today - Duration::days(7);
    let first_traffic = start.add(Duration::days(6)).taipei_date() + Duration::days(1);
    let mut day = start.add(Duration::days(4)).taipei_date() + Duration::days(1);
    while day <= today {
        let weekend = day.weekday().number_from_monday() >= 6;
        // 社會局 reads new dengue cases through the working day.
        let welfare = if weekend {
            dice.roll(3)
        } else {
            8 + dice.roll(18)
        };
        for _ in 0..welfare {
            let at = taipei_at(day, 8 + dice.roll(10) as u8, dice.roll(60) as u8)?;
            if at > now {
                continue;
            }
            log(
                p,
                at,
                Replayed {
                    client: WELFARE_SYS,
                    service: DENGUE,
                    agency: "380140000I",
                    path: format!("/cases?since={}", day - Duration::days(1)),
                    endpoint: Some("GET /cases"),
                    fault: None,
                    duration_ms: latency(&mut dice),
                },
                &mut dice,
            )
            .await?;
        }
        if day == outage {
            // 衛生局's system was down for half an hour: the gateway answered for it.
            for minute in (2..40).step_by(3) {
                let at = taipei_at(day, 14, minute)?;
                log(
                    p,
                    at,
                    Replayed {
                        client: WELFARE_SYS,
                        service: DENGUE,
                        agency: "380140000I",
                        path: format!("/cases?since={}", day - Duration::days(1)),
                        endpoint: Some("GET /cases"),
                        fault: Some(RestFault::new(
                            FaultSide::ServerProxy,
                            codes::SERVICE_FAILED,
                            "the provider did not answer within 10000 ms",
                        )),
                        duration_ms: 10_000,
                    },
                    &mut dice,
                )
                .await?;
            }
        }
        if day >= first_traffic {
            let traffic = if weekend {
                dice.roll(5)
            } else {
                20 + dice.roll(40)
            };
            for _ in 0..traffic {
                let at = taipei_at(day, 7 + dice.roll(14) as u8, dice.roll(60) as u8)?;
                if at > now {
                    continue;
                }
                let one = dice.roll(4) == 0;
                let path = if one {
                    format!("/accidents/A106{:06}", dice.roll(40_000))
                } else {
                    format!("/accidents?district={}", dice.pick(&districts))
                };
                log(
                    p,
                    at,
                    Replayed {
                        client: TRAFFIC_SYS,
                        service: ACCIDENTS,
                        agency: "380130000C",
                        path,
                        endpoint: Some(if one {
                            "GET /accidents/{id}"
                        } else {
                            "GET /accidents"
                        }),
                        fault: None,
                        duration_ms: latency(&mut dice),
                    },
                    &mut dice,
                )
                .await?;
            }
        }
        day += Duration::days(1);
    }

    // 警察局's system tries the bus positions while its request still waits: denied.
    let waiting = now.sub(Duration::hours(20));
    for i in 0..2 {
        log(
            p,
            waiting.add(Duration::minutes(i * 4)),
            Replayed {
                client: POLICE_SYS,
                service: BUS,
                agency: "380290000H",
                path: "/vehicles?route=1".into(),
                endpoint: None,
                fault: Some(RestFault::new(
                    FaultSide::ServerProxy,
                    codes::ACCESS_DENIED,
                    "no access grant for this client",
                )),
                duration_ms: 1,
            },
            &mut dice,
        )
        .await?;
    }
    clock.set(now);
    Ok(())
}
