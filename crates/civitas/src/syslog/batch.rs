//! From received messages to import runs: messages wait in a bounded queue, are grouped by the
//! connection (or UDP sender) they came from, and every second or every few thousand messages
//! each group becomes one `AlertService::import` call, so each run reconciles and its line
//! numbers point into one connection. Whatever waits when the listener stops is imported.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use civitas_core::alerts::SourceConfig;
use civitas_core::import::{ImportReport, Rejected, truncate_chars};
use civitas_core::text::Text;
use civitas_core::{Caller, Platform};
use metrics::Counter;
use tokio::sync::mpsc;

use super::framing::RAW_KEPT;
use super::settings::Protocol;

/// Where a message came from: the sender, and for TCP the connection's number on this listener.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub peer: SocketAddr,
    pub connection: Option<u64>,
}

/// One framed message on its way to the importer.
#[derive(Debug)]
pub struct Item {
    pub origin: Arc<Origin>,
    /// The message's number on its connection (TCP, TLS); 0 for UDP, numbered in its batch.
    pub line: u64,
    pub body: Body,
}

#[derive(Debug)]
pub enum Body {
    Message(Vec<u8>),
    /// Refused before parsing (too large, cut short): kept with the reason.
    Refused {
        reason: Text,
        raw: Vec<u8>,
    },
}

/// A listener's counters, also exported to Prometheus.
pub struct Meters {
    pub received: Counter,
    pub dropped: Counter,
    pub rejected: Counter,
    pub stored: Counter,
    pub duplicates: Counter,
    pub failed: Counter,
    /// Dropped since the last warning in the log.
    pub dropped_unlogged: AtomicU64,
}

impl Meters {
    pub fn new(source: &str, listener: &str) -> Self {
        let labels = [
            ("source", source.to_string()),
            ("listener", listener.to_string()),
        ];
        Meters {
            received: metrics::counter!("civitas_syslog_messages_received_total", &labels),
            dropped: metrics::counter!("civitas_syslog_messages_dropped_total", &labels),
            rejected: metrics::counter!("civitas_syslog_messages_rejected_total", &labels),
            stored: metrics::counter!("civitas_syslog_alerts_stored_total", &labels),
            duplicates: metrics::counter!("civitas_syslog_messages_duplicate_total", &labels),
            failed: metrics::counter!("civitas_syslog_messages_failed_total", &labels),
            dropped_unlogged: AtomicU64::new(0),
        }
    }

    /// A message that found the queue full.
    pub fn drop_one(&self) {
        self.dropped.increment(1);
        self.dropped_unlogged.fetch_add(1, Ordering::Relaxed);
    }
}

/// What a listener's importer needs.
pub struct Importer {
    pub platform: Platform,
    pub source: SourceConfig,
    pub protocol: Protocol,
    /// The bound address, as named in labels and logs.
    pub local: SocketAddr,
    pub batch_messages: usize,
    pub flush_interval: Duration,
    pub meters: Arc<Meters>,
}

/// The messages of one origin since the last flush, as the lines of one import.
struct Group {
    origin: Arc<Origin>,
    first_line: u64,
    last_line: u64,
    messages: usize,
    lines: Vec<u8>,
    refused: Vec<Rejected>,
}

#[derive(Default)]
struct Pending {
    groups: Vec<Group>,
    index: HashMap<Arc<Origin>, usize>,
    total: usize,
}

impl Pending {
    fn add(&mut self, item: Item) {
        let index = match self.index.get(&item.origin) {
            Some(i) => *i,
            None => {
                self.index.insert(item.origin.clone(), self.groups.len());
                self.groups.push(Group {
                    origin: item.origin.clone(),
                    first_line: 0,
                    last_line: 0,
                    messages: 0,
                    lines: Vec::new(),
                    refused: Vec::new(),
                });
                self.groups.len() - 1
            }
        };
        let Some(group) = self.groups.get_mut(index) else {
            return;
        };
        // UDP datagrams are numbered within their batch; TCP messages by their connection.
        let line = if item.line == 0 {
            group.last_line + 1
        } else {
            item.line
        };
        if group.first_line == 0 {
            group.first_line = line;
        }
        group.last_line = line;
        self.total += 1;
        match item.body {
            Body::Message(body) => {
                group.messages += 1;
                // One record a line: a line feed inside an octet-counted message would split it.
                group
                    .lines
                    .extend(body.iter().map(|b| if *b == b'\n' { b' ' } else { *b }));
            }
            Body::Refused { reason, raw } => {
                // The line stays (blank) so that the lines after it keep their numbers.
                let shown = String::from_utf8_lossy(raw.get(..RAW_KEPT).unwrap_or(&raw));
                group.refused.push(Rejected {
                    line,
                    reason,
                    raw: truncate_chars(&shown, RAW_KEPT),
                });
            }
        }
        group.lines.push(b'\n');
    }
}

