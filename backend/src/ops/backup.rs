//! `smsdesk backup --to FILE`: an online backup of the SQLite database while a server keeps writing to it.
//!
//! Copying the `.db` file of a running server loses whatever still sits in its write-ahead log and can
//! tear pages mid-write. Instead, `VACUUM INTO` on a connection of our own reads one snapshot of the
//! database (a WAL read transaction): every transaction committed before it began is in the copy, and
//! the server answers a webhook only after its commit, so every text answered 2xx by then is too. WAL
//! readers never block the writer, so the server keeps taking texts meanwhile; the cost is that the log
//! cannot be checkpointed past the snapshot until the copy is done.
//!
//! The copy is written to a hidden temporary file beside FILE, checked with `PRAGMA integrity_check`,
//! flushed to disk and only then renamed to FILE: FILE is a whole, checked backup or it is not there.
//!
//! PostgreSQL has its own tool for this: `pg_dump`. The command says which one to run and exits 2.

use std::io;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::config::DatabaseUrl;
use crate::db::schema::{messages, tickets};

/// A written backup.
#[derive(Debug)]
pub struct Backup {
    pub path: PathBuf,
    pub bytes: u64,
    pub tickets: i64,
    pub messages: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Not an error of the backup: the database is PostgreSQL, and this says how to back it up.
    #[error("{0}")]
    UsePgDump(String),
    #[error("DATABASE_URL: there is no SQLite database at {0}")]
    NoDatabase(PathBuf),
    #[error("{0} already exists: choose a new file name, or pass --overwrite to replace it")]
    Exists(PathBuf),
    #[error("--to {path}: {source}")]
    Destination { path: PathBuf, source: io::Error },
    #[error("cannot open {path}: {source}")]
    Open { path: PathBuf, source: diesel::ConnectionError },
    #[error("the backup failed: {0}")]
    Sqlite(#[from] diesel::result::Error),
    #[error("the backup written to {path} failed PRAGMA integrity_check ({report}); it was not kept")]
    Corrupt { path: PathBuf, report: String },
}

/// Backs up the database at `database` to `to`; replaces an existing `to` only if `overwrite`.
pub fn backup(database: &DatabaseUrl, to: &Path, overwrite: bool) -> Result<Backup, BackupError> {
    let source = match database {
        DatabaseUrl::Postgres(url) => return Err(BackupError::UsePgDump(pg_dump_advice(url, to))),
        DatabaseUrl::Sqlite(path) => path,
    };
    // Opening a missing file would create an empty database and back that up.
    if !source.is_file() {
        return Err(BackupError::NoDatabase(source.clone()));
    }
    if !overwrite && to.exists() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    let destination = |source| BackupError::Destination { path: to.to_owned(), source };
    let file_name = to.file_name().ok_or_else(|| destination(io::ErrorKind::InvalidInput.into()))?;
    let directory = match to.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    if !directory.is_dir() {
        return Err(destination(io::Error::new(io::ErrorKind::NotFound, "no such directory")));
    }
    let partial = PartialFile(directory.join(format!(
        ".{}.{}.partial",
        file_name.to_string_lossy(),
        uuid::Uuid::new_v4().simple()
    )));

    let mut conn = open(source)?;
    // A WAL reader only waits while the log is being reset; the server's own connections wait 5 s too.
    conn.batch_execute("PRAGMA busy_timeout = 5000;")?;
    diesel::sql_query("VACUUM INTO ?").bind::<Text, _>(partial.0.to_string_lossy()).execute(&mut conn)?;
    drop(conn);

    let (tickets, messages) = check(&partial.0)?;
    // The rename must not reach the disk before the data does.
    std::fs::File::open(&partial.0).and_then(|file| file.sync_all()).map_err(destination)?;
    let bytes = std::fs::metadata(&partial.0).map_err(destination)?.len();
    if overwrite {
        std::fs::rename(&partial.0, to).map_err(destination)?;
    } else {
        // A link, unlike a rename, fails if FILE has appeared meanwhile; the partial name is then removed.
        match std::fs::hard_link(&partial.0, to) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(BackupError::Exists(to.to_owned())),
            Err(_) if !to.exists() => std::fs::rename(&partial.0, to).map_err(destination)?,
            Err(e) => return Err(destination(e)),
        }
    }
    drop(partial);
    // Make the new name itself durable.
    std::fs::File::open(&directory).and_then(|dir| dir.sync_all()).map_err(destination)?;
    Ok(Backup { path: to.to_owned(), bytes, tickets, messages })
}

