//! Databases for the benchmark: created (and dropped) per run, migrated by smsdesk itself, agents added through
//! `smsdesk::accounts`, then filled with a help desk's history by bulk multi-row INSERTs in large transactions.
//!
//! The history: ticket ids follow time. The oldest 80 % of tickets span the year before last week and are all
//! closed; the newest 20 % span the last five days and three in four of them are still open or pending (so
//! about 15 % of all tickets are unclosed, and all of them are younger than the default auto-close age of a
//! week). Customers have several tickets over time (0.6 customers per ticket), but at most one unclosed one.
//! SQLite's full-text index is filled as a live desk's would be: by the insert trigger where the schema has
//! one, else (batched indexing) in one statement after seeding, with the server's watermark moved past it.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use smsdesk::accounts::{AccountError, NewUser, add_user, create_token};
use smsdesk::config::{DatabaseUrl, Settings};
use smsdesk::db::Database;
use smsdesk::domain::{EmailAddress, Role};

/// The number of ours the seeded tickets are on (all but a tenth, see [`organise_inboxes`]), and that every
/// benchmark text is sent to: the Support inbox, which has no members, so every agent sees it.
pub const CHANNEL: &str = "+14155550100";
/// The second number of ours: the Sales inbox, a tenth of the tickets (ids divisible by 10), whose members are
/// a tenth of the agents. For the others it is a hidden inbox, so their queue, counts and threads are scoped.
pub const SALES_CHANNEL: &str = "+14155550101";
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.6f";
/// Rows per INSERT statement and tickets per transaction.
const ROWS_PER_STATEMENT: usize = 1_000;
const TICKETS_PER_TRANSACTION: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// A database of the benchmark's own: a file in a temporary directory, or a PostgreSQL database created for
/// it and dropped when this is dropped.
pub struct BenchDatabase {
    pub backend: Backend,
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl BenchDatabase {
    pub fn create(backend: Backend, admin_url: Option<&str>) -> Self {
        match backend {
            Backend::Sqlite => {
                // `BENCH_KEEP_DIR`: leave the SQLite files there, to look into afterwards.
                if let Ok(keep) = std::env::var("BENCH_KEEP_DIR") {
                    let path = std::path::Path::new(&keep).join(format!("bench-{}.db", uuid::Uuid::new_v4().simple()));
                    println!("  database file: {}", path.display());
                    return Self { backend, url: format!("sqlite://{}", path.display()), postgres: None, _dir: None };
                }
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                Self { backend, url, postgres: None, _dir: Some(dir) }
            }
            Backend::Postgres => {
                let admin = admin_url.expect("PostgreSQL admin URL").to_owned();
                let name = format!("smsdesk_bench_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(&admin).expect("connect to PostgreSQL");
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).unwrap();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                if std::env::var("BENCH_KEEP_DIR").is_ok() {
                    println!("  database (kept): {url}");
                    return Self { backend, url: url.to_string(), postgres: None, _dir: None };
                }
                Self { backend, url: url.to_string(), postgres: Some((admin, name)), _dir: None }
            }
        }
    }

    pub fn database_url(&self) -> DatabaseUrl {
        DatabaseUrl::parse(&self.url).unwrap()
    }

    /// A connection pool and write path of smsdesk's own, as the server would open it.
    pub fn connect(&self) -> Database {
        let mut env = HashMap::new();
        env.insert("DATABASE_URL".to_owned(), self.url.clone());
        env.insert("DATABASE_POOL_SIZE".to_owned(), "2".to_owned());
        let settings = Settings::from_lookup(|k| env.get(k).cloned()).unwrap();
        Database::connect(&settings.database).unwrap()
    }
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
        }
    }
}

