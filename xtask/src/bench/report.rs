//! The figures, their floors, ratios and targets; the markdown section of one database and
//! profile in `docs/benchmarks.md` (re-running a combination replaces only its section), and
//! the raw figures as JSON.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use super::environment::Environment;
use super::stats::Summary;

/// A target a figure should meet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Target {
    /// The median is at least this.
    AtLeast(f64),
    /// The median is at most this.
    AtMost(f64),
    /// The ratio to the floor is at least this.
    RatioAtLeast(f64),
}

impl Target {
    fn holds(self, median: f64, ratio: Option<f64>) -> Option<bool> {
        Some(match self {
            Target::AtLeast(x) => median >= x,
            Target::AtMost(x) => median <= x,
            Target::RatioAtLeast(x) => ratio? >= x,
        })
    }

    fn describe(self, unit: &str) -> String {
        match self {
            Target::AtLeast(x) => format!("≥ {} {unit}", num(x)),
            Target::AtMost(x) => format!("≤ {} {unit}", num(x)),
            Target::RatioAtLeast(x) => format!("≥ {:.0} % of floor", x * 100.0),
        }
    }
}

/// The floor of a figure: the same work through the driver directly, or `/healthz`.
#[derive(Debug, Clone, Serialize)]
pub struct Floor {
    pub name: String,
    pub values: Vec<f64>,
    pub summary: Option<Summary>,
}

/// One figure: a value per run.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub group: String,
    pub name: String,
    pub unit: String,
    pub values: Vec<f64>,
    pub summary: Option<Summary>,
    pub floor: Option<Floor>,
    /// Median ÷ floor median.
    pub ratio: Option<f64>,
    pub targets: Vec<Target>,
    pub pass: Option<bool>,
    pub note: Option<String>,
}

impl Figure {
    /// A figure of `values`, one per run.
    pub fn new(group: &str, name: impl Into<String>, unit: &str, values: Vec<f64>) -> Self {
        Figure {
            group: group.to_owned(),
            name: name.into(),
            unit: unit.to_owned(),
            summary: Summary::of(&values),
            values,
            floor: None,
            ratio: None,
            targets: Vec::new(),
            pass: None,
            note: None,
        }
    }

    /// Its floor, measured in the same runs.
    pub fn floor(mut self, name: impl Into<String>, values: Vec<f64>) -> Self {
        let summary = Summary::of(&values);
        self.ratio = match (self.summary, summary) {
            (Some(s), Some(f)) if f.median != 0.0 => Some(s.median / f.median),
            _ => None,
        };
        self.floor = Some(Floor {
            name: name.into(),
            values,
            summary,
        });
        self.judge()
    }

    /// A target.
    pub fn target(mut self, t: Target) -> Self {
        self.targets.push(t);
        self.judge()
    }

    /// A note printed under the table.
    pub fn note(mut self, n: impl Into<String>) -> Self {
        self.note = Some(n.into());
        self
    }

    fn judge(mut self) -> Self {
        self.pass = match self.summary {
            Some(s) if !self.targets.is_empty() => self
                .targets
                .iter()
                .map(|t| t.holds(s.median, self.ratio))
                .collect::<Option<Vec<bool>>>()
                .map(|v| v.iter().all(|&b| b)),
            _ => None,
        };
        self
    }
}

/// Everything one invocation measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `postgres-small`, …
    pub key: String,
    pub db: String,
    pub profile: super::profile::Profile,
    pub runs: usize,
    pub environment: Environment,
    pub dataset: Vec<String>,
    pub figures: Vec<Figure>,
    pub notes: Vec<String>,
    pub wall_seconds: f64,
}