fn open(path: &Path) -> Result<SqliteConnection, BackupError> {
    SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|source| BackupError::Open { path: path.to_owned(), source })
}

#[derive(QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// Runs `PRAGMA integrity_check` on the written copy; returns how many tickets and messages it holds.
fn check(path: &Path) -> Result<(i64, i64), BackupError> {
    let mut conn = open(path)?;
    let report: Vec<IntegrityCheck> = diesel::sql_query("PRAGMA integrity_check").load(&mut conn)?;
    let report: Vec<String> = report.into_iter().map(|row| row.integrity_check).collect();
    if report != ["ok"] {
        return Err(BackupError::Corrupt { path: path.to_owned(), report: report.join("; ") });
    }
    let tickets = tickets::table.count().get_result(&mut conn)?;
    let messages = messages::table.count().get_result(&mut conn)?;
    Ok((tickets, messages))
}

/// The temporary file a backup is written to: its name is removed when the backup ends, however it ends
/// (once the backup is in place under FILE, that name is a second link or already gone).
struct PartialFile(PathBuf);

impl Drop for PartialFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What to run instead on PostgreSQL: `pg_dump` in its custom format (compressed, restorable table by
/// table), and the `pg_restore` that brings it back. The password is left out of the printed URL.
pub fn pg_dump_advice(url: &str, to: &Path) -> String {
    let (url, had_password) = match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(None);
            (parsed.to_string(), true)
        }
        _ => (url.to_owned(), false),
    };
    let file = shell_quote(&to.to_string_lossy());
    let url = shell_quote(&url);
    let mut advice = format!(
        "smsdesk backup copies SQLite databases; DATABASE_URL is PostgreSQL, whose own tool takes a consistent \
         online backup:\n\n  pg_dump --format=custom --dbname={url} --file={file}\n\n\
         To restore it, into a new, empty database (createdb), then point DATABASE_URL at that database:\n\n  \
         pg_restore --no-owner --exit-on-error --dbname=<URL of the new database> {file}\n"
    );
    if had_password {
        advice
            .push_str("\nThe password is left out of the URL above: pg_dump reads it from PGPASSWORD or ~/.pgpass.\n");
    }
    advice
}

/// `value` as one POSIX shell word.
fn shell_quote(value: &str) -> String {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-:@%+=,".contains(&b)) {
        return value.to_owned();
    }
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::Path;

    use super::{pg_dump_advice, shell_quote};

    #[test]
    fn pg_dump_advice_names_the_database_and_file_and_leaves_the_password_out() {
        let advice =
            pg_dump_advice("postgres://desk:s3cret@db.internal:5432/smsdesk?sslmode=require", Path::new("b.dump"));
        assert!(
            advice.contains(
                "pg_dump --format=custom --dbname='postgres://desk@db.internal:5432/smsdesk?sslmode=require' --file=b.dump"
            ),
            "{advice}"
        );
        assert!(advice.contains("pg_restore --no-owner"), "{advice}");
        assert!(!advice.contains("s3cret"), "{advice}");
        assert!(advice.contains("PGPASSWORD"), "{advice}");
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("/var/backups/desk.db"), "/var/backups/desk.db");
        assert_eq!(shell_quote("my backup.db"), "'my backup.db'");
        assert_eq!(shell_quote("it's.db"), r"'it'\''s.db'");
        assert_eq!(shell_quote(""), "''");
    }
}
