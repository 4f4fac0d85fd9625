//! The comparator: the same catalogue in PostgreSQL, searched the two ways a city without
//! civitas could: `pg_trgm` (ILIKE '%停車%' over a trigram index, no Chinese tokenising) and
//! PostgreSQL full-text search over civitas' own bigram tokens (so the engines compare on equal
//! words). Facet counts by GROUP BY over the matches. Driven through `psql`, which times each
//! statement at the client (`\timing`), so no PostgreSQL driver enters the workspace.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use civitas_core::catalog::{Dataset, Facet, frequency_class, index_tokens, query_tokens};

/// A SQL string literal (the benchmark's own fixed strings and generated text).
fn lit(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn csv_field(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn psql(db: &str, script: &str) -> anyhow::Result<String> {
    let mut child = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot run psql: {e}"))?;
    child
        .stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("psql has no stdin"))?
        .write_all(script.as_bytes())?;
    let out = child.wait_with_output()?;
    anyhow::ensure!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The server's version, or why it cannot be reached.
pub fn version(db: &str) -> anyhow::Result<String> {
    // Create the database on first use; an existing one is fine.
    let _ = Command::new("psql")
        .args(["-X", "-q", "-d", "postgres", "-c"])
        .arg(format!("CREATE DATABASE {db}"))
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .status();
    Ok(psql(db, "\\pset tuples_only on\nSELECT version();\n")?
        .trim()
        .to_string())
}

/// Load the datasets into `civitas_bench_datasets` with its indexes; returns the time taken.
pub fn load(db: &str, datasets: &[Dataset]) -> anyhow::Result<Duration> {
    let file = tempfile::Builder::new().suffix(".csv").tempfile()?;
    {
        let mut w = std::io::BufWriter::new(file.as_file());
        for d in datasets {
            let r = &d.record;
            let fields: Vec<String> = r
                .fields
                .iter()
                .map(|f| format!("{} {}", f.name, f.label.as_deref().unwrap_or("")))
                .collect();
            let title = format!("{} {}", r.title_zh, r.title_en.as_deref().unwrap_or(""));
            let body = format!(
                "{} {} {} {}",
                r.description_zh,
                r.description_en.as_deref().unwrap_or(""),
                r.keywords.join(" "),
                fields.join(" ")
            );
            let formats = format!("{{{}}}", r.formats().join(","));
            let row = [
                d.id.to_string(),
                r.agency.to_string(),
                r.title_zh.clone(),
                title.clone(),
                body.clone(),
                formats,
                frequency_class(&r.frequency()).to_string(),
                d.freshness
                    .as_ref()
                    .map(|f| f.state.code())
                    .unwrap_or("unknown")
                    .to_string(),
                r.access_level.code().to_string(),
                r.license.clone().unwrap_or_else(|| "(未填寫)".into()),
                r.category.clone().unwrap_or_else(|| "(未分類)".into()),
                r.kind.code().to_string(),
                index_tokens(&title),
                index_tokens(&body),
            ];
            let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
            writeln!(w, "{}", line.join(","))?;
        }
        w.flush()?;
    }
    let path = file.path().display().to_string();
    let started = std::time::Instant::now();
    psql(
        db,
        &format!(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm;
DROP TABLE IF EXISTS civitas_bench_datasets;
CREATE TABLE civitas_bench_datasets (
  id bigint PRIMARY KEY, agency text NOT NULL, title text NOT NULL, title_all text NOT NULL,
  body text NOT NULL, formats text[] NOT NULL, frequency text NOT NULL, freshness text NOT NULL,
  access text NOT NULL, license text NOT NULL, category text NOT NULL, kind text NOT NULL,
  title_tokens text NOT NULL, body_tokens text NOT NULL,
  doc text GENERATED ALWAYS AS (title_all || ' ' || body) STORED,
  tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', title_tokens), 'A') || setweight(to_tsvector('simple', body_tokens), 'C')) STORED
);
\\copy civitas_bench_datasets (id, agency, title, title_all, body, formats, frequency, freshness, access, license, category, kind, title_tokens, body_tokens) FROM {} WITH (FORMAT csv)
CREATE INDEX civitas_bench_trgm ON civitas_bench_datasets USING gin (doc gin_trgm_ops);
CREATE INDEX civitas_bench_fts ON civitas_bench_datasets USING gin (tsv);
CREATE INDEX civitas_bench_agency ON civitas_bench_datasets (agency);
CREATE INDEX civitas_bench_formats ON civitas_bench_datasets USING gin (formats);
VACUUM ANALYZE civitas_bench_datasets;
",
            lit(&path)
        ),
    )?;
    Ok(started.elapsed())
}

/// How a query finds its matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `ILIKE '%word%'` on a trigram index, what a PostgreSQL-backed portal does without a
    /// Chinese tokeniser.
    Trigram,
    /// `tsvector @@ tsquery` over civitas' bigram tokens.
    FullText,
}

/// One search as a single statement: the total, the first page by rank, and the counts of the
/// eight facets over the matches.
pub fn search_sql(
    method: Method,
    text: Option<&str>,
    filters: &[(Facet, String)],
    per_page: u64,
) -> String {
    let mut conds: Vec<String> = Vec::new();
    let mut score = "0".to_string();
    if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
        match method {
            Method::Trigram => {
                let mut ranks = Vec::new();
                for word in text.split_whitespace() {
                    let pattern = lit(&format!("%{word}%"));
                    conds.push(format!("doc ILIKE {pattern}"));
                    ranks.push(format!("(title_all ILIKE {pattern})::int"));
                }
                score = ranks.join(" + ");
            }
            Method::FullText => {
                let terms: Vec<String> = query_tokens(text)
                    .iter()
                    // Tokens are letters and digits only: nothing to escape in a tsquery.
                    .map(|t| {
                        if t.prefix {
                            format!("{}:*", t.text)
                        } else {
                            t.text.clone()
                        }
                    })
                    .collect();
                let q = format!("to_tsquery('simple', {})", lit(&terms.join(" & ")));
                conds.push(format!("tsv @@ {q}"));
                score = format!("ts_rank(tsv, {q})");
            }
        }
    }
    for (facet, value) in filters {
        let v = lit(value);
        conds.push(match facet {
            Facet::Format => format!("formats @> ARRAY[{v}]"),
            other => format!("{} = {v}", column(*other)),
        });
    }
    let cond = if conds.is_empty() {
        "true".to_string()
    } else {
        conds.join(" AND ")
    };
    let facets: Vec<String> = civitas_core::catalog::FACETS
        .iter()
        .map(|f| match f {
            Facet::Format => {
                "SELECT 'format' AS facet, v AS value, count(*) AS n FROM m, unnest(m.formats) v GROUP BY v".to_string()
            }
            other => format!(
                "SELECT '{}' AS facet, {} AS value, count(*) AS n FROM m GROUP BY {}",
                other.code(),
                column(*other),
                column(*other)
            ),
        })
        .collect();
    format!(
        "WITH m AS MATERIALIZED (SELECT id, title, agency, category, formats, frequency, freshness, access, license, kind, {score} AS score
                   FROM civitas_bench_datasets WHERE {cond})
SELECT (SELECT count(*) FROM m),
       (SELECT json_agg(h) FROM (SELECT id, title FROM m ORDER BY score DESC, id LIMIT {per_page}) h),
       (SELECT json_agg(f) FROM ({}) f);",
        facets.join(" UNION ALL ")
    )
}

