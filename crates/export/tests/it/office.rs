//! LibreOffice as the independent reader: exported spreadsheets are converted to CSV by
//! `soffice --headless` and read back, so "opens in LibreOffice" is checked, not assumed.
//!
//! Shared by the export crate's tests and the web tests (`#[path]`-included there), so both
//! read files the same way. Install: `apt-get install -y libreoffice-calc-nogui`
//! (`scripts/test` and `.ci/run` do it when `soffice` is missing).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// CSV export filter: comma, double quote, UTF-8 (76), from line 1, default cell formats,
/// default language, quote every text cell (so a quoted field was text, an unquoted one a
/// number or date), then save cell contents as shown (dates come out as formatted).
const CSV_FILTER: &str = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,false,true";

/// One cell as LibreOffice saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// A text cell (quoted in the CSV).
    Text(String),
    /// A number or date cell, as displayed (unquoted in the CSV).
    Value(String),
    /// Nothing in the cell.
    Empty,
}

impl Field {
    pub fn text(s: &str) -> Self {
        Self::Text(s.to_owned())
    }

    pub fn value(s: &str) -> Self {
        Self::Value(s.to_owned())
    }
}

/// A converted sheet: the rows of the first (only) sheet.
#[derive(Debug)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Field>>,
}

impl Sheet {
    /// The first row whose first cell is the text `first`.
    pub fn row_starting(&self, first: &str) -> &[Field] {
        self.rows
            .iter()
            .find(|r| r.first() == Some(&Field::text(first)))
            .unwrap_or_else(|| {
                panic!(
                    "{}: no row starts with {first:?}: {:#?}",
                    self.name, self.rows
                )
            })
    }

    /// The first row with a cell that is the text `s`.
    pub fn row_with(&self, s: &str) -> &[Field] {
        self.rows
            .iter()
            .find(|r| r.contains(&Field::text(s)))
            .unwrap_or_else(|| panic!("{}: no row holds {s:?}: {:#?}", self.name, self.rows))
    }

    /// Whether any cell is the text `s`.
    pub fn has_text(&self, s: &str) -> bool {
        self.rows.iter().flatten().any(|f| *f == Field::text(s))
    }
}

static RUN: AtomicUsize = AtomicUsize::new(0);

/// Convert every `(file name, bytes)` to CSV with one soffice start and read each back, in
/// order. File names must be unique by stem (`a.xlsx` and `a.ods` would both become `a.csv`).
pub fn open_in_libreoffice(files: &[(&str, &[u8])]) -> Vec<Sheet> {
    let dir = std::env::temp_dir().join(format!(
        "civitas-office-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    let (input, output, profile) = (dir.join("in"), dir.join("out"), dir.join("profile"));
    for d in [&input, &output, &profile] {
        std::fs::create_dir_all(d).unwrap();
    }
    let mut paths = Vec::new();
    for (name, bytes) in files {
        let path = input.join(name);
        std::fs::write(&path, bytes).unwrap();
        paths.push(path);
    }
    let started = Instant::now();
    let run = Command::new(soffice())
        // A private profile: parallel tests must not share (and lock) one.
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
        ])
        .arg(&output)
        .args(&paths)
        .output();
    let run = match run {
        Ok(run) => run,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "LibreOffice (soffice) is not installed, so the exported spreadsheets cannot be \
             checked. Install it: `sudo apt-get install -y libreoffice-calc-nogui` \
             (scripts/test does this), or set SOFFICE to its path."
        ),
        Err(e) => panic!("could not start soffice: {e}"),
    };
    let took = started.elapsed();
    report_time(files, took);
    let log = format!(
        "soffice exited {:?}\nstdout: {}\nstderr: {}",
        run.status,
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.status.success(), "{log}");
    let sheets = paths
        .iter()
        .map(|path| {
            let csv = csv_path(&output, path);
            let bytes = std::fs::read(&csv)
                .unwrap_or_else(|e| panic!("LibreOffice did not convert {path:?} ({e}); {log}"));
            let text = String::from_utf8(bytes).expect("the CSV filter was asked for UTF-8");
            Sheet {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                rows: parse(&text),
            }
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    sheets
}

fn soffice() -> PathBuf {
    std::env::var_os("SOFFICE").map_or_else(|| PathBuf::from("soffice"), PathBuf::from)
}

fn csv_path(output: &Path, input: &Path) -> PathBuf {
    output.join(input.with_extension("csv").file_name().unwrap())
}

/// Printed with the test's output (`--no-capture` shows it) so the CI cost stays known.
fn report_time(files: &[(&str, &[u8])], took: Duration) {
    let mut names = String::new();
    for (name, _) in files {
        let _ = write!(names, " {name}");
    }
    eprintln!("soffice converted{names} in {:.2}s", took.as_secs_f64());
}

/// RFC 4180 CSV that keeps whether a field was quoted (text) or not (number, date, empty).
fn parse(text: &str) -> Vec<Vec<Field>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let field = if chars.peek() == Some(&'"') {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        s.push('"');
                    }
                    Some('"') => break,
                    Some(c) => s.push(c),
                    None => panic!("unterminated quoted field in {text:?}"),
                }
            }
            Field::Text(s)
        } else {
            let mut s = String::new();
            while let Some(c) = chars
                .peek()
                .copied()
                .filter(|c| !matches!(c, ',' | '\n' | '\r'))
            {
                s.push(c);
                chars.next();
            }
            if s.is_empty() {
                Field::Empty
            } else {
                Field::Value(s)
            }
        };
        row.push(field);
        match chars.next() {
            Some(',') => {}
            Some('\r') => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                rows.push(std::mem::take(&mut row));
            }
            Some('\n') => rows.push(std::mem::take(&mut row)),
            None => {
                if row != [Field::Empty] {
                    rows.push(row);
                }
                return rows;
            }
            Some(c) => panic!("unexpected {c:?} after a field in {text:?}"),
        }
        if chars.peek().is_none() {
            return rows;
        }
    }
}
