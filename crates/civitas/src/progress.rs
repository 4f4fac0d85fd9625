//! Progress for long operations: a bar on a terminal, plain lines otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    label: String,
}

impl Progress {
    pub fn new(total: u64, label: &str) -> Self {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total);
            if let Ok(style) =
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label.to_string());
            Progress {
                bar: Some(bar),
                label: label.to_string(),
            }
        } else {
            eprintln!("{label}: 0/{total}");
            Progress {
                bar: None,
                label: label.to_string(),
            }
        }
    }

    pub fn step(&self, done: u64, total: u64, what: &str) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(done);
                bar.set_message(format!("{} {what}", self.label));
            }
            None => eprintln!("{}: {done}/{total} {what}", self.label),
        }
    }

    /// The total once it is known (a harvest learns its page count from the first page).
    pub fn set_total(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
