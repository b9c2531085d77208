//! Where and what was measured: the machine, the commit, the toolchain, the builds, the
//! database and the date.

use std::process::Command;

use serde::Serialize;
use time::OffsetDateTime;
use time::macros::format_description;

use super::server::workspace_root;

/// The header of a report.
#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub os: String,
    /// `abc1234`, with ` (dirty)` when the work tree had changes (other than the bench's
    /// own `docs/benchmarks.md` and `docs/benchmarks/`).
    pub commit: String,
    pub rustc: String,
    /// `release` or `debug`: the server binary.
    pub server_build: String,
    /// `release` or `debug`: this harness (the use-case and raw-SQL figures run in it).
    pub harness_build: String,
    pub database: String,
    /// UTC, to the minute.
    pub date: String,
}

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(workspace_root())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The CPU model and the number of logical cores, from `/proc/cpuinfo`.
pub fn cpu(cpuinfo: &str) -> (String, usize) {
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "model name").then(|| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = cpuinfo
        .lines()
        .filter(|l| l.split(':').next().is_some_and(|k| k.trim() == "processor"))
        .count();
    (model, cores)
}

fn memory_gib() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0)
}

fn os() -> String {
    let name = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| std::env::consts::OS.to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| format!(", Linux {}", k.trim()))
        .unwrap_or_default();
    format!("{name}{kernel}")
}

/// The build profile of this binary.
pub fn harness_build() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

impl Environment {
    /// Gathers everything but the database version.
    pub fn gather(server_release: bool, database: String) -> Environment {
        let (cpu, cores) = cpu(&std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default());
        let commit = output("git", &["rev-parse", "--short", "HEAD"])
            .unwrap_or_else(|| "unknown".to_owned());
        // The bench's own output does not make the tree dirty.
        let dirty = output(
            "git",
            &[
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":(exclude)docs/benchmarks.md",
                ":(exclude)docs/benchmarks",
            ],
        )
        .is_some_and(|s| !s.is_empty());
        let date = OffsetDateTime::now_utc()
            .format(format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .unwrap_or_default();
        Environment {
            cpu,
            cores: cores.max(1),
            memory_gib: memory_gib(),
            os: os(),
            commit: if dirty {
                format!("{commit} (dirty)")
            } else {
                commit
            },
            rustc: output("rustc", &["--version"]).unwrap_or_else(|| "rustc ?".to_owned()),
            server_build: if server_release { "release" } else { "debug" }.to_owned(),
            harness_build: harness_build().to_owned(),
            database,
            date,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_is_read() {
        let text = "processor\t: 0\nmodel name\t: Example CPU @ 2.0GHz\n\nprocessor\t: 1\nmodel name\t: Example CPU @ 2.0GHz\n";
        assert_eq!(cpu(text), ("Example CPU @ 2.0GHz".to_owned(), 2));
        assert_eq!(cpu(""), ("unknown CPU".to_owned(), 0));
    }
}
