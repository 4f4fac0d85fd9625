//! Delivery stories: notices leave the platform by real SMTP and HTTP, to a tiny mail server
//! and a tiny web server run inside the test on 127.0.0.1.
// Tests may unwrap, index and panic: a failure should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod email;
mod harvest;
mod http_sink;
mod links;
mod smtp_sink;
mod webhook;
mod world;
