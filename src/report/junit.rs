//! The JUnit XML rendering (`check --format junit`), for CI test dashboards: one test suite
//! per profile (or per control when no profile is named, its requirements as tests), one
//! test case per item, a `<failure>` with the reason and the lines that decide it, `<error>`
//! for what could not be evaluated, `<skipped>` for items not applicable or left to a person.
//! The running kernel, judged on the live host, is one more suite.
//!
//! Written with `quick-junit`; valid against the Jenkins/Ant `junit-10.xsd` that CI servers
//! read (`schemas/external/junit-10.xsd`, checked by `tests/report_formats.rs` with xmllint).

use crate::control::finding::Verdict;
use crate::report::bytes::text as t;
use crate::report::{failing_lines, item_label, CheckReport, ControlFinding};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

/// Render a check report as JUnit XML.
pub fn render(report: &CheckReport) -> String {
    let mut junit = Report::new(format!("auditguard check {}", report.target));
    // The time goes on each suite: junit-10.xsd allows no timestamp on <testsuites>.
    let started = chrono::DateTime::parse_from_rfc3339(&report.run.started).ok();
    let properties = properties(report);
    if let Some(p) = &report.profile {
        let mut suite = TestSuite::new(format!(
            "{} ({} {})",
            t(&p.id),
            t(&p.benchmark.publisher),
            t(&p.benchmark.version)
        ));
        suite.add_properties(properties.clone());
        if let Some(ts) = started {
            suite.set_timestamp(ts);
        }
        for c in &report.controls {
            suite.add_test_case(item_case(c, &format!("auditguard.{}", t(&p.id))));
        }
        junit.add_test_suite(suite);
    } else {
        for c in &report.controls {
            let mut suite = TestSuite::new(format!("{}: {}", t(&c.id), t(&c.title)));
            suite.add_properties(properties.clone());
            if let Some(ts) = started {
                suite.set_timestamp(ts);
            }
            if c.requirements.is_empty() {
                suite.add_test_case(item_case(c, &format!("auditguard.{}", t(&c.id))));
            }
            for r in &c.requirements {
                let mut case = TestCase::new(
                    format!("{}: {}", t(&r.id), t(&r.title)),
                    status(r.verdict, &r.reason, || {
                        let single = ControlFinding {
                            requirements: vec![r.clone()],
                            advice: Vec::new(),
                            item: None,
                            ..c.clone()
                        };
                        failing_lines(&single).join("\n")
                    }),
                );
                case.set_classname(format!("auditguard.{}", t(&c.id)));
                suite.add_test_case(case);
            }
            junit.add_test_suite(suite);
        }
    }
    if let Some(k) = &report.kernel {
        let mut suite = TestSuite::new("running kernel");
        suite.add_properties(properties.clone());
        let mut case = TestCase::new(
            "kernel: enabled, rules as configured",
            status(k.verdict, &k.reason, String::new),
        );
        case.set_classname("auditguard.kernel");
        suite.add_test_case(case);
        for c in &k.controls {
            suite.add_test_case(item_case(c, "auditguard.kernel"));
        }
        junit.add_test_suite(suite);
    }
    let xml = junit.to_string().unwrap_or_default();
    without_suites_skipped(xml, junit.skipped)
}

/// The target, machine, host name, loader and tool, as suite properties.
fn properties(report: &CheckReport) -> Vec<Property> {
    let mut p = vec![
        Property::new("target", report.target.to_string()),
        Property::new("machine", t(&report.machine)),
        Property::new("loader", t(&report.loader.mode)),
        Property::new(
            "tool",
            format!("{} {}", report.run.tool.name, report.run.tool.version),
        ),
        Property::new("started", report.run.started.clone()),
        Property::new("finished", report.run.finished.clone()),
    ];
    if let Some(h) = &report.run.hostname {
        p.push(Property::new("hostname", t(h)));
    }
    p
}

/// The test case of a control (a profile item): its id (and V-ID) and title.
fn item_case(c: &ControlFinding, classname: &str) -> TestCase {
    let mut case = TestCase::new(
        item_label(c),
        status(c.verdict, &c.reason, || failing_lines(c).join("\n")),
    );
    case.set_classname(classname.to_string());
    case
}

/// A verdict as a JUnit status: failure with the reason (and the failing lines as its
/// text), error, or skipped.
fn status(v: Verdict, reason: &str, details: impl FnOnce() -> String) -> TestCaseStatus {
    let mut s = match v {
        Verdict::Pass => return TestCaseStatus::success(),
        Verdict::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Verdict::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
        Verdict::NotApplicable | Verdict::NotChecked => TestCaseStatus::skipped(),
    };
    s.set_message(t(reason)).set_type(v.as_str());
    let body = details();
    if !body.is_empty() {
        s.set_description(body);
    }
    s
}

/// quick-junit always writes a `skipped` count on `<testsuites>`, which the common
/// `junit-10.xsd` (Jenkins, Ant) does not allow there (it allows it on each `<testsuite>`):
/// the attribute is taken out of that one start tag, nothing else is touched.
fn without_suites_skipped(xml: String, skipped: usize) -> String {
    let attr = format!(" skipped=\"{skipped}\"");
    let Some(start) = xml.find("<testsuites") else {
        return xml;
    };
    let end = xml[start..].find('>').map_or(xml.len(), |e| start + e);
    match xml[start..end].find(&attr) {
        Some(at) => {
            let at = start + at;
            format!("{}{}", &xml[..at], &xml[at + attr.len()..])
        }
        None => xml,
    }
}
