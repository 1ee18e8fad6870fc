//! The XCCDF 1.2 rendering (`check --format xccdf`): a results document as `oscap xccdf eval
//! --results` writes one, which SCAP tools (OpenSCAP, SCAP Workbench, STIG Viewer's XCCDF
//! import) read: a `<Benchmark>` holding the rules judged (so every result's idref resolves,
//! as the XCCDF schematron demands) and the run's `<TestResult>`.
//!
//! Each item gives a `<rule-result>` per SCAP Security Guide rule that checks it
//! (`xccdf_org.ssgproject.content_rule_<id>`, from the item's `cac` references), so the
//! results line up with the SSG benchmark's own rules; an item without one gets an
//! auditguard rule id (`xccdf_auditguard_rule_<item id>`). A rule two items share takes the
//! worse result. Idents carry the CCIs (`http://cyber.mil/cci`), the STIG ID and V-ID, the
//! CIS section. Target facts: host name, scanner name and version, the root, the machine
//! and the loader. Score: the default model's share of passing rules among those judged
//! pass, fail or error (100 when none is).
//!
//! Written with quick-xml's writer (no crate models XCCDF); valid for `oscap xccdf
//! validate` (tested in `tests/report_formats.rs`).

use crate::control::finding::Verdict;
use crate::report::bytes::text as t;
use crate::report::{cac_ids, failing_lines, reference_ids, CheckReport, ControlFinding};
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use std::collections::BTreeMap;
use std::io;

/// The XCCDF 1.2 namespace.
const XCCDF_NS: &str = "http://checklists.nist.gov/xccdf/1.2";

/// The prefix of SCAP Security Guide rule ids.
pub const SSG_RULE: &str = "xccdf_org.ssgproject.content_rule_";

/// Render a check report as an XCCDF 1.2 results document (a Benchmark with the TestResult).
pub fn render(report: &CheckReport) -> String {
    finish(|w| {
        let doc = Doc::new(report);
        doc.benchmark(w, true)
    })
}

/// Render a check report as an ARF 1.1 result data stream (`check --format arf`): the
/// Benchmark as the report request, the asset (the host name, or the root), and the
/// TestResult as the report about it, as `oscap xccdf eval --results-arf` arranges them;
/// accepted by `oscap ds rds-validate`.
pub fn render_arf(report: &CheckReport) -> String {
    finish(|w| {
        let doc = Doc::new(report);
        w.create_element("arf:asset-report-collection")
            .with_attributes([
                ("xmlns:arf", ARF_NS),
                ("xmlns:core", CORE_NS),
                ("xmlns:ai", AI_NS),
            ])
            .write_inner_content(|w| {
                w.create_element("core:relationships")
                    .with_attribute(("xmlns:arfvocab", ARF_VOCAB))
                    .write_inner_content(|w| {
                        for (kind, object) in [("createdFor", "collection1"), ("isAbout", "asset0")]
                        {
                            w.create_element("core:relationship")
                                .with_attributes([
                                    ("type", format!("arfvocab:{kind}").as_str()),
                                    ("subject", "xccdf1"),
                                ])
                                .write_inner_content(|w| {
                                    text_element(w, "core:ref", &[], object)
                                })?;
                        }
                        Ok(())
                    })?;
                w.create_element("arf:report-requests")
                    .write_inner_content(|w| {
                        w.create_element("arf:report-request")
                            .with_attribute(("id", "collection1"))
                            .write_inner_content(|w| {
                                w.create_element("arf:content")
                                    .write_inner_content(|w| doc.benchmark(w, false))?;
                                Ok(())
                            })?;
                        Ok(())
                    })?;
                w.create_element("arf:assets").write_inner_content(|w| {
                    w.create_element("arf:asset")
                        .with_attribute(("id", "asset0"))
                        .write_inner_content(|w| {
                            // The host name when there is one (AI's pattern: labels of
                            // word characters and dashes); an image without one is a
                            // device without identifiers (its root is in the TestResult).
                            let host = report.run.hostname.as_deref().filter(|h| {
                                h.split('.').all(|l| {
                                    !l.is_empty()
                                        && l.chars().all(|c| {
                                            c.is_ascii_alphanumeric() || c == '_' || c == '-'
                                        })
                                })
                            });
                            match host {
                                Some(h) => w
                                    .create_element("ai:computing-device")
                                    .write_inner_content(|w| {
                                        text_element(w, "ai:hostname", &[], h)
                                    })?,
                                None => w.create_element("ai:computing-device").write_empty()?,
                            };
                            Ok(())
                        })?;
                    Ok(())
                })?;
                w.create_element("arf:reports").write_inner_content(|w| {
                    w.create_element("arf:report")
                        .with_attribute(("id", "xccdf1"))
                        .write_inner_content(|w| {
                            w.create_element("arf:content")
                                .write_inner_content(|w| doc.test_result(w, true))?;
                            Ok(())
                        })?;
                    Ok(())
                })?;
                Ok(())
            })?;
        Ok(())
    })
}

