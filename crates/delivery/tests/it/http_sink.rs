//! A web server that records every POST to /hook and answers with the status it is told.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

#[derive(Debug, Clone)]
pub struct Call {
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone)]
struct Shared {
    calls: Arc<Mutex<Vec<Call>>>,
    status: Arc<AtomicU16>,
}

pub struct HttpSink {
    pub url: String,
    shared: Shared,
}

async fn hook(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    s.calls.lock().unwrap().push(Call { headers, body });
    StatusCode::from_u16(s.status.load(Ordering::SeqCst)).unwrap()
}

impl HttpSink {
    pub async fn start(status: u16) -> HttpSink {
        let shared = Shared {
            calls: Arc::new(Mutex::new(Vec::new())),
            status: Arc::new(AtomicU16::new(status)),
        };
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook?token=t0p", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        HttpSink { url, shared }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap().clone()
    }
}
