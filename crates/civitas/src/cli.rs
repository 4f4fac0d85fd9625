//! The command line. Every command takes --data-dir (env CIVITAS_DATA_DIR) and --config.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "civitas",
    version,
    about = "civitas — 市政資料治理與資安維運平台 / the city's data governance and security operations platform"
)]
pub struct Cli {
    /// Configuration file (TOML). Default: ./civitas.toml when it exists.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory holding civitas.sqlite3 [env: CIVITAS_DATA_DIR] [default: ./civitas-data]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web interface and API.
    Serve(ListenArgs),
    /// Create a demo data set (the first time), then serve it and print the admin's login.
    Demo(ListenArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Show configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the organisation tree.
    #[command(subcommand)]
    Agency(AgencyCommand),
    /// Verify or export the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Import datasets and check how up to date they are.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Import security alerts.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// X-Road exchange evidence: verify signed, time-stamped message containers.
    #[command(subcommand)]
    Exchange(ExchangeCommand),
    /// Threat intelligence: STIX 2.1 bundles in, sightings and the city's indicators out.
    #[command(subcommand)]
    Intel(IntelCommand),
    /// Incidents: the scheduled follow-up (reminders, escalations, recurrence checks).
    #[command(subcommand)]
    Incidents(IncidentsCommand),
    /// Write a consistent copy of all data to OUT (safe while the server runs).
    Backup {
        /// The backup file to create (must not exist).
        out: PathBuf,
    },
    /// Restore a backup into the data directory, then verify it.
    Restore {
        /// A file written by `civitas backup`.
        input: PathBuf,
        /// Replace existing data (it is kept beside the new file with a timestamp).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args, Debug)]
pub struct ListenArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one) [env: CIVITAS_LISTEN]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print every configuration key with its default and meaning.
    PrintDefault,
    /// Print the configuration in effect (secrets hidden).
    Show,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        name: String,
        /// Role to grant: platform_admin, data_steward, soc_analyst, incident_handler, security_officer, auditor, viewer.
        #[arg(long)]
        role: Option<String>,
        /// Agency the role applies to (default: city-wide); also the user's home agency.
        #[arg(long)]
        agency: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password (read from standard input); their sessions end.
    SetPassword {
        name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Grant a role.
    Grant {
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        agency: Option<String>,
    },
    /// Revoke a role.
    Revoke {
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        agency: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (once).
    Create {
        #[arg(long)]
        user: String,
        /// Limit the token to these roles of the user (repeatable). Default: all of them.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Lifetime, e.g. 30d, 12h, 2w.
        #[arg(long, default_value = "30d")]
        expires: String,
        /// What the token is for.
        #[arg(long, default_value = "command line")]
        label: String,
        /// Print {"token": ...} for scripts.
        #[arg(long)]
        json: bool,
    },
    /// List tokens (all, or one user's).
    List {
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id.
    Revoke { id: i64 },
}

#[derive(Subcommand, Debug)]
pub enum AgencyCommand {
    /// Import agencies from CSV files (idempotent).
    Import {
        /// civitas-csv or taoyuan-supply-list.
        #[arg(long, default_value = "civitas-csv")]
        format: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the reports as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List agencies as a tree.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the hash chain; exits non-zero naming the first bad entry.
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// Write the audit trail as CSV.
    Export {
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Only this action or action prefix, e.g. user or auth.login.
        #[arg(long)]
        action: Option<String>,
        #[arg(long)]
        actor: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExchangeCommand {
    /// Verify an X-Road ASiC-E container (.asice): structure, hash chain, XAdES signature,
    /// certificate chain, OCSP and time-stamp. Exits 0 valid, 1 invalid, 2 unusable input.
    Verify {
        /// The container, e.g. an exported `…-request.asice`.
        file: PathBuf,
        /// Global configuration directory holding `<INSTANCE>/shared-params.xml` (one or more
        /// instances). Default: `<data-dir>/exchange/globalconf`.
        #[arg(long, value_name = "DIR")]
        conf: Option<PathBuf>,
        /// Print the full report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Archive the message log: time-stamped records not yet archived go into hash-linked ZIP
    /// archives of ASiC-E containers (X-Road's `mlog-…zip` with `linkinginfo`), each archive
    /// continuing the chain of the last. Safe to run again: nothing is archived twice.
    Archive {
        /// Where the archives go. Default: `<data-dir>/exchange/archive`.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Most records in one archive (X-Road's archive-max-filesize, counted in records).
        #[arg(long, default_value_t = 10_000)]
        per_archive: usize,
    },
    /// Check a directory of message-log archives: each archive's containers against its
    /// `linkinginfo`, and each archive's link to the one before. Exit 0 intact, 1 broken.
    VerifyArchives {
        /// The archive directory. Default: `<data-dir>/exchange/archive`.
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AlertsCommand {
    /// Import alert files, plain or gzip-compressed, one import run each (idempotent: alerts
    /// already stored count as duplicates). Exit code 0: clean; 2: some lines were rejected.
    Import {
        /// A source configured under [[alerts.sources]], or a new name with --kind.
        #[arg(long)]
        source: String,
        /// suricata, wazuh, wazuh-ecs, cef, syslog5424 or syslog3164 (json needs a configured
        /// source with its field mapping). Default: the configured source's kind.
        #[arg(long)]
        kind: Option<String>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the reports as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum IncidentsCommand {
    /// Send the reminders and escalations that are due (each once: running it again tells
    /// nobody twice) and run the 30- and 90-day recurrence checks. The server does this every
    /// hour; this is for cron or to run it now.
    FollowUp {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum IntelCommand {
    /// Import STIX 2.1 bundles, one import run each (idempotent: a version already stored is a
    /// duplicate, a newer `modified` supersedes the stored one). Exit code 0: clean; 2: some
    /// objects were rejected.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the reports as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Match every stored alert against the active indicators and record the sightings
    /// (running it again changes nothing).
    Match {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read the TAXII 2.1 collections configured under [[intel.taxii]] (or the one named),
    /// from where the previous poll stopped; one import run per page.
    Pull {
        /// Only the collection of this name.
        #[arg(long)]
        name: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the STIX 2.1 bundle the city shares: its identity, its own indicators and its
    /// sightings.
    Export {
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum CatalogCommand {
    /// Import dataset descriptions (idempotent: a second run changes only what changed).
    Import {
        /// taoyuan-supply-list, ckan-package-search, ckan-package-show, datagovtw-jsonl,
        /// datagovtw-csv, datagovtw-json or dcat-jsonld. Several package_search files are the
        /// pages of one listing, read in order.
        #[arg(long, default_value = "taoyuan-supply-list")]
        format: String,
        /// Keep the records under this source name (a configured source's agency aliases apply);
        /// default: the format's own (ckan, data.gov.tw, dcat, taoyuan-supply-list).
        #[arg(long)]
        source: Option<String>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the reports as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check every dataset's download addresses (conditional requests): a changed checksum is
    /// recorded as a data update; an address failing twice in a row makes the dataset unreachable.
    CheckLinks {
        /// Only this dataset (its id).
        #[arg(long)]
        dataset: Option<i64>,
        /// Give up on one address after this long, e.g. 30s.
        #[arg(long, default_value = "30s")]
        timeout: String,
        #[arg(long)]
        json: bool,
    },
    /// Harvest a catalogue now: a configured source (`[[catalog.sources]]`), or a one-off CKAN
    /// portal, DCAT catalogue or data.gov.tw export by URL. A page per step on the progress
    /// bar. Exit code 0: read in full and clean; 2: some records rejected; 3: the source failed
    /// part-way (what was read is kept, nothing withdrawn; run it again).
    Harvest {
        /// The name of a configured source.
        #[arg(long, conflicts_with_all = ["ckan", "dcat", "datagovtw"], required_unless_present_any = ["ckan", "dcat", "datagovtw"])]
        source: Option<String>,
        /// A CKAN portal, e.g. https://data.gov.uk (its Action API is paged with package_search).
        #[arg(long, conflicts_with_all = ["dcat", "datagovtw"])]
        ckan: Option<String>,
        /// A DCAT catalogue in JSON-LD.
        #[arg(long, conflicts_with = "datagovtw")]
        dcat: Option<String>,
        /// A data.gov.tw export (CSV, JSON, or one JSON object a line).
        #[arg(long)]
        datagovtw: Option<String>,
        /// CKAN page size for --ckan (1–1000).
        #[arg(long, default_value_t = 100)]
        rows: u64,
        /// For a one-off URL: the source's name for an agency = agency code (repeatable).
        #[arg(long = "alias", value_name = "NAME=CODE")]
        aliases: Vec<String>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Reassess every dataset's freshness and print the counts per state and agency.
    Freshness {
        /// Assess as of this date (YYYY-MM-DD, Taipei) instead of now.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long)]
        json: bool,
    },
}