/// ARF 1.1 and its companions' namespaces.
const ARF_NS: &str = "http://scap.nist.gov/schema/asset-reporting-format/1.1";
const CORE_NS: &str = "http://scap.nist.gov/schema/reporting-core/1.1";
const AI_NS: &str = "http://scap.nist.gov/schema/asset-identification/1.1";
const ARF_VOCAB: &str = "http://scap.nist.gov/specifications/arf/vocabulary/relationships/1.0#";

/// An indented XML document with its declaration.
fn finish(body: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail.
    let _ = w
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|()| body(&mut w));
    let mut out = String::from_utf8(w.into_inner()).unwrap_or_default();
    out.push('\n');
    out
}

/// One rule's result, merged over the items that name it.
struct RuleResult<'a> {
    verdict: Verdict,
    severity: Option<&'a str>,
    items: Vec<&'a ControlFinding>,
}

/// What the XCCDF documents are written from.
struct Doc<'a> {
    report: &'a CheckReport,
    results: BTreeMap<String, RuleResult<'a>>,
    run_id: &'a str,
    title: String,
    version: String,
    benchmark_id: String,
    profile_id: String,
}

impl<'a> Doc<'a> {
    fn new(report: &'a CheckReport) -> Doc<'a> {
        let run_id = report.profile.as_ref().map_or("check", |p| p.id.as_str());
        let (title, version) = match &report.profile {
            Some(p) => (
                format!(
                    "{} ({} {}), as auditguard judges it",
                    t(&p.title),
                    t(&p.benchmark.publisher),
                    t(&p.benchmark.version)
                ),
                format!("{} {}", t(&p.benchmark.publisher), t(&p.benchmark.version)),
            ),
            None => (
                "auditguard controls".to_string(),
                report.run.tool.version.to_string(),
            ),
        };
        Doc {
            report,
            results: rule_results(report),
            run_id,
            title,
            version,
            benchmark_id: format!("xccdf_auditguard_benchmark_{}", ncname(run_id)),
            profile_id: format!("xccdf_auditguard_profile_{}", ncname(run_id)),
        }
    }

    /// The target as the documents name it: its host name, else the root.
    fn target_name(&self) -> String {
        self.report
            .run
            .hostname
            .clone()
            .unwrap_or_else(|| self.report.target.to_string())
    }

    /// The Benchmark: the judged rules, and (`with_results`) the TestResult inside it.
    fn benchmark(&self, w: &mut Writer<Vec<u8>>, with_results: bool) -> io::Result<()> {
        let report = self.report;
        w.create_element("Benchmark")
            .with_attributes([
                ("xmlns", XCCDF_NS),
                ("id", self.benchmark_id.as_str()),
                ("resolved", "1"),
                ("xml:lang", "en-US"),
            ])
            .write_inner_content(|w| {
                text_element(w, "status", &[], "accepted")?;
                text_element(w, "title", &[], &self.title)?;
                text_element(
                    w,
                    "description",
                    &[],
                    "The items auditguard judged, each under the SCAP Security Guide rules \
                     that check it (or an auditguard rule id), and the results of this run.",
                )?;
                text_element(w, "version", &[], &self.version)?;
                w.create_element("metadata").write_inner_content(|w| {
                    text_element(
                        w,
                        "dc:creator",
                        &[("xmlns:dc", "http://purl.org/dc/elements/1.1/")],
                        &format!("{} {}", report.run.tool.name, report.run.tool.version),
                    )
                })?;
                w.create_element("Profile")
                    .with_attribute(("id", self.profile_id.as_str()))
                    .write_inner_content(|w| {
                        text_element(w, "title", &[], &self.title)?;
                        for idref in self.results.keys() {
                            w.create_element("select")
                                .with_attributes([("idref", idref.as_str()), ("selected", "true")])
                                .write_empty()?;
                        }
                        Ok(())
                    })?;
                for (idref, r) in &self.results {
                    Self::rule(w, idref, r)?;
                }
                if with_results {
                    self.test_result(w, false)?;
                }
                Ok(())
            })?;
        Ok(())
    }

    /// The rule a result refers to: its title and idents.
    fn rule(w: &mut Writer<Vec<u8>>, idref: &str, r: &RuleResult) -> io::Result<()> {
        w.create_element("Rule")
            .with_attributes([
                ("id", idref),
                ("selected", "true"),
                ("severity", severity(r.severity)),
            ])
            .write_inner_content(|w| {
                let titles: Vec<String> =
                    r.items.iter().map(|c| t(&c.title).into_owned()).collect();
                text_element(w, "title", &[], &titles.join("; "))?;
                idents(w, r)
            })?;
        Ok(())
    }

    /// The TestResult (`standalone`: with its own namespace declaration, as in ARF).
    fn test_result(&self, w: &mut Writer<Vec<u8>>, standalone: bool) -> io::Result<()> {
        let (report, results) = (self.report, &self.results);
        let (run_id, benchmark_id, profile_id) = (
            self.run_id,
            self.benchmark_id.as_str(),
            self.profile_id.as_str(),
        );
        let id = format!("xccdf_auditguard_testresult_{}", ncname(run_id));
        let tool = format!("{} {}", report.run.tool.name, report.run.tool.version);
        let mut attrs = vec![];
        if standalone {
            attrs.push(("xmlns", XCCDF_NS));
        }
        w.create_element("TestResult")
            .with_attributes(attrs)
            .with_attributes([
                ("id", id.as_str()),
                ("start-time", report.run.started.as_str()),
                ("end-time", report.run.finished.as_str()),
                ("test-system", tool.as_str()),
                ("version", report.run.tool.version),
            ])
            .write_inner_content(|w| {
                w.create_element("benchmark")
                    .with_attributes([
                        ("href", format!("#{benchmark_id}").as_str()),
                        ("id", benchmark_id),
                    ])
                    .write_empty()?;
                text_element(
                    w,
                    "title",
                    &[],
                    &format!("auditguard check of {}", report.target),
                )?;
                w.create_element("profile")
                    .with_attribute(("idref", profile_id))
                    .write_empty()?;
                text_element(w, "target", &[], &self.target_name())?;
                w.create_element("target-facts").write_inner_content(|w| {
                    let mut fact = |name: &str, value: &str| {
                        text_element(w, "fact", &[("name", name), ("type", "string")], value)
                    };
                    fact("urn:xccdf:fact:scanner:name", report.run.tool.name)?;
                    fact("urn:xccdf:fact:scanner:version", report.run.tool.version)?;
                    if let Some(h) = &report.run.hostname {
                        fact("urn:xccdf:fact:asset:identifier:host_name", h)?;
                    }
                    fact("urn:auditguard:fact:target", &report.target.to_string())?;
                    fact("urn:auditguard:fact:machine", &report.machine)?;
                    fact("urn:auditguard:fact:loader", &report.loader.mode)?;
                    Ok(())
                })?;
                for (idref, r) in results {
                    rule_result(w, idref, r, &report.run.finished)?;
                }
                let judged = results
                    .values()
                    .filter(|r| matches!(r.verdict, Verdict::Pass | Verdict::Fail | Verdict::Error))
                    .count();
                let passed = results
                    .values()
                    .filter(|r| r.verdict == Verdict::Pass)
                    .count();
                let score = if judged == 0 {
                    100.0
                } else {
                    100.0 * passed as f64 / judged as f64
                };
                text_element(
                    w,
                    "score",
                    &[("system", "urn:xccdf:scoring:default"), ("maximum", "100")],
                    &format!("{score:.2}"),
                )?;
                Ok(())
            })?;
        Ok(())
    }
}

/// An XCCDF severity.
fn severity(s: Option<&str>) -> &str {
    match s {
        Some(s @ ("low" | "medium" | "high" | "info")) => s,
        _ => "unknown",
    }
}

/// The idents of a rule's items (CCIs, STIG ID, V-ID, STIG rule id, CIS section), each once.
fn idents(w: &mut Writer<Vec<u8>>, r: &RuleResult) -> io::Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for c in &r.items {
        for (kind, id) in reference_ids(c) {
            let system = match kind {
                "cci" => "http://cyber.mil/cci",
                "stig_id" => "https://public.cyber.mil/stigs/stig-id",
                "vuln" => "https://public.cyber.mil/stigs/vuln-id",
                "stig_rule" => "https://public.cyber.mil/stigs/rule-id",
                "cis" => "https://www.cisecurity.org/benchmark/section",
                _ => continue,
            };
            if seen.insert((system, id.clone())) {
                text_element(w, "ident", &[("system", system)], &id)?;
            }
        }
    }
    Ok(())
}