fn column(f: Facet) -> &'static str {
    match f {
        Facet::Agency => "agency",
        Facet::Category => "category",
        Facet::Format => "formats",
        Facet::Frequency => "frequency",
        Facet::Freshness => "freshness",
        Facet::Access => "access",
        Facet::License => "license",
        Facet::Kind => "kind",
    }
}

/// Run the statements in one session and return each one's time as psql measured it.
pub fn time_statements(db: &str, statements: &[String]) -> anyhow::Result<Vec<Duration>> {
    let mut script = String::from("\\timing on\n\\o /dev/null\n");
    for s in statements {
        script.push_str(s);
        script.push('\n');
    }
    let out = psql(db, &script)?;
    let times: Vec<Duration> = out
        .lines()
        .filter_map(|l| l.strip_prefix("Time: "))
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|ms| ms.parse::<f64>().ok())
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .collect();
    anyhow::ensure!(
        times.len() == statements.len(),
        "psql timed {} of {} statements",
        times.len(),
        statements.len()
    );
    Ok(times)
}

/// How many rows a statement's match finds (to check both engines find the same datasets).
pub fn count(db: &str, method: Method, text: &str) -> anyhow::Result<u64> {
    let sql = search_sql(method, Some(text), &[], 1);
    let out = psql(
        db,
        &format!("\\pset tuples_only on\n\\pset format unaligned\n{sql}\n"),
    )?;
    out.lines()
        .next()
        .and_then(|l| l.split('|').next())
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no count from psql"))
}
