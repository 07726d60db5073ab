//! Reading the TAP lines the suites print, and the tally.

/// What one line says.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// `ok N - name`.
    Pass,
    /// `not ok N - name`.
    Fail,
    /// `ok N - name # SKIP reason`: neither passed nor failed.
    Skip,
    /// `1..N`.
    Plan(usize),
    /// Anything else (diagnostics).
    Other,
}

/// Classifies one line of TAP.
pub fn classify(line: &str) -> Line {
    let line = line.trim_end();
    if let Some(count) = line.strip_prefix("1..") {
        if let Ok(n) = count.trim().parse() {
            return Line::Plan(n);
        }
    }
    if line.starts_with("not ok") {
        return Line::Fail;
    }
    if line == "ok" || line.starts_with("ok ") {
        let directive = line
            .split_once('#')
            .map(|(_, d)| d.trim_start().to_ascii_uppercase());
        if directive.is_some_and(|d| d.starts_with("SKIP")) {
            return Line::Skip;
        }
        return Line::Pass;
    }
    Line::Other
}

/// Counts of results.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Passed results.
    pub passed: usize,
    /// Failed results.
    pub failed: usize,
    /// Skipped results.
    pub skipped: usize,
}

impl Tally {
    /// Adds one classified line.
    pub fn add(&mut self, line: &Line) {
        match line {
            Line::Pass => self.passed += 1,
            Line::Fail => self.failed += 1,
            Line::Skip => self.skipped += 1,
            Line::Plan(_) | Line::Other => {}
        }
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }

    /// Results seen.
    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped
    }

    /// The closing line.
    pub fn summary(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// The tally of a suite's lines, and its plan if it printed one.
pub fn tally(lines: &[String]) -> (Tally, Option<usize>) {
    let mut t = Tally::default();
    let mut plan = None;
    for line in lines {
        let line = classify(line);
        if let Line::Plan(n) = line {
            plan = Some(n);
        }
        t.add(&line);
    }
    (t, plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_lines() {
        assert_eq!(classify("ok 1 - wait returns true"), Line::Pass);
        assert_eq!(classify("not ok 2 - wait times out"), Line::Fail);
        assert_eq!(
            classify("ok 3 - thread stop # SKIP needs Lunatik"),
            Line::Skip
        );
        assert_eq!(
            classify("ok 3 - thread stop # skip needs Lunatik"),
            Line::Skip
        );
        assert_eq!(classify("ok 4 - C# names are fine"), Line::Pass);
        assert_eq!(classify("1..12"), Line::Plan(12));
        assert_eq!(classify("# diagnostics"), Line::Other);
        assert_eq!(classify("okay"), Line::Other);
    }

    #[test]
    fn tallies_and_summarises() {
        let lines: Vec<String> = [
            "ok 1 - a",
            "not ok 2 - b",
            "ok 3 - c # SKIP x",
            "# d",
            "1..3",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (t, plan) = tally(&lines);
        assert_eq!(
            t,
            Tally {
                passed: 1,
                failed: 1,
                skipped: 1
            }
        );
        assert_eq!(plan, Some(3));
        assert_eq!(t.total(), 3);
        assert_eq!(t.summary(), "1 passed, 1 failed, 1 skipped");
    }
}