/// The rule results by idref (in order of the idrefs), each item under every SSG rule it
/// names, or its own.
fn rule_results(report: &CheckReport) -> BTreeMap<String, RuleResult<'_>> {
    let mut results: BTreeMap<String, RuleResult> = BTreeMap::new();
    for c in &report.controls {
        let cac = cac_ids(c);
        let idrefs: Vec<String> = if cac.is_empty() {
            vec![format!("xccdf_auditguard_rule_{}", ncname(&c.id))]
        } else {
            cac.iter()
                .map(|id| format!("{SSG_RULE}{}", ncname(id)))
                .collect()
        };
        let severity = c
            .item
            .as_ref()
            .and_then(|i| i.severity.as_deref())
            .or(c.severity.as_deref());
        for idref in idrefs {
            let r = results.entry(idref).or_insert(RuleResult {
                verdict: c.verdict,
                severity,
                items: Vec::new(),
            });
            r.verdict = r.verdict.worst(c.verdict);
            r.items.push(c);
        }
    }
    results
}

fn rule_result(w: &mut Writer<Vec<u8>>, idref: &str, r: &RuleResult, time: &str) -> io::Result<()> {
    w.create_element("rule-result")
        .with_attributes([
            ("idref", idref),
            ("time", time),
            ("severity", severity(r.severity)),
        ])
        .write_inner_content(|w| {
            text_element(w, "result", &[], result(r.verdict))?;
            idents(w, r)?;
            for c in &r.items {
                let mut message = format!("{}: {}", t(&c.id), t(&c.reason));
                if c.verdict > Verdict::NotChecked {
                    for line in failing_lines(c) {
                        message.push('\n');
                        message.push_str(&line);
                    }
                }
                let severity = if c.verdict > Verdict::NotChecked {
                    "warning"
                } else {
                    "info"
                };
                text_element(w, "message", &[("severity", severity)], &message)?;
            }
            Ok(())
        })?;
    Ok(())
}

/// A verdict as an XCCDF result.
fn result(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Error => "error",
        Verdict::NotApplicable => "notapplicable",
        Verdict::NotChecked => "notchecked",
    }
}

/// An element with attributes and text (characters XML 1.0 cannot carry removed).
fn text_element(
    w: &mut Writer<Vec<u8>>,
    name: &str,
    attrs: &[(&str, &str)],
    text: &str,
) -> io::Result<()> {
    let text = xml_chars(text);
    w.create_element(name)
        .with_attributes(attrs.iter().copied())
        .write_text_content(BytesText::new(&text))?;
    Ok(())
}

/// The characters XML 1.0 allows (the text renderings already escape control characters;
/// this is the last guard).
pub fn xml_chars(s: &str) -> String {
    s.chars()
        .filter(|&c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
        .collect()
}

/// An id as the tail of an XCCDF id (an NCName): letters, digits, `.`, `-` and `_` kept,
/// anything else as `_`.
fn ncname(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