impl Importer {
    /// Receive until every sender is gone (the listener stopped), importing as it goes, and
    /// import what is left.
    pub async fn run(self, mut rx: mpsc::Receiver<Item>) {
        let mut pending = Pending::default();
        let mut tick = tokio::time::interval(self.flush_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                item = rx.recv() => match item {
                    Some(item) => {
                        pending.add(item);
                        if pending.total >= self.batch_messages {
                            self.flush(std::mem::take(&mut pending)).await;
                        }
                    }
                    None => break,
                },
                _ = tick.tick() => {
                    self.flush(std::mem::take(&mut pending)).await;
                    self.log_drops();
                }
            }
        }
        let left = pending.total;
        self.flush(pending).await;
        self.log_drops();
        tracing::info!(
            source = self.source.name.as_str(),
            listener = %self.local,
            flushed = left,
            "syslog listener stopped; its last batch is stored"
        );
    }

    fn log_drops(&self) {
        let dropped = self.meters.dropped_unlogged.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(
                source = self.source.name.as_str(),
                listener = %self.local,
                protocol = self.protocol.as_str(),
                dropped,
                "syslog messages dropped: the import queue was full (a flood, or the store is slow)"
            );
        }
    }

    async fn flush(&self, pending: Pending) {
        for group in pending.groups {
            self.import(group).await;
        }
    }

    fn label(&self, group: &Group) -> String {
        let Origin { peer, connection } = group.origin.as_ref();
        match connection {
            Some(n) => format!(
                "syslog {} {peer} → {} conn {n} lines {}-{}",
                self.protocol.as_str(),
                self.local,
                group.first_line,
                group.last_line
            ),
            None => format!(
                "syslog udp {peer} → {} datagrams 1-{}",
                self.local, group.last_line
            ),
        }
    }

    fn caller(&self, origin: &Origin) -> Caller {
        let mut principal = civitas_core::authz::Principal::operator("syslog");
        principal.user_name = format!("syslog:{}", self.source.name.as_str());
        Caller::new(principal, Some(origin.peer.ip().to_string()))
    }

    async fn import(&self, group: Group) {
        let label = self.label(&group);
        let caller = self.caller(&group.origin);
        let alerts = self.platform.alerts();
        if group.messages > 0 {
            match alerts
                .import(&caller, &self.source, &group.lines, &label)
                .await
            {
                Ok(done) => {
                    let r = &done.report;
                    self.meters.stored.increment(r.created);
                    self.meters.duplicates.increment(r.duplicates);
                    self.meters.rejected.increment(r.rejected_count());
                    tracing::debug!(
                        run = done.run_id,
                        %label,
                        received = r.received,
                        created = r.created,
                        duplicates = r.duplicates,
                        rejected = r.rejected_count(),
                        "syslog batch stored"
                    );
                }
                Err(e) => {
                    self.meters.failed.increment(group.messages as u64);
                    tracing::error!(
                        %label,
                        messages = group.messages,
                        error = %e,
                        "a syslog batch could not be stored: its messages are lost"
                    );
                }
            }
        }
        if !group.refused.is_empty() {
            self.meters.rejected.increment(group.refused.len() as u64);
            if let Err(e) = self.store_refused(&caller, &label, group.refused).await {
                tracing::error!(%label, error = %e, "refused syslog messages could not be recorded");
            }
        }
    }

    /// Messages refused before parsing are a run of their own (received = rejected), with
    /// their connection line and reason, in the same import history as the parsed ones.
    async fn store_refused(
        &self,
        caller: &Caller,
        label: &str,
        refused: Vec<Rejected>,
    ) -> civitas_core::DomainResult<i64> {
        let auth = self.platform.alerts().authorize_import(caller)?;
        let started_at = self.platform.now();
        let label = format!("{label} (refused before parsing)");
        let mut report = ImportReport::new("alerts", self.source.kind().as_str(), &label);
        report.received = refused.len() as u64;
        report.rejected = refused;
        let mut summary = report.summary();
        if let Some(map) = summary.as_object_mut() {
            map.insert("source".into(), self.source.name.as_str().into());
        }
        let event = caller.event(
            started_at,
            &auth,
            "alerts.import",
            "import",
            &label,
            summary,
        );
        self.platform
            .stores
            .imports
            .save_import_run(
                &report,
                started_at,
                started_at,
                &caller.principal.user_name,
                event,
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(port: u16, connection: Option<u64>) -> Arc<Origin> {
        Arc::new(Origin {
            peer: SocketAddr::from(([10, 0, 0, 5], port)),
            connection,
        })
    }

    fn message(origin: &Arc<Origin>, line: u64, text: &str) -> Item {
        Item {
            origin: origin.clone(),
            line,
            body: Body::Message(text.as_bytes().to_vec()),
        }
    }

    #[test]
    fn a_batch_keeps_each_connection_apart_and_its_line_numbers_in_place() {
        let a = origin(40000, Some(1));
        let b = origin(40001, Some(2));
        let mut pending = Pending::default();
        pending.add(message(&a, 7, "<14>1 first"));
        pending.add(message(&b, 1, "<14>1 other"));
        pending.add(Item {
            origin: a.clone(),
            line: 8,
            body: Body::Refused {
                reason: Text::new("太大", "too large"),
                raw: vec![b'x'; 2000],
            },
        });
        pending.add(message(&a, 9, "<14>1 multi\nline"));
        assert_eq!(pending.total, 4);
        assert_eq!(pending.groups.len(), 2);
        let g = &pending.groups[0];
        assert_eq!((g.first_line, g.last_line, g.messages), (7, 9, 2));
        // Line 3 of the batch is connection line 9: the refused line left a blank in its place.
        assert_eq!(g.lines, b"<14>1 first\n\n<14>1 multi line\n");
        assert_eq!(g.refused[0].line, 8);
        assert!(g.refused[0].raw.chars().count() <= RAW_KEPT + 1);
    }

    #[test]
    fn udp_datagrams_are_numbered_per_sender_within_the_batch() {
        let a = origin(514, None);
        let b = origin(515, None);
        let mut pending = Pending::default();
        for o in [&a, &b, &a, &a] {
            pending.add(message(o, 0, "<14>1 x"));
        }
        assert_eq!(pending.groups[0].last_line, 3);
        assert_eq!(pending.groups[1].last_line, 1);
    }
}
