//! Latency and status tallies, and CPU accounting from /proc.

use std::time::Duration;

/// What one kind of request saw.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub latencies: Vec<Duration>,
    pub ok: usize,
    pub not_modified: usize,
    pub errors: usize,
    pub first_errors: Vec<String>,
}

impl Tally {
    pub fn record(&mut self, latency: Duration, outcome: Result<u16, String>) {
        match outcome {
            Ok(304) => {
                self.not_modified += 1;
                self.latencies.push(latency);
            }
            Ok(status) if (200..300).contains(&status) => {
                self.ok += 1;
                self.latencies.push(latency);
            }
            Ok(status) => self.error(format!("HTTP {status}")),
            Err(e) => self.error(e),
        }
    }

    pub fn error(&mut self, e: String) {
        self.errors += 1;
        if self.first_errors.len() < 5 {
            self.first_errors.push(e);
        }
    }

    pub fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.ok += other.ok;
        self.not_modified += other.not_modified;
        self.errors += other.errors;
        for e in other.first_errors {
            if self.first_errors.len() < 5 {
                self.first_errors.push(e);
            }
        }
    }

    pub fn answered(&self) -> usize {
        self.ok + self.not_modified
    }

    pub fn sort(&mut self) {
        self.latencies.sort_unstable();
    }

    /// In milliseconds; NaN without samples. Call `sort` first.
    pub fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index].as_secs_f64() * 1000.0
    }

    pub fn max(&self) -> f64 {
        self.latencies.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    }

    pub fn not_modified_share(&self) -> f64 {
        if self.answered() == 0 { 0.0 } else { 100.0 * self.not_modified as f64 / self.answered() as f64 }
    }
}

/// CPU time of a process (user + system), from /proc/<pid>/stat, in seconds (clock ticks of 1/100 s).
pub fn process_cpu(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return f64::NAN };
    // The command name may contain spaces: fields count from the closing parenthesis.
    let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else { return f64::NAN };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the state field.
    (ticks(11) + ticks(12)) / 100.0
}

/// The machine's busy and total CPU time in seconds, from /proc/stat.
pub fn machine_cpu() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else { return (f64::NAN, f64::NAN) };
    let Some(line) = stat.lines().next() else { return (f64::NAN, f64::NAN) };
    let values: Vec<f64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    let total: f64 = values.iter().take(8).sum();
    let idle = values.get(3).copied().unwrap_or(0.0) + values.get(4).copied().unwrap_or(0.0);
    ((total - idle) / 100.0, total / 100.0)
}

/// CPU time of every PostgreSQL process on the machine (the server's backends among them), in seconds.
pub fn postgres_cpu() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0.0 };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .map(process_cpu)
        .filter(|s| s.is_finite())
        .sum()
}

/// CPU use over an interval: the server's, PostgreSQL's, this process's (the load generator), and whatever
/// else ran on the machine meanwhile (other people's work skews the figures: it is worth knowing).
pub struct CpuMeter {
    server_pid: u32,
    server: f64,
    postgres: f64,
    client: f64,
    machine: (f64, f64),
    started: std::time::Instant,
}

impl CpuMeter {
    pub fn start(server_pid: u32) -> Self {
        Self {
            server_pid,
            server: process_cpu(server_pid),
            postgres: postgres_cpu(),
            client: process_cpu(std::process::id()),
            machine: machine_cpu(),
            started: std::time::Instant::now(),
        }
    }

    /// Cores used on average: "smsdesk x, PostgreSQL y, load generator z, other w (machine n % busy)".
    pub fn report(&self) -> String {
        let wall = self.started.elapsed().as_secs_f64();
        let server = (process_cpu(self.server_pid) - self.server) / wall;
        let postgres = (postgres_cpu() - self.postgres) / wall;
        let client = (process_cpu(std::process::id()) - self.client) / wall;
        let (busy, total) = machine_cpu();
        let busy_cores = (busy - self.machine.0) / wall;
        let machine = 100.0 * (busy - self.machine.0) / (total - self.machine.1);
        let other = (busy_cores - server - postgres - client).max(0.0);
        let postgres = if postgres > 0.005 { format!(", PostgreSQL {postgres:.2}") } else { String::new() };
        format!(
            "CPU cores: smsdesk {server:.2}{postgres}, load generator {client:.2}, other processes {other:.2} \
             (machine {machine:.0} % busy)"
        )
    }
}
