//! The server's memory: resident set size (`VmRSS`) and its peak (`VmHWM`) from
//! `/proc/<pid>/status` (Linux only), in MB (10^6 bytes).

use anyhow::Context;

/// Resident memory of a process, in MB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rss {
    pub now_mb: f64,
    pub peak_mb: f64,
}

/// Reads `/proc/<pid>/status`.
pub fn rss(pid: u32) -> anyhow::Result<Rss> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse(&text).with_context(|| format!("no VmRSS/VmHWM in {path}"))
}

fn kib(text: &str, key: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
}

/// `VmRSS` and `VmHWM` of a status file (given in KiB), in MB.
pub fn parse(status: &str) -> Option<Rss> {
    Some(Rss {
        now_mb: kib(status, "VmRSS:")? * 1024.0 / 1e6,
        peak_mb: kib(status, "VmHWM:")? * 1024.0 / 1e6,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read() {
        let s = "Name:\trevshare\nVmHWM:\t   40000 kB\nVmRSS:\t   20000 kB\nThreads:\t4\n";
        assert_eq!(
            parse(s),
            Some(Rss {
                now_mb: 20.48,
                peak_mb: 40.96
            })
        );
        assert_eq!(parse("Name:\tx\n"), None);
        let own = rss(std::process::id()).unwrap();
        assert!(own.now_mb > 0.0 && own.peak_mb >= own.now_mb);
    }
}
