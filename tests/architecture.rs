//! The stages keep to their seams (ARCHITECTURE.md): the parser and the evaluator read
//! nothing (no `host`), the evaluator knows no transport (`kernel`), and the transport knows
//! nothing of loading (`load`). Production code only: test modules (`#[cfg(test)]` and
//! `tests.rs` files) may build targets to test against.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read source dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Lines of production code in `module` (`src/<module>/` and `src/<module>.rs`) that name
/// `crate::<forbidden>`.
fn uses(module: &str, forbidden: &str) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = sources(&src.join(module));
    let single = src.join(format!("{module}.rs"));
    if single.exists() {
        files.push(single);
    }
    assert!(!files.is_empty(), "no sources for {module}");
    let needle = format!("crate::{forbidden}");
    let mut hits = Vec::new();
    for file in files {
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read source");
        let production = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (i, line) in production.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if code.contains(&needle) {
                hits.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    hits
}

#[test]
fn parser_and_evaluator_read_nothing() {
    for module in ["syntax", "control"] {
        let hits = uses(module, "host");
        assert!(
            hits.is_empty(),
            "{module}/ imports the host:\n{}",
            hits.join("\n")
        );
    }
}

#[test]
fn evaluator_knows_no_transport_and_transport_knows_no_loading() {
    let hits = uses("control", "kernel");
    assert!(
        hits.is_empty(),
        "control/ imports kernel/:\n{}",
        hits.join("\n")
    );
    let hits = uses("kernel", "load");
    assert!(
        hits.is_empty(),
        "kernel/ imports load/:\n{}",
        hits.join("\n")
    );
    let hits = uses("kernel", "control");
    assert!(
        hits.is_empty(),
        "kernel/ imports control/:\n{}",
        hits.join("\n")
    );
}

#[test]
fn the_check_itself_finds_an_import() {
    // The scanner is not vacuous: load/ does read the target.
    assert!(!uses("load", "host").is_empty());
}
