//! The Lua contract suite: runs every `tests/lua/*.lua` against the userspace build of the
//! binding, prints every result line, and closes with "N passed, N failed, N skipped".
//! Fails if any result failed or none passed.
//!
//! Besides each suite's own results, the runner adds one result per suite: that the suite
//! ran to its end with as many results as it planned, left no worker running, and that
//! after its states were closed no object and no module reference remained.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use luasync_host::harness::{self, tap};

fn suites() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(harness::lua_dir())
        .map(|dir| {
            dir.filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "lua"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// A suite still running after this long is reported as hung and the run fails. This only
/// turns a hang into a failure; no result depends on how long anything took.
const HANG: Duration = Duration::from_secs(300);

/// Fails the whole run if a suite does not finish.
fn watchdog(name: String) -> mpsc::Sender<()> {
    let (done, finished) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(HANG) {
            println!(
                "not ok - {name}: still running after {} s (hung)",
                HANG.as_secs()
            );
            println!("0 passed, 1 failed, 0 skipped");
            std::process::exit(1);
        }
    });
    done
}

fn main() -> ExitCode {
    let mut total = tap::Tally::default();
    let files = suites();
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("# {name}");
        let done = watchdog(name.clone());
        let outcome = harness::run_suite(file);
        let _ = done.send(());
        let (mut t, plan) = tap::tally(&outcome.lines);
        let mut problems = Vec::new();
        if let Some(error) = &outcome.died {
            problems.push(format!("died: {error}"));
        }
        if plan != Some(t.total()) {
            problems.push(format!("planned {plan:?} results, printed {}", t.total()));
        }
        if outcome.leftover_workers > 0 {
            problems.push(format!(
                "{} worker(s) still running at the end",
                outcome.leftover_workers
            ));
        }
        if outcome.live_objects > 0 || outcome.module_refs > 0 {
            problems.push(format!(
                "{} object(s) and {} module reference(s) left after closing",
                outcome.live_objects, outcome.module_refs
            ));
        }
        if problems.is_empty() {
            println!("ok - {name}: complete, no worker left, every object released");
            t.passed += 1;
        } else {
            for problem in &problems {
                println!("not ok - {name}: {problem}");
            }
            t.failed += 1;
        }
        total.merge(t);
    }
    if files.is_empty() {
        println!(
            "not ok - no suite found in {}",
            harness::lua_dir().display()
        );
        total.failed += 1;
    }
    println!("{}", total.summary());
    if total.failed > 0 || total.passed == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
