# -*- coding: utf-8 -*-
# Copyright: auditguard contributors
# MIT OR Apache-2.0 (see the auditguard repository)

# The fleet summary: every host's auditguard result (what the auditguard module returned) in
# one document, and the same as a table for people (a row per host, a column per item that
# does not pass everywhere). Pure functions of the results; the role writes them.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SHORT = {
    "pass": "ok",
    "fail": "FAIL",
    "error": "ERROR",
    "notapplicable": "n/a",
    "notchecked": "manual",
}


def _host_entry(result, failure=None):
    if not isinstance(result, dict) or "report" not in result or failure:
        msg = "no report"
        if failure:
            msg = "no report: %s" % failure
        elif isinstance(result, dict) and result.get("msg"):
            msg = "no report: %s" % result["msg"]
        return {
            "verdict": None,
            "compliant": False,
            "changed": False,
            "failing": [],
            "items": {},
            "load_errors": [],
            "error": msg,
        }
    report = result["report"]
    entry = {
        "verdict": result.get("verdict"),
        "compliant": bool(result.get("compliant")),
        "changed": bool(result.get("changed")),
        "failing": result.get("failing", []),
        "items": dict((c.get("id"), c.get("verdict")) for c in report.get("controls", [])),
        "target": report.get("target"),
        "load_errors": [
            {"file": e.get("file"), "line": e.get("line"), "message": e.get("message")}
            for e in report.get("load_errors", [])
        ],
    }
    if "fix" in result:
        entry["fix"] = {
            "dry_run": result["fix"].get("dry_run"),
            "verdict": result["fix"].get("verdict"),
            "blockers": result.get("blockers", []),
        }
    return entry


def fleet_summary(hostvars, hosts, var="auditguard_result"):
    """The summary document of the hosts' results."""
    summary = {"schema": "auditguard/fleet/1", "hosts": {}, "items": []}
    seen = set()
    for host in hosts:
        result = hostvars[host].get(var) if host in hostvars else None
        failure = hostvars[host].get("auditguard_failure") if host in hostvars else None
        entry = _host_entry(result, failure)
        summary["hosts"][host] = entry
        for item in entry["items"]:
            if item not in seen:
                seen.add(item)
                summary["items"].append(item)
    entries = summary["hosts"].values()
    summary["counts"] = {
        "hosts": len(summary["hosts"]),
        "compliant": sum(1 for e in entries if e["compliant"]),
        "not_compliant": sum(1 for e in entries if not e["compliant"] and e["verdict"] is not None),
        "no_report": sum(1 for e in entries if e["verdict"] is None),
        "changed": sum(1 for e in entries if e["changed"]),
    }
    return summary


def fleet_table(summary):
    """The summary as text: a row per host, a column per item that does not pass everywhere,
    then each host's failing items with their reasons."""
    hosts = summary["hosts"]
    everywhere = ("pass", "notapplicable", "notchecked")
    shown = [
        i for i in summary["items"]
        if any(e["items"].get(i, "pass") not in everywhere for e in hosts.values())
    ]
    header = ["host", "verdict", "failing"] + shown
    rows = [header]
    for host, e in hosts.items():
        verdict = "NO REPORT" if e["verdict"] is None else SHORT.get(e["verdict"], e["verdict"])
        row = [host, verdict, str(len(e["failing"]))]
        row += [SHORT.get(e["items"].get(i), "-") for i in shown]
        rows.append(row)
    widths = [max(len(r[c]) for r in rows) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    hidden = len(summary["items"]) - len(shown)
    counts = summary["counts"]
    lines.append("")
    lines.append(
        "%d hosts: %d compliant, %d not compliant, %d without a report"
        % (counts["hosts"], counts["compliant"], counts["not_compliant"], counts["no_report"])
    )
    if hidden:
        lines.append("%d item(s) pass, are not applicable or manual on every host (not shown)" % hidden)
    for host, e in hosts.items():
        if e["verdict"] is None:
            lines.append("")
            lines.append("%s: %s" % (host, e.get("error", "no report")))
        elif e["failing"] or e["load_errors"]:
            lines.append("")
            lines.append("%s:" % host)
            for item in e["failing"]:
                lines.append("  %s %s: %s" % (SHORT.get(item["verdict"], item["verdict"]), item["id"], item["reason"]))
                for req in item.get("requirements", []):
                    lines.append("    %s: %s" % (req["id"], req["reason"]))
            for err in e["load_errors"]:
                lines.append("  load error at %s:%s: %s" % (err["file"], err["line"], err["message"]))
    return "\n".join(lines) + "\n"


class FilterModule(object):
    """auditguard fleet filters."""

    def filters(self):
        return {
            "fleet_summary": fleet_summary,
            "fleet_table": fleet_table,
        }
