//! The `smsdesk` command: the server and the admin commands that run beside it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use smsdesk::accounts::{AccountError, NewUser, add_user, create_token};
use smsdesk::config::{DatabaseUrl, Settings};
use smsdesk::db::{self, schema::users};
use smsdesk::domain::{EmailAddress, Password, Role};
use smsdesk::startup::{Application, StartupError, connect_database, openapi_json};

/// mimalloc gives freed memory back to the system within milliseconds. With glibc's allocator, every
/// password check's 19 MiB (argon2) stayed with the process after the check: 40 failed sign-ins took it from
/// 120 MB to 814 MB for good.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "smsdesk", version, about = "An SMS help desk. Configuration comes from the environment and .env.")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, webhooks and delivery worker (the default).
    Serve,
    /// Apply pending database migrations, print which were applied and which already were, and exit.
    Migrate,
    /// Print the OpenAPI document (the same as GET /api/openapi.json).
    Openapi,
    /// Manage users.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Manage API tokens.
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// Back up the SQLite database while the server keeps running (on PostgreSQL: says how to use pg_dump).
    Backup {
        /// The file to write. Restoring is starting smsdesk with DATABASE_URL pointing at it.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
        /// Replace FILE if it exists (by default an existing file is never touched).
        #[arg(long)]
        overwrite: bool,
    },
    /// Copy every ticket, message, user, token and setting into a new, empty database (SQLite to PostgreSQL
    /// or back). Stop the server first.
    Copy {
        /// The database to copy: postgres://… or a SQLite file (sqlite://PATH or PATH).
        #[arg(long, value_name = "URL", value_parser = DatabaseUrl::parse)]
        from: DatabaseUrl,
        /// The new database: it is migrated, and must have no rows yet.
        #[arg(long, value_name = "URL", value_parser = DatabaseUrl::parse)]
        to: DatabaseUrl,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Add a user.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Read the user's password (at least 10 characters) from standard input, e.g. from a secrets manager.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokensCommand {
    /// Create an API token for a user and print it (it is shown only this once; only its hash is stored).
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. "CRM sync".
        #[arg(long, default_value = "command line")]
        name: String,
    },
}

fn parse_role(raw: &str) -> Result<Role, String> {
    raw.parse().map_err(|_| "expected admin or agent".to_owned())
}

fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is worth stopping for.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("error: cannot read .env: {e}");
        return ExitCode::FAILURE;
    }
    smsdesk::telemetry::init();
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        println!("{}", openapi_json());
        return ExitCode::SUCCESS;
    }
    // Both databases are named on the command line: the server's configuration plays no part.
    if let Some(Command::Copy { from, to }) = &cli.command {
        return copy_command(from, to);
    }
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: bad configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Openapi | Command::Copy { .. } => Ok(()),
        Command::Backup { to, overwrite } => return backup_command(&settings, &to, overwrite),
        Command::Migrate => migrate_command(&settings),
        Command::Users { command: UsersCommand::Add { email, name, role, password_stdin } } => {
            add_user_command(&settings, &email, name, role, password_stdin)
        }
        Command::Tokens { command: TokensCommand::Create { email, name } } => {
            let email = EmailAddress::parse(&email).map_err(|e| e.to_string());
            email.and_then(|email| {
                admin_write(&settings, move |conn| {
                    let user_id: Option<smsdesk::domain::UserId> = {
                        use diesel::prelude::*;
                        users::table.filter(users::email.eq(email.as_str())).select(users::id).first(conn).optional()?
                    };
                    let user_id = user_id.ok_or(AccountError::NotFound)?;
                    Ok(create_token(conn, user_id, &name)?.1)
                })
                .map(|token| println!("{}", token.plain_text))
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Exit status 2 (not 1) when the database is PostgreSQL: nothing failed, but nothing was backed up either,
/// and a scheduled job should say so.
fn backup_command(settings: &Settings, to: &std::path::Path, overwrite: bool) -> ExitCode {
    use smsdesk::ops::backup::{BackupError, backup};
    match backup(&settings.database.url, to, overwrite) {
        Ok(done) => {
            println!(
                "backup written to {} ({} bytes; {} tickets, {} messages; integrity check ok)",
                done.path.display(),
                done.bytes,
                done.tickets,
                done.messages
            );
            ExitCode::SUCCESS
        }
        Err(BackupError::UsePgDump(advice)) => {
            eprintln!("{advice}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn copy_command(from: &DatabaseUrl, to: &DatabaseUrl) -> ExitCode {
    match smsdesk::ops::copy::copy(from, to) {
        Ok(report) => {
            println!("copied in {:.1} s:", report.elapsed.as_secs_f64());
            for (table, rows) in &report.tables {
                println!("  {table:<16} {rows:>10}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings).await.map_err(|e| e.to_string())?;
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

fn migrate_command(settings: &Settings) -> Result<(), String> {
    let report = db::migrate(&settings.database.url).map_err(|e| StartupError::Connect(e).to_string())?;
    for name in &report.already_applied {
        println!("already applied  {name}");
    }
    for name in &report.applied {
        println!("applied          {name}");
    }
    println!(
        "the database schema is current: {} migrations, {} applied now",
        report.already_applied.len() + report.applied.len(),
        report.applied.len()
    );
    Ok(())
}

fn add_user_command(
    settings: &Settings,
    email: &str,
    name: String,
    role: Role,
    password_stdin: bool,
) -> Result<(), String> {
    let email = EmailAddress::parse(email).map_err(|e| e.to_string())?;
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
        let password = Password::parse(line.trim_end_matches(['\r', '\n']).to_owned()).map_err(|e| e.to_string())?;
        Some(password.hash().map_err(|e| format!("cannot hash the password: {e}"))?)
    } else {
        None
    };
    let user = admin_write(settings, move |conn| add_user(conn, NewUser { email, name, role, password }))?;
    eprintln!("added user {} ({})", user.id, user.email);
    Ok(())
}

/// Runs one admin change through the same write path the server uses.
fn admin_write<T: Send + 'static>(
    settings: &Settings,
    change: impl FnOnce(&mut db::AnyConnection) -> Result<T, AccountError> + Send + 'static,
) -> Result<T, String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let db = connect_database(&settings.database).map_err(|e| e.to_string())?;
        db.write(change).await.map_err(|e| e.to_string())
    })
}
