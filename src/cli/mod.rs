//! The command line (clap). Each command returns its exit code: 0 success,
//! 1 the answer is "no" (findings at --fail-on, a broken audit chain),
//! 2 bad usage or input, with the problem named on stderr.

mod admin;
mod audit_cmd;
mod backup;
pub(crate) mod dev;
mod jobs_cmd;
mod reminders_cmd;
mod scan_cmd;
mod serve;
mod trace_cmd;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "releasegate",
    version,
    about = "Secrecy-review gate for public data releases"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (API, public catalogue).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// Seed demo departments and one user per role, and print their credentials.
        #[arg(long)]
        demo: bool,
    },
    /// Create the database if needed and apply pending migrations.
    Migrate,
    /// Copy the database (SQLite), the file store, the audit key and a fresh
    /// checkpoint to DIR, with a manifest of hashes.
    Backup {
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
        /// Everything but the database (PostgreSQL: back it up with pg_dump).
        #[arg(long)]
        files_only: bool,
    },
    /// Restore a backup onto a new database file and data directory, after
    /// checking every file against the manifest.
    Restore {
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
    },
    /// Manage departments.
    Department {
        #[command(subcommand)]
        command: DepartmentCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Issue API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Scan files with the detectors in the policy directory.
    Scan(ScanArgs),
    /// Verify and export the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Validate policies.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Generators for measuring the service at scale.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
    /// One pass of the deadline reminder and escalation sweep (JSON lines).
    Reminders {
        /// The instant to sweep at (RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
        /// Print what would be sent; send and record nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Read the trace a downloaded copy of conditional data carries (who it
    /// was issued to, under which application). Exit 1 when a file has none.
    Trace {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Background jobs (file inspections): list them, retry a failed one.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
}

#[derive(Subcommand)]
enum DevCommand {
    /// Write a dense personal-data CSV (name, ID number, mobile, address per
    /// row), deterministic for a given --rows; about 100 bytes a row. An
    /// --out ending in .xlsx gets the same rows as a workbook.
    Roster {
        #[arg(long)]
        rows: u64,
        /// Output file (default: stdout as CSV).
        #[arg(long)]
        out: Option<PathBuf>,
        /// In a workbook, keep the texts in a shared-string table, as Excel
        /// does, rather than in the cells.
        #[arg(long)]
        shared_strings: bool,
    },
    /// Copy a filed release COUNT times (six in ten published), with its
    /// version, files, findings, stages and an audit event each: a
    /// database of a million releases to measure the service at.
    Seed {
        #[arg(long)]
        releases: u64,
        /// The release to copy (default: the newest).
        #[arg(long)]
        template: Option<String>,
    },
    /// Append COUNT synthetic `dev.seeded` events to the audit log (to
    /// measure verification and proofs at scale; not for a production log).
    AuditEvents {
        #[arg(long)]
        count: u64,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Print jobs as JSON lines, newest first.
    List {
        #[arg(long, value_parser = |s: &str| s.parse::<crate::jobs::JobState>())]
        state: Option<crate::jobs::JobState>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Queue a failed job again with a fresh set of attempts.
    Retry { id: String },
}

#[derive(Subcommand)]
enum DepartmentCommand {
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from stdin (one line).
    Add {
        #[arg(long)]
        username: String,
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Disable a user: every session ends at once, sign-in is refused.
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled user again.
    Enable {
        #[arg(long)]
        username: String,
    },
    /// Set a new password, read from stdin (one line); every session ends.
    Passwd {
        #[arg(long)]
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Replace a user's roles; a role taken away ends every session.
    Roles {
        #[arg(long)]
        username: String,
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a JWT for a user.
    Issue {
        #[arg(long)]
        username: String,
        /// Lifetime such as 30m, 1h, 7d.
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
}

#[derive(Args)]
pub struct ScanArgs {
    /// Files to scan (txt, md, csv, tsv, xlsx, docx, json, pdf, ofd, xls, et, doc, wps, odt, ods).
    #[arg(required_unless_present = "corpus", conflicts_with = "corpus")]
    files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    format: scan_cmd::Format,
    /// Exit 1 when a finding reaches this severity (info, low, medium, high, block).
    #[arg(long)]
    fail_on: Option<String>,
    /// Refuse files larger than this many bytes.
    #[arg(long)]
    max_size: Option<u64>,
    /// Treat tables as aggregate statistics: apply the small-cell rule.
    #[arg(long)]
    statistics: bool,
    /// Scan a JSONL corpus ({"id","text"} per line) and print predictions as JSONL.
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Policy directory (default: RELEASEGATE_POLICY_DIR, else ./policies
    /// when it exists, else the built-in policies).
    #[arg(long)]
    policy_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the log (the database's, or an exported NDJSON file): every
    /// event, the chain, the Merkle root at every signed checkpoint, and that
    /// the log still contains each checkpoint FILE saved earlier.
    Verify {
        #[arg(long)]
        file: Option<PathBuf>,
        /// A checkpoint saved earlier (`audit checkpoint --out`); repeatable.
        #[arg(long = "checkpoint", value_name = "FILE")]
        checkpoints: Vec<PathBuf>,
        /// Verifier keys, one per line (`/public/audit/key`); default: this
        /// deployment's key. Needed with --file and --checkpoint.
        #[arg(long, value_name = "KEYFILE")]
        key: Option<PathBuf>,
        /// A co-signer's verifier key: the newest checkpoint and every
        /// --checkpoint FILE must carry its signature too.
        #[arg(long, value_name = "KEYFILE")]
        require_cosigner: Option<PathBuf>,
    },
    /// Make a co-signer's key pair: the private key goes to --out (keep it
    /// away from the log's operator), the verifier key is printed.
    Keygen {
        /// The co-signer's name, e.g. secrecy.office.example.gov.cn
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Co-sign a checkpoint: check the log's signature on it, then print the
    /// signature line to post to /api/v1/audit/checkpoints/{size}/cosignatures.
    Cosign {
        #[arg(long, value_name = "FILE")]
        checkpoint: PathBuf,
        /// The co-signer's private key (`audit keygen`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The log's verifier key (`/public/audit/key`).
        #[arg(long, value_name = "KEYFILE")]
        log_key: PathBuf,
    },
    /// Check a receipt (`GET /api/v1/releases/{id}/receipts/{seq}`) offline
    /// with the log's verifier key: exit 0 valid, 1 invalid.
    VerifyReceipt {
        file: PathBuf,
        /// The verifier key (`/public/audit/key`).
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
    },
    /// Sign the current tree head if it moved (the server also does this every
    /// 5 minutes and at every publication) and print the newest checkpoint.
    Checkpoint {
        /// Save it to FILE instead of printing it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Export events as NDJSON (verifiable) or CSV to stdout.
    Export {
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        release: Option<String>,
        #[arg(long, default_value = "ndjson")]
        format: String,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate the workflow, calendar and detector packs.
    Check { dir: Option<PathBuf> },
    /// Print the effective policy files (a directory's or the built-in set).
    Show { dir: Option<PathBuf> },
}

/// The policy directory a command was given, else `RELEASEGATE_POLICY_DIR`;
/// `None` lets [`crate::policy::PolicyFiles::resolve`] choose.
fn policy_dir(flag: Option<PathBuf>) -> Option<PathBuf> {
    flag.or_else(|| {
        std::env::var_os("RELEASEGATE_POLICY_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RELEASEGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Bad usage or input: say what, exit 2.
fn usage_error(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    2
}

pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Serve { bind, demo } => serve::serve(&bind, demo),
        Command::Migrate => admin::migrate(),
        Command::Backup { to, files_only } => backup::backup(&to, files_only),
        Command::Restore { from } => backup::restore(&from),
        Command::Department {
            command: DepartmentCommand::Add { code, name },
        } => admin::add_department(&code, &name),
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    roles,
                    department,
                    email,
                    password_stdin: _,
                },
        } => admin::add_user(&username, &roles, department.as_deref(), email.as_deref()),
        Command::User {
            command: UserCommand::Disable { username },
        } => admin::change_user(&username, admin::Change::Active(false)),
        Command::User {
            command: UserCommand::Enable { username },
        } => admin::change_user(&username, admin::Change::Active(true)),
        Command::User {
            command: UserCommand::Passwd { username, .. },
        } => admin::change_user(&username, admin::Change::Password),
        Command::User {
            command: UserCommand::Roles { username, roles },
        } => admin::change_user(&username, admin::Change::Roles(roles)),
        Command::Token {
            command: TokenCommand::Issue { username, ttl },
        } => admin::issue_token(&username, &ttl),
        Command::Scan(args) => scan_cmd::run(args),
        Command::Audit {
            command:
                AuditCommand::Verify {
                    file,
                    checkpoints,
                    key,
                    require_cosigner,
                },
        } => audit_cmd::verify(
            file.as_deref(),
            &checkpoints,
            key.as_deref(),
            require_cosigner.as_deref(),
        ),
        Command::Audit {
            command: AuditCommand::Keygen { name, out },
        } => audit_cmd::keygen(&name, &out),
        Command::Audit {
            command:
                AuditCommand::Cosign {
                    checkpoint,
                    key,
                    log_key,
                },
        } => audit_cmd::cosign(&checkpoint, &key, &log_key),
        Command::Audit {
            command: AuditCommand::VerifyReceipt { file, key },
        } => audit_cmd::verify_receipt(&file, &key),
        Command::Audit {
            command: AuditCommand::Checkpoint { out },
        } => audit_cmd::checkpoint(out.as_deref()),
        Command::Audit {
            command:
                AuditCommand::Export {
                    from,
                    to,
                    release,
                    format,
                },
        } => audit_cmd::export(from.as_deref(), to.as_deref(), release, &format),
        Command::Policy {
            command: PolicyCommand::Check { dir },
        } => admin::policy_check(dir),
        Command::Policy {
            command: PolicyCommand::Show { dir },
        } => admin::policy_show(dir),
        Command::Dev {
            command:
                DevCommand::Roster {
                    rows,
                    out,
                    shared_strings,
                },
        } => dev::roster(rows, out.as_deref(), shared_strings),
        Command::Dev {
            command: DevCommand::Seed { releases, template },
        } => dev::seed(releases, template.as_deref()),
        Command::Dev {
            command: DevCommand::AuditEvents { count },
        } => dev::audit_events(count),
        Command::Jobs {
            command: JobsCommand::List { state, limit },
        } => jobs_cmd::list(state, limit),
        Command::Jobs {
            command: JobsCommand::Retry { id },
        } => jobs_cmd::retry(&id),
        Command::Reminders { at, dry_run } => reminders_cmd::run(at.as_deref(), dry_run),
        Command::Trace { files } => trace_cmd::run(&files),
    }
}