/// A number for people: thousands separated, 3 significant digits below 100.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "–".to_owned();
    }
    let a = x.abs();
    if a < 100.0 && x.fract() == 0.0 {
        format!("{x:.0}")
    } else if a >= 100.0 {
        let n = x.round() as i64;
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if n < 0 {
            out.insert(0, '-');
        }
        out
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// A ratio to three significant digits (thousands separated from 100 up).
fn ratio(r: f64) -> String {
    if !r.is_finite() || r <= 0.0 {
        return format!("{}×", num(r));
    }
    if r >= 100.0 {
        return format!("{}×", num(r));
    }
    let decimals = (2 - r.log10().floor() as i32).max(0) as usize;
    format!("{r:.decimals$}×")
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The start marker of a section.
pub fn begin_marker(key: &str) -> String {
    format!("<!-- bench:{key}:begin -->")
}

/// The end marker of a section.
pub fn end_marker(key: &str) -> String {
    format!("<!-- bench:{key}:end -->")
}

/// The markdown section of a report, markers included.
pub fn markdown(r: &Report) -> String {
    let e = &r.environment;
    let mut s = String::new();
    let _ = writeln!(s, "{}", begin_marker(&r.key));
    let _ = writeln!(s, "### {} — `{}` profile\n", e.database, r.profile.name);
    let _ = writeln!(
        s,
        "Measured {} · commit `{}` · {} · server build: **{}** · harness build: **{}** · \
         {} run(s) per figure · {:.0} s wall\n",
        e.date, e.commit, e.rustc, e.server_build, e.harness_build, r.runs, r.wall_seconds
    );
    let _ = writeln!(
        s,
        "Machine: {} ({} logical cores), {:.1} GiB RAM, {}\n",
        e.cpu, e.cores, e.memory_gib, e.os
    );
    for d in &r.dataset {
        let _ = writeln!(s, "- {d}");
    }
    if !r.dataset.is_empty() {
        s.push('\n');
    }
    s.push_str(
        "| figure | unit | min | median | max | floor | floor median | ratio | target | |\n",
    );
    s.push_str("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |\n");
    let mut group = "";
    for f in &r.figures {
        let name = if f.group != group {
            group = &f.group;
            format!("**{}** · {}", f.group, f.name)
        } else {
            f.name.clone()
        };
        let (min, med, max) = f
            .summary
            .map(|x| (num(x.min), num(x.median), num(x.max)))
            .unwrap_or_else(|| ("–".into(), "–".into(), "–".into()));
        let (floor, floor_median) = match &f.floor {
            Some(fl) => (
                fl.name.clone(),
                fl.summary.map(|x| num(x.median)).unwrap_or("–".into()),
            ),
            None => (String::new(), String::new()),
        };
        let target = f
            .targets
            .iter()
            .map(|t| t.describe(&f.unit))
            .collect::<Vec<_>>()
            .join("; ");
        let verdict = match f.pass {
            Some(true) => "pass",
            Some(false) => "**fail**",
            None => "",
        };
        let _ = writeln!(
            s,
            "| {} | {} | {min} | {med} | {max} | {} | {floor_median} | {} | {} | {verdict} |",
            cell(&name),
            cell(&f.unit),
            cell(&floor),
            f.ratio.map(ratio).unwrap_or_default(),
            cell(&target),
        );
    }
    let notes: Vec<String> = r
        .figures
        .iter()
        .filter_map(|f| f.note.as_ref().map(|n| format!("*{}* — {n}", f.name)))
        .chain(r.notes.iter().cloned())
        .collect();
    if !notes.is_empty() {
        s.push('\n');
        for n in notes {
            let _ = writeln!(s, "- {n}");
        }
    }
    let _ = writeln!(s, "\n{}", end_marker(&r.key));
    s
}

/// `doc` with the section of `key` replaced by `section` (markers included), or with
/// `section` appended when the document has none yet. Other sections are left alone.
pub fn replace_section(doc: &str, key: &str, section: &str) -> String {
    let (begin, end) = (begin_marker(key), end_marker(key));
    let section = section.trim_end_matches('\n');
    if let Some(b) = doc.find(&begin)
        && let Some(e) = doc[b..].find(&end).map(|e| b + e + end.len())
    {
        return format!("{}{section}{}", &doc[..b], &doc[e..]);
    }
    let mut out = doc.trim_end_matches('\n').to_owned();
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(section);
    out.push('\n');
    out
}

/// Writes the section into `out` (creating the file if needed) and the JSON into `json`.
pub fn write(r: &Report, out: &Path, json: &Path) -> anyhow::Result<()> {
    let doc = match std::fs::read_to_string(out) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "# Benchmarks\n".to_owned(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", out.display())),
    };
    let doc = replace_section(&doc, &r.key, &markdown(r));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(out, doc).with_context(|| format!("writing {}", out.display()))?;
    if let Some(dir) = json.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(r)?;
    std::fs::write(json, text + "\n").with_context(|| format!("writing {}", json.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_replaced_in_place_or_appended() {
        let doc = "# B\n\nintro\n\n<!-- bench:sqlite-small:begin -->\nold\n<!-- bench:sqlite-small:end -->\n\n## After\n";
        let new = "<!-- bench:sqlite-small:begin -->\nnew\n<!-- bench:sqlite-small:end -->\n";
        let out = replace_section(doc, "sqlite-small", new);
        assert_eq!(
            out,
            "# B\n\nintro\n\n<!-- bench:sqlite-small:begin -->\nnew\n<!-- bench:sqlite-small:end -->\n\n## After\n"
        );
        // Another combination is appended, and the first one survives.
        let pg = "<!-- bench:postgres-small:begin -->\npg\n<!-- bench:postgres-small:end -->\n";
        let both = replace_section(&out, "postgres-small", pg);
        assert!(
            both.contains("\nnew\n") && both.ends_with("pg\n<!-- bench:postgres-small:end -->\n")
        );
        // Replacing again is stable.
        assert_eq!(replace_section(&both, "postgres-small", pg), both);
        assert_eq!(replace_section("", "k", "x\n"), "x\n");
    }

    #[test]
    fn a_lone_begin_marker_does_not_eat_the_document() {
        let doc = "a\n<!-- bench:k:begin -->\nb\n";
        let out = replace_section(doc, "k", "<!-- bench:k:begin -->\nc\n<!-- bench:k:end -->");
        assert!(out.starts_with(doc.trim_end()));
    }

    #[test]
    fn ratios_and_targets() {
        let f = Figure::new(
            "ingestion",
            "use case",
            "events/s",
            vec![100.0, 300.0, 200.0],
        )
        .floor("raw", vec![400.0, 400.0, 400.0])
        .target(Target::AtLeast(150.0))
        .target(Target::RatioAtLeast(0.5));
        assert_eq!(f.summary.unwrap().median, 200.0);
        assert_eq!(f.ratio, Some(0.5));
        assert_eq!(f.pass, Some(true));
        let f = f.target(Target::AtMost(10.0));
        assert_eq!(f.pass, Some(false));
        let lone = Figure::new("g", "n", "ms", vec![1.0]);
        assert_eq!((lone.ratio, lone.pass), (None, None));
        let no_floor = Figure::new("g", "n", "ms", vec![1.0]).target(Target::RatioAtLeast(0.3));
        assert_eq!(no_floor.pass, None);
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(num(1_234_567.4), "1,234,567");
        assert_eq!(num(123.0), "123");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(1.2345), "1.23");
        assert_eq!(num(0.01234), "0.012");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(5.0), "5");
        assert_eq!(num(-1_000.0), "-1,000");
        assert_eq!(ratio(0.5), "0.500×");
        assert_eq!(ratio(0.012), "0.0120×");
        assert_eq!(ratio(0.000_36), "0.000360×");
        assert_eq!(ratio(2.853), "2.85×");
        assert_eq!(ratio(12.0), "12.0×");
        assert_eq!(ratio(2_850.0), "2,850×");
    }
}