/// One raw connection, for seeding and for the query plans.
pub enum RawConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl RawConnection {
    pub fn open(db: &BenchDatabase) -> Self {
        match db.database_url() {
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
                // The agents were added through smsdesk's own write path, whose threads may still be closing.
                conn.batch_execute("PRAGMA busy_timeout = 30000").unwrap();
                Self::Sqlite(conn)
            }
            DatabaseUrl::Postgres(url) => Self::Postgres(PgConnection::establish(&url).unwrap()),
        }
    }

    pub fn execute(&mut self, sql: &str) -> diesel::QueryResult<usize> {
        match self {
            Self::Sqlite(c) => diesel::sql_query(sql).execute(c),
            Self::Postgres(c) => diesel::sql_query(sql).execute(c),
        }
    }

    pub fn batch(&mut self, sql: &str) -> diesel::QueryResult<()> {
        match self {
            Self::Sqlite(c) => c.batch_execute(sql),
            Self::Postgres(c) => c.batch_execute(sql),
        }
    }

    fn transaction(&mut self, f: impl FnOnce(&mut Self) -> diesel::QueryResult<()>) -> diesel::QueryResult<()> {
        self.batch("BEGIN")?;
        match f(self) {
            Ok(()) => self.batch("COMMIT"),
            Err(e) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// One text column of every row (EXPLAIN output).
    pub fn text_rows(&mut self, sql: &str) -> Vec<String> {
        #[derive(diesel::QueryableByName)]
        struct PgPlanLine {
            #[diesel(sql_type = diesel::sql_types::Text)]
            #[diesel(column_name = "QUERY PLAN")]
            line: String,
        }
        #[derive(diesel::QueryableByName)]
        struct SqlitePlanLine {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            id: i32,
            #[diesel(sql_type = diesel::sql_types::Integer)]
            parent: i32,
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        match self {
            Self::Postgres(c) => {
                diesel::sql_query(sql).load::<PgPlanLine>(c).unwrap().into_iter().map(|l| l.line).collect()
            }
            Self::Sqlite(c) => {
                // Indent by nesting, as the sqlite3 shell does.
                let lines = diesel::sql_query(sql).load::<SqlitePlanLine>(c).unwrap();
                let mut depth: HashMap<i32, usize> = HashMap::new();
                lines
                    .into_iter()
                    .map(|l| {
                        let d = depth.get(&l.parent).map_or(0, |d| d + 1);
                        depth.insert(l.id, d);
                        format!("{}{}", "  ".repeat(d), l.detail)
                    })
                    .collect()
            }
        }
    }

    pub fn count(&mut self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let rows: Vec<Count> = match self {
            Self::Sqlite(c) => diesel::sql_query(sql).load(c),
            Self::Postgres(c) => diesel::sql_query(sql).load(c),
        }
        .unwrap();
        rows[0].n
    }
}

/// Whether a seeded ticket is on the Sales number (see [`SALES_CHANNEL`]), hidden from most agents.
pub fn in_sales(ticket_id: i64) -> bool {
    ticket_id % 10 == 0
}

/// Gives the seeded desk what issue 17 added, as a desk using it would have: two inboxes (Support, shared;
/// Sales, with a tenth of the agents as members, holding a tenth of the tickets), priorities spread over the
/// four levels, and `waiting_since` on the unclosed tickets whose last text is the customer's.
pub fn organise_inboxes(db: &BenchDatabase, agents: &[Agent]) {
    let mut conn = RawConnection::open(db);
    conn.batch(&format!(
        "UPDATE tickets SET channel_number = '{SALES_CHANNEL}' WHERE id % 10 = 0;          UPDATE tickets SET priority = id % 4;          UPDATE tickets SET waiting_since = last_message_at            WHERE status <> 'closed' AND last_message_direction = 'inbound';          INSERT INTO inboxes (number, name, assignment_policy, created_at, updated_at) VALUES            ('{CHANNEL}', 'Support', 'manual', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),            ('{SALES_CHANNEL}', 'Sales', 'manual', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);"
    ))
    .unwrap();
    let members: Vec<String> =
        agents.iter().step_by(10).map(|agent| format!("('{SALES_CHANNEL}', {})", agent.user_id)).collect();
    if !members.is_empty() {
        conn.batch(&format!("INSERT INTO inbox_members (inbox_number, user_id) VALUES {}", members.join(", ")))
            .unwrap();
    }
}

/// An agent the benchmark acts as.
#[derive(Debug, Clone)]
pub struct Agent {
    pub user_id: i64,
    pub token: String,
}

/// Adds `count` agents and an API token each, through smsdesk's own account functions.
pub fn create_agents(db: &BenchDatabase, count: usize) -> Vec<Agent> {
    let database = db.connect();
    let emails: Vec<EmailAddress> =
        (0..count).map(|i| EmailAddress::parse(&format!("agent{i:03}@bench.example.com")).unwrap()).collect();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let agents = runtime
        .block_on(database.write(move |conn| -> Result<Vec<Agent>, AccountError> {
            emails
                .into_iter()
                .enumerate()
                .map(|(i, email)| {
                    let user = add_user(
                        conn,
                        NewUser { email, name: format!("Agent {i}"), role: Role::Agent, password: None },
                    )?;
                    let (_, token) = create_token(conn, user.id, "polling benchmark")?;
                    Ok(Agent { user_id: user.id.0, token: token.plain_text })
                })
                .collect()
        }))
        .unwrap();
    drop(database);
    agents
}

/// What a seeded database holds that the load needs to know.
pub struct Seeded {
    /// Unclosed tickets: id and customer number.
    pub unclosed: Vec<(i64, String)>,
    pub tickets: usize,
    pub messages: usize,
    pub inbound_messages: i64,
    pub contacts: usize,
    pub elapsed: Duration,
    /// Of `elapsed`: PostgreSQL's VACUUM ANALYZE, or SQLite's search index (when not filled by a trigger) and
    /// final checkpoint (and ANALYZE if asked).
    pub finishing: Duration,
}

/// Customer number `k`: San Francisco numbers, +1 415 NXX XXXX with exchanges from 200 (8 million of them).
pub fn customer_number(k: usize) -> String {
    format!("+1415{:03}{:04}", 200 + k / 10_000, k % 10_000)
}

/// A number that has never texted before (the `n`th): +1 628 NXX XXXX.
pub fn new_number(n: u64) -> String {
    format!("+1628{:03}{:04}", 200 + (n / 10_000) % 800, n % 10_000)
}

const INBOUND: [&str; 6] = [
    "Hi, my order {n} has not arrived yet. Can you check where it is?",
    "The package for order {n} came damaged, I would like a replacement please",
    "Can I change the delivery address for order {n} to 12 Main Street?",
    "Thanks, that worked. One more question about invoice {n} though",
    "Is the store open on Sunday? I want to pick up order {n} myself",
    "I was charged twice for order {n}, please refund one of the payments",
];
const OUTBOUND: [&str; 5] = [
    "Thanks for reaching out! Let me look into order {n} for you.",
    "Order {n} left our warehouse yesterday, the tracking number is 1Z{n}.",
    "I have sent a replacement for order {n}; it should arrive within 2 days.",
    "Could you send us a photo of the damaged item, please?",
    "The duplicate charge for order {n} is refunded, you will see it in 3 to 5 days.",
];

fn body(templates: &[&str], rng: &mut StdRng) -> String {
    let n = rng.random_range(100_000..999_999).to_string();
    templates[rng.random_range(0..templates.len())].replace("{n}", &n)
}

fn ts(t: NaiveDateTime) -> String {
    format!("'{}'", t.format(TIME_FORMAT))
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "NULL".to_owned(), |v| v.to_string())
}

/// Buffers rows of one table and flushes them as multi-row INSERTs.
struct Inserter {
    head: String,
    sql: String,
    rows: usize,
}

impl Inserter {
    fn new(backend: Backend, table: &str, columns: &str, identity: bool) -> Self {
        let overriding = if identity && backend == Backend::Postgres { " OVERRIDING SYSTEM VALUE" } else { "" };
        Self { head: format!("INSERT INTO {table} ({columns}){overriding} VALUES "), sql: String::new(), rows: 0 }
    }

    /// Adds a row; true when a statement's worth is waiting (the caller flushes, parents before children).
    fn row(&mut self, values: std::fmt::Arguments<'_>) -> bool {
        if self.rows == 0 {
            self.sql.clear();
            self.sql.push_str(&self.head);
        } else {
            self.sql.push(',');
        }
        self.sql.push('(');
        self.sql.write_fmt(values).unwrap();
        self.sql.push(')');
        self.rows += 1;
        self.rows >= ROWS_PER_STATEMENT
    }

    fn flush(&mut self, conn: &mut RawConnection) -> diesel::QueryResult<()> {
        if self.rows > 0 {
            conn.execute(&self.sql)?;
            self.rows = 0;
        }
        Ok(())
    }
}

/// Seeds `tickets` tickets of `messages_per_ticket` messages each (1, or 2 and more: the customer's text,
/// the automatic confirmation, then agent replies and customer texts in turn), with contacts, assignments to
/// `agents` and read markers. Migrations must have run (and the agents been added) first.
pub fn seed(db: &BenchDatabase, tickets: usize, messages_per_ticket: usize, agents: &[Agent]) -> Seeded {
    let started = Instant::now();
    let backend = db.backend;
    let mut conn = RawConnection::open(db);
    match backend {
        // The file is already in WAL mode (migrations); only this connection skips the fsyncs.
        Backend::Sqlite => {
            conn.batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;").unwrap()
        }
        Backend::Postgres => {
            conn.batch("SET synchronous_commit = off").unwrap();
            // Skips the foreign-key triggers (rows are consistent by construction); needs a superuser.
            if conn.batch("SET session_replication_role = replica").is_err() {
                println!("  (not a superuser: foreign keys are checked while seeding)");
            }
        }
    }
    let mut rng = StdRng::seed_from_u64(20_261_121);
    let now = Utc::now().naive_utc().trunc_subsecs(6);
    let n = tickets;
    let customers = (n * 6).div_ceil(10).max(1);
    let recent_start = n * 8 / 10;
    let day = chrono::Duration::days(1);
    let created_at = |i: usize| -> NaiveDateTime {
        if i < recent_start {
            let span = (day * 358).num_seconds() as f64;
            now - day * 365 + chrono::Duration::seconds((span * i as f64 / recent_start.max(1) as f64) as i64)
        } else {
            let span = (day * 5 - chrono::Duration::hours(2)).num_seconds() as f64;
            let f = (i - recent_start) as f64 / (n - recent_start).max(1) as f64;
            now - day * 5 + chrono::Duration::seconds((span * f) as i64)
        }
    };

    // Contacts: customer k's first ticket is ticket k, so they are "created" with it; a third have names.
    let mut contacts =
        Inserter::new(backend, "contacts", "id, phone_number, name, notes, created_at, updated_at", true);
    conn.transaction(|conn| {
        for k in 0..customers {
            let at = ts(created_at(k.min(n - 1)) - chrono::Duration::minutes(1));
            let name = if k % 3 == 0 { format!("'Customer {k}'") } else { "NULL".to_owned() };
            if contacts.row(format_args!("{},'{}',{},'',{},{}", k + 1, customer_number(k), name, at, at)) {
                contacts.flush(conn)?;
            }
        }
        contacts.flush(conn)
    })
    .unwrap();

    let mut ticket_rows = Inserter::new(
        backend,
        "tickets",
        "id, customer_number, channel_number, status, created_at, updated_at, closed_at, contact_id, assignee_id, \
         message_count, last_message_preview, last_message_direction, last_message_at, last_inbound_message_id",
        true,
    );
    let mut message_rows = Inserter::new(
        backend,
        "messages",
        "id, ticket_id, direction, internal, body, author_id, provider, provider_message_id, delivery_status, \
         created_at, updated_at",
        true,
    );
    let mut read_rows =
        Inserter::new(backend, "ticket_reads", "user_id, ticket_id, last_read_message_id, read_at", false);
    let mut unclosed = Vec::new();
    let mut inbound_messages = 0i64;
    let m = messages_per_ticket.max(1);
    let mut start = 0;
    while start < n {
        let end = (start + TICKETS_PER_TRANSACTION).min(n);
        conn.transaction(|conn| {
            for i in start..end {
                let id = i as i64 + 1;
                let customer = i % customers;
                let number = customer_number(customer);
                let is_unclosed = i >= recent_start && rng.random_bool(0.75);
                let status = match (is_unclosed, rng.random_bool(0.6)) {
                    (false, _) => "closed",
                    (true, true) => "open",
                    (true, false) => "pending",
                };
                let assignee = if rng.random_bool(if is_unclosed { 0.5 } else { 0.9 }) && !agents.is_empty() {
                    Some(agents[rng.random_range(0..agents.len())].user_id)
                } else {
                    None
                };
                let created = created_at(i);
                let mut at = created;
                let mut last_person: Option<(String, &str, NaiveDateTime)> = None;
                let mut last_inbound = None;
                for k in 0..m {
                    let message_id = (i * m + k) as i64 + 1;
                    // Customer texts on even turns, replies on odd ones; an open ticket's last word is the
                    // customer's, a pending one's (waiting on the customer) an agent's.
                    let inbound = k % 2 == 0 || (k == m - 1 && status == "open");
                    let automatic = k == 1;
                    let (text, author, provider, delivery) = if inbound {
                        (body(&INBOUND, &mut rng), None, "twilio", None)
                    } else if automatic {
                        (
                            format!("Thanks for contacting customer support! Your ticket ID is {id}."),
                            None,
                            "twilio",
                            Some("'delivered'"),
                        )
                    } else {
                        let author = assignee.unwrap_or_else(|| agents[rng.random_range(0..agents.len())].user_id);
                        (body(&OUTBOUND, &mut rng), Some(author), "twilio", Some("'delivered'"))
                    };
                    let direction = if inbound { "inbound" } else { "outbound" };
                    message_rows.row(format_args!(
                            "{message_id},{id},'{direction}',FALSE,'{text}',{},'{provider}','SM{message_id:032x}',{},{},{}",
                            opt(author),
                            delivery.unwrap_or("NULL"),
                            ts(at),
                        ts(at + chrono::Duration::seconds(if inbound { 0 } else { 3 })),
                    ));
                    if inbound {
                        inbound_messages += 1;
                        last_inbound = Some(message_id);
                    }
                    if !automatic {
                        last_person = Some((text, direction, at));
                    }
                    at += chrono::Duration::seconds(rng.random_range(240..360));
                }
                let last_at = last_person.as_ref().map_or(created, |(_, _, t)| *t);
                let (closed_at, updated_at) = if is_unclosed {
                    unclosed.push((id, number.clone()));
                    (None, last_at)
                } else {
                    let closed = last_at + std::cmp::min(day, (now - last_at) / 2);
                    (Some(closed), closed)
                };
                let (preview, last_direction, last_message_at) = match &last_person {
                    Some((text, direction, t)) => (format!("'{text}'"), format!("'{direction}'"), ts(*t)),
                    None => ("NULL".into(), "NULL".into(), "NULL".into()),
                };
                let mut full = ticket_rows.row(format_args!(
                        "{id},'{number}','{CHANNEL}','{status}',{},{},{},{},{},{m},{preview},{last_direction},{last_message_at},{}",
                        ts(created),
                        ts(updated_at),
                        closed_at.map_or_else(|| "NULL".to_owned(), ts),
                        customer + 1,
                        opt(assignee),
                    opt(last_inbound),
                ));
                // The assignee has read a closed ticket to the end, and half of the unclosed ones.
                if let (Some(user), Some(read_up_to)) = (assignee, last_inbound)
                    && (!is_unclosed || rng.random_bool(0.5))
                {
                    full |= read_rows.row(format_args!("{user},{id},{read_up_to},{}", ts(updated_at)));
                }
                if full || message_rows.rows >= ROWS_PER_STATEMENT {
                    ticket_rows.flush(conn)?;
                    message_rows.flush(conn)?;
                    read_rows.flush(conn)?;
                }
            }
            ticket_rows.flush(conn)?;
            message_rows.flush(conn)?;
            read_rows.flush(conn)
        })
        .unwrap();
        start = end;
    }
    let finishing_started = Instant::now();
    match backend {
        Backend::Postgres => {
            for table in ["contacts", "tickets", "messages"] {
                conn.batch(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                ))
                .unwrap();
            }
            conn.batch("SET session_replication_role = DEFAULT").ok();
            // What autovacuum would soon do after a bulk load: statistics and the visibility map.
            conn.batch("VACUUM (ANALYZE) contacts, tickets, messages, ticket_reads").unwrap();
        }
        Backend::Sqlite => {
            // With batched search indexing (no insert trigger), the server indexes what lies past its
            // watermark; a live desk's history is indexed already, so index it here, as the migration does.
            let batched = conn.count(
                "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'search_index_progress'",
            ) > 0;
            if batched {
                conn.transaction(|conn| {
                    conn.batch(
                        "INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages \
                         WHERE id > (SELECT last_message_id FROM search_index_progress); \
                         UPDATE search_index_progress SET last_message_id = (SELECT coalesce(max(id), 0) FROM messages);",
                    )
                })
                .unwrap();
            }
            if std::env::var("BENCH_SQLITE_ANALYZE").is_ok_and(|v| v == "1") {
                conn.batch("ANALYZE").unwrap();
            }
            conn.batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        }
    }
    let finishing = finishing_started.elapsed();
    Seeded {
        unclosed,
        tickets: n,
        messages: n * m,
        inbound_messages,
        contacts: customers,
        elapsed: started.elapsed(),
        finishing,
    }
}

