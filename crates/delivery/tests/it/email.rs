//! A steward's e-mail reaches the city's mail server, in both languages.

use std::time::Duration;

use civitas_core::notify::{DeliveryStatus, NotifyPolicy};
use civitas_delivery::{Channels, SmtpSecurity, SmtpSender, SmtpSettings, deliver_due};

use crate::smtp_sink::{SmtpSink, body, header};
use crate::world::{World, taipei};

fn smtp(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: String::new(),
        password: String::new(),
        from: "civitas <civitas@tycg.gov.tw>".into(),
        timeout: Duration::from_secs(10),
    }
}

#[tokio::test]
async fn a_stewards_email_reaches_the_mail_server_in_both_languages_once() {
    let sink = SmtpSink::start().await;
    let world = World::new(NotifyPolicy {
        email: true,
        public_base: "https://civitas.tycg.gov.tw".into(),
        ..NotifyPolicy::default()
    })
    .await;
    world
        .add_steward("traffic", "traffic.steward@tycg.gov.tw", "380290000H")
        .await;
    world
        .add_steward("culture", "culture.steward@tycg.gov.tw", "380330000E")
        .await;
    let channels = Channels {
        email: Some(SmtpSender::new(&smtp(sink.port)).unwrap()),
        webhook: None,
    };

    // Three days before 民國113年3月1日 09:00 the parking dataset is due soon.
    world.reassess_at(taipei("2024-02-27T10:00:00")).await;
    let report = deliver_due(&world.platform, &channels, 50).await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let received = sink.received();
    assert_eq!(received.len(), 1, "only the 交通局 steward is written to");
    let mail = &received[0];
    assert_eq!(mail.mail_from, "<civitas@tycg.gov.tw>");
    assert_eq!(
        mail.rcpt_to,
        vec!["<traffic.steward@tycg.gov.tw>".to_string()]
    );
    assert_eq!(
        header(&mail.data, "To").unwrap(),
        "traffic.steward@tycg.gov.tw"
    );
    let subject = header(&mail.data, "Subject").unwrap();
    assert_eq!(
        subject,
        "[civitas] 資料集「桃園市公有停車場資訊」將於民國113年3月1日到期 / Dataset \"桃園市公有停車場資訊\" falls due on ROC 113-03-01"
    );
    assert!(
        header(&mail.data, "Content-Type")
            .unwrap()
            .contains("charset=utf-8")
    );
    let text = body(&mail.data);
    let zh = text
        .find("交通局的資料集「桃園市公有停車場資訊」")
        .expect(&text);
    let en = text
        .find("The dataset \"桃園市公有停車場資訊\" of Department of Transportation")
        .expect(&text);
    assert!(zh < en, "Traditional Chinese first");
    assert!(text.contains("https://civitas.tycg.gov.tw/catalog/datasets/1"));

    // The next hourly reassessment finds nothing new to say.
    world.reassess_at(taipei("2024-02-27T11:00:00")).await;
    let again = deliver_due(&world.platform, &channels, 50).await.unwrap();
    assert_eq!(again.attempted(), 0);
    assert_eq!(sink.received().len(), 1);

    let inbox = world
        .platform
        .stores
        .notifications
        .deliveries(Some(1))
        .await
        .unwrap();
    assert_eq!(inbox[0].status, DeliveryStatus::Sent);
    assert_eq!(inbox[0].sent_at, Some(taipei("2024-02-27T10:00:00")));
}

#[tokio::test]
async fn an_unreachable_mail_server_is_retried_later() {
    // Bind a port, then free it: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let world = World::new(NotifyPolicy {
        email: true,
        ..NotifyPolicy::default()
    })
    .await;
    world
        .add_steward("traffic", "traffic.steward@tycg.gov.tw", "380290000H")
        .await;
    let channels = Channels {
        email: Some(SmtpSender::new(&smtp(port)).unwrap()),
        webhook: None,
    };
    world.reassess_at(taipei("2024-02-27T10:00:00")).await;
    let report = deliver_due(&world.platform, &channels, 50).await.unwrap();
    assert_eq!(report.retrying, 1, "{report:?}");
    let d = &world
        .platform
        .stores
        .notifications
        .deliveries(Some(1))
        .await
        .unwrap()[0];
    assert_eq!(d.status, DeliveryStatus::Pending);
    assert_eq!(d.attempts, 1);
    assert_eq!(d.next_attempt_at, taipei("2024-02-27T10:01:00"));
    assert!(d.last_error.is_some());
}
