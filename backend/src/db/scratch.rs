//! Databases for the storage layer's own tests, on each backend the run has.

#![allow(clippy::unwrap_used)]

use diesel::prelude::*;

use crate::config::{DatabaseSettings, DatabaseUrl};
use crate::db::{Database, StoreError};

/// A database of the test's own: SQLite in a temporary directory, or, when `TEST_DATABASE_URL` names a
/// PostgreSQL server, a database created for the test and dropped afterwards.
pub struct Scratch {
    pub db: Database,
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Scratch {
    pub async fn all() -> Vec<Scratch> {
        let mut all = vec![Self::sqlite().await];
        all.extend(Self::postgres().await);
        all
    }

    pub async fn sqlite() -> Scratch {
        Self::open(None).await
    }

    /// `None` without `TEST_DATABASE_URL`.
    pub async fn postgres() -> Option<Scratch> {
        let admin = std::env::var("TEST_DATABASE_URL").ok().filter(|url| !url.trim().is_empty())?;
        Some(Self::open(Some(admin)).await)
    }

    async fn open(postgres_admin: Option<String>) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let (url, postgres) = match postgres_admin {
            None => (DatabaseUrl::Sqlite(dir.path().join("scratch.db")), None),
            Some(admin) => {
                let name = format!("smsdesk_scratch_{}", uuid::Uuid::new_v4().simple());
                let mut conn = diesel::PgConnection::establish(&admin).unwrap();
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).unwrap();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                (DatabaseUrl::Postgres(url.to_string()), Some((admin, name)))
            }
        };
        let db = Database::connect(&DatabaseSettings { url, pool_size: 2, writers: 4 }).unwrap();
        db.write(|conn| {
            diesel::sql_query("CREATE TABLE scratch (n INTEGER NOT NULL CHECK (n >= 0))")
                .execute(conn)
                .map_err(StoreError::from)
        })
        .await
        .unwrap();
        Scratch { db, postgres, _dir: dir }
    }

    pub fn backend(&self) -> &'static str {
        if self.postgres.is_some() { "PostgreSQL" } else { "SQLite" }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres
            && let Ok(mut conn) = diesel::PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
        }
    }
}