/// Tickets whose denormalised columns disagree with their messages and contacts (`BENCH_CHECK_SEED=1`).
pub fn inconsistent_tickets(db: &BenchDatabase) -> i64 {
    let last_person = |column: &str| {
        format!(
            "(SELECT {column} FROM messages m WHERE m.ticket_id = t.id AND (m.direction = 'inbound' OR \
             m.author_id IS NOT NULL) ORDER BY m.id DESC LIMIT 1)"
        )
    };
    let sql = format!(
        "SELECT count(*) AS n FROM tickets t WHERE \
         t.message_count <> (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id) \
         OR coalesce(t.last_inbound_message_id, -1) <> coalesce((SELECT max(m.id) FROM messages m \
            WHERE m.ticket_id = t.id AND m.direction = 'inbound'), -1) \
         OR t.last_message_at <> {} OR t.last_message_direction <> {} OR t.last_message_preview <> {} \
         OR t.contact_id <> (SELECT c.id FROM contacts c WHERE c.phone_number = t.customer_number) \
         OR t.updated_at < t.last_message_at OR (t.status = 'closed') <> (t.closed_at IS NOT NULL)",
        last_person("m.created_at"),
        last_person("m.direction"),
        last_person("substr(m.body, 1, 160)"),
    );
    RawConnection::open(db).count(&sql)
}
