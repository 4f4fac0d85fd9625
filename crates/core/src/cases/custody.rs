//! Chain of custody for evidence: who collected an item, when, its SHA-256, and every
//! hand-over since; the log exports as CSV for the investigation file.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::accounts::UserName;
use crate::cases::event::CaseEvent;
use crate::cases::forensics::check_claimed_hash;
use crate::cases::id::RecordId;
use crate::cases::incident::invalid;
use crate::error::{DomainError, DomainResult};
use crate::text::Text;
use crate::time::Timestamp;

/// One hand-over from one holder to the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    pub from: String,
    pub to: String,
    pub at: Timestamp,
    pub purpose: String,
    pub recorded_by: UserName,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyItem {
    pub id: RecordId,
    pub incident: RecordId,
    pub name: String,
    /// Who collected it (a person's name; vendors' engineers have no account).
    pub collected_by: String,
    pub collected_at: Timestamp,
    pub sha256: String,
    pub handovers: Vec<Handover>,
}

impl CustodyItem {
    /// Registers an item from its bytes (an image, a log export); the hash is computed here and
    /// must match the one written on the collection form, if any.
    #[allow(clippy::too_many_arguments)]
    pub fn collect(
        id: RecordId,
        incident: RecordId,
        name: &str,
        collected_by: &str,
        collected_at: Timestamp,
        bytes: &[u8],
        claimed_sha256: Option<&str>,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<(CustodyItem, Vec<CaseEvent>)> {
        if name.trim().is_empty() || collected_by.trim().is_empty() {
            return Err(invalid(
                "name",
                "證物須有名稱與蒐集人",
                "evidence needs a name and a collector",
            ));
        }
        if collected_at > now {
            return Err(invalid(
                "collected_at",
                "蒐集時間不能晚於現在",
                "the collection time cannot be in the future",
            ));
        }
        let sha256 = check_claimed_hash(bytes, claimed_sha256)?;
        let item = CustodyItem {
            id,
            incident,
            name: name.trim().to_string(),
            collected_by: collected_by.trim().to_string(),
            collected_at,
            sha256,
            handovers: Vec::new(),
        };
        let event = CaseEvent::new(
            now,
            Some(by),
            "evidence.collect",
            "evidence",
            &item.id,
            json!({
                "incident": item.incident, "name": item.name, "collected_by": item.collected_by,
                "collected_at": collected_at, "sha256": item.sha256,
            }),
        );
        Ok((item, vec![event]))
    }

    /// Who holds the item now.
    pub fn holder(&self) -> &str {
        self.handovers
            .last()
            .map(|h| h.to.as_str())
            .unwrap_or(&self.collected_by)
    }

    /// Records a hand-over; it must come from the current holder and after the last one.
    pub fn hand_over(
        &mut self,
        from: &str,
        to: &str,
        at: Timestamp,
        purpose: &str,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<Vec<CaseEvent>> {
        if from.trim() != self.holder() {
            return Err(DomainError::invalid(
                "from",
                Text::new(
                    format!("證物目前由 {} 保管，不是 {}", self.holder(), from.trim()),
                    format!("the item is held by {}, not {}", self.holder(), from.trim()),
                ),
            ));
        }
        if to.trim().is_empty() || purpose.trim().is_empty() {
            return Err(invalid(
                "purpose",
                "移交須寫明接收人與目的",
                "a hand-over needs a recipient and a purpose",
            ));
        }
        let last = self
            .handovers
            .last()
            .map(|h| h.at)
            .unwrap_or(self.collected_at);
        if at < last || at > now {
            return Err(invalid(
                "at",
                "移交時間須在前一次移交之後、且不晚於現在",
                "the hand-over time must be after the previous one and not in the future",
            ));
        }
        let handover = Handover {
            from: from.trim().to_string(),
            to: to.trim().to_string(),
            at,
            purpose: purpose.trim().to_string(),
            recorded_by: by.clone(),
        };
        let event = CaseEvent::new(
            now,
            Some(by),
            "evidence.hand_over",
            "evidence",
            &self.id,
            json!({
                "from": handover.from, "to": handover.to, "at": at, "purpose": handover.purpose,
            }),
        );
        self.handovers.push(handover);
        Ok(vec![event])
    }

    /// Checks bytes presented later against the hash taken at collection.
    pub fn verify(&self, bytes: &[u8]) -> DomainResult<()> {
        check_claimed_hash(bytes, Some(&self.sha256)).map(|_| ())
    }
}

/// The custody log: one row for each collection and each hand-over, in time order per item.
pub fn custody_log_csv(items: &[CustodyItem]) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "evidence_id",
        "incident_id",
        "name",
        "sha256",
        "event",
        "at",
        "from",
        "to",
        "purpose",
        "recorded_by",
    ])?;
    for item in items {
        let at = item.collected_at.to_rfc3339();
        writer.write_record([
            item.id.as_str(),
            item.incident.as_str(),
            &item.name,
            &item.sha256,
            "collected",
            &at,
            "",
            &item.collected_by,
            "collection",
            "",
        ])?;
        for h in &item.handovers {
            let at = h.at.to_rfc3339();
            writer.write_record([
                item.id.as_str(),
                item.incident.as_str(),
                &item.name,
                &item.sha256,
                "handed_over",
                &at,
                &h.from,
                &h.to,
                &h.purpose,
                h.recorded_by.as_str(),
            ])?;
        }
    }
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::forensics::sha256_hex;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn a_disk_image_passes_from_the_vendor_to_the_archive_and_the_log_shows_every_hand() {
        let by = UserName::parse("soc.lin").unwrap();
        let image = b"disk image bytes";
        let (mut item, _) = CustodyItem::collect(
            RecordId::parse("EV-1").unwrap(),
            RecordId::parse("INC-1").unwrap(),
            "10.20.1.15 磁碟映像",
            "廠商工程師 王大明",
            t("2025-03-06T10:00:00+08:00"),
            image,
            Some(&sha256_hex(image)),
            &by,
            t("2025-03-06T11:00:00+08:00"),
        )
        .unwrap();
        let err = item
            .hand_over(
                "林小華",
                "檔案室",
                t("2025-03-06T12:00:00+08:00"),
                "歸檔",
                &by,
                t("2025-03-06T12:00:00+08:00"),
            )
            .unwrap_err();
        assert!(err.to_string().contains("held by 廠商工程師 王大明"));
        item.hand_over(
            "廠商工程師 王大明",
            "林小華",
            t("2025-03-06T12:00:00+08:00"),
            "鑑識分析",
            &by,
            t("2025-03-06T12:05:00+08:00"),
        )
        .unwrap();
        item.hand_over(
            "林小華",
            "檔案室",
            t("2025-03-20T09:00:00+08:00"),
            "結案歸檔, 保存 3 年",
            &by,
            t("2025-03-20T09:00:00+08:00"),
        )
        .unwrap();
        assert_eq!(item.holder(), "檔案室");
        assert!(item.verify(image).is_ok());
        assert!(
            item.verify(b"altered")
                .unwrap_err()
                .to_string()
                .contains("not the one claimed")
        );

        let csv = custody_log_csv(&[item]).unwrap();
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows.len(), 4);
        assert!(rows[1].contains("collected") && rows[1].contains(&sha256_hex(image)));
        assert!(rows[3].contains("\"結案歸檔, 保存 3 年\""), "{}", rows[3]);
    }

    #[test]
    fn evidence_whose_hash_does_not_match_the_collection_form_is_refused() {
        let by = UserName::parse("soc.lin").unwrap();
        let err = CustodyItem::collect(
            RecordId::parse("EV-2").unwrap(),
            RecordId::parse("INC-1").unwrap(),
            "log",
            "someone",
            t("2025-03-06T10:00:00+08:00"),
            b"abc",
            Some(&sha256_hex(b"abd")),
            &by,
            t("2025-03-06T11:00:00+08:00"),
        );
        assert!(err.is_err());
    }
}
