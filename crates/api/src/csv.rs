//! CSV exports. Text that came from outside is neutralised against formula injection: a cell
//! starting with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'`, so a
//! spreadsheet shows it as text instead of running it.

/// Rows an export may hold at most.
pub const MAX_EXPORT_ROWS: u64 = 100_000;

/// A CSV document being written, with RFC 4180 quoting.
#[derive(Debug, Default)]
pub struct Csv {
    out: String,
}

/// One cell: text from outside (neutralised) or a value revshare formatted itself.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// Outside text: invoice numbers, customer ids, notes.
    Text(&'a str),
    /// Our own formatting: amounts, dates, ids, statuses.
    Value(&'a str),
}

impl Csv {
    /// A document with a header row.
    pub fn new(header: &[&str]) -> Self {
        let mut c = Csv::default();
        c.row(&header.iter().map(|h| Cell::Value(h)).collect::<Vec<_>>());
        c
    }

    /// Appends a row.
    pub fn row(&mut self, cells: &[Cell<'_>]) {
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            let text = match cell {
                Cell::Text(t) if t.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{t}"),
                Cell::Text(t) | Cell::Value(t) => (*t).to_owned(),
            };
            if text.contains([',', '"', '\n', '\r']) {
                self.out.push('"');
                self.out.push_str(&text.replace('"', "\"\""));
                self.out.push('"');
            } else {
                self.out.push_str(&text);
            }
        }
        self.out.push_str("\r\n");
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_quotes_escaped() {
        let mut c = Csv::new(&["a", "b", "c"]);
        c.row(&[
            Cell::Text("=HYPERLINK(\"x\")"),
            Cell::Value("-5.00"),
            Cell::Text("a,b"),
        ]);
        c.row(&[
            Cell::Text("@SUM(A1)"),
            Cell::Text("+1"),
            Cell::Text("line\nbreak"),
        ]);
        assert_eq!(
            c.finish(),
            "a,b,c\r\n\"'=HYPERLINK(\"\"x\"\")\",-5.00,\"a,b\"\r\n'@SUM(A1),'+1,\"line\nbreak\"\r\n"
        );
    }
}
