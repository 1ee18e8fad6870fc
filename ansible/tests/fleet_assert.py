# The fleet test's checks of what the fleet playbook left on the controller (WORK/reports) after
# each stage, against auditguard run directly on each host's root. Exits 1 naming what is wrong.
#
#   python fleet_assert.py WORK BINARY check|profile ID|planned|fixed|refixed

import json
import os
import subprocess
import sys

work, binary, stage = sys.argv[1], sys.argv[2], sys.argv[3]
reports = os.path.join(work, "reports")
HOSTS = ("compliant", "failing", "broken")
problems = []


def expect(cond, what):
    if not cond:
        problems.append(what)


def load(name):
    with open(os.path.join(reports, name)) as f:
        return json.load(f)


def direct(host, *args):
    """auditguard check run by hand on the host's root: the failing ids, in order."""
    root = os.path.join(work, "roots", host)
    out = subprocess.run(
        [binary, "check", "--root", root, "--format", "json"] + list(args),
        stdout=subprocess.PIPE, check=False,
    ).stdout
    report = json.loads(out)
    return [c["id"] for c in report["controls"] if c["verdict"] in ("fail", "error")]


summary = load("summary.json")
table = open(os.path.join(reports, "summary.txt")).read()
hosts = summary["hosts"]
expect(list(hosts) == list(HOSTS), "summary hosts %s" % list(hosts))
for host in HOSTS:
    expect(os.path.exists(os.path.join(reports, host + ".json")), "no report of %s" % host)


def failing_ids(host):
    return [i["id"] for i in hosts[host]["failing"]]


def same_as_direct(*args):
    for host in HOSTS:
        want = direct(host, *args)
        got = failing_ids(host)
        expect(got == want, "%s: summary says %s fail, auditguard says %s" % (host, got, want))
        report = load(host + ".json")
        expect(report["target"] == os.path.join(work, "roots", host), "%s.json is not %s's report" % (host, host))


if stage == "check":
    same_as_direct()
    expect(hosts["compliant"]["verdict"] == "pass" and not hosts["compliant"]["failing"], "compliant does not pass")
    expect(failing_ids("failing") == ["kernel-module-loading"], "failing: %s" % failing_ids("failing"))
    reqs = dict((r["id"], r["reason"]) for r in hosts["failing"]["failing"][0]["requirements"])
    expect(sorted(reqs) == ["module-syscalls", "module-tools"], "failing's requirements %s" % sorted(reqs))
    expect("/etc/audit/rules.d/30-noise.rules:4" in reqs.get("module-syscalls", ""),
           "failing: module-syscalls does not name the never rule: %s" % reqs.get("module-syscalls"))
    expect(failing_ids("broken") == ["kernel-module-loading"], "broken: %s" % failing_ids("broken"))
    errors = hosts["broken"]["load_errors"]
    expect([(e["file"], e["line"]) for e in errors] == [("/etc/audit/rules.d/10-broken.rules", 1)],
           "broken's load errors: %s" % errors)
    reasons = " ".join(r["reason"] for r in hosts["broken"]["failing"][0]["requirements"])
    expect("the load stops at /etc/audit/rules.d/10-broken.rules:1" in reasons,
           "broken's reasons do not name the line that stops the load: %s" % reasons)
    rows = dict((line.split()[0], line.split()[1:]) for line in table.splitlines()[1:4])
    expect(rows.get("compliant", [None])[0] == "ok" and rows.get("failing", [None])[0] == "FAIL"
           and rows.get("broken", [None])[0] == "FAIL", "table rows %s" % rows)
    expect("load error at /etc/audit/rules.d/10-broken.rules:1" in table, "table lacks broken's load error")
    expect(summary["counts"] == {"hosts": 3, "compliant": 1, "not_compliant": 2, "no_report": 0, "changed": 0},
           "counts %s" % summary["counts"])
elif stage == "profile":
    same_as_direct("--profile", sys.argv[4])
    expect(len(failing_ids("failing")) > 1, "failing fails %s of the profile" % failing_ids("failing"))
    header = table.splitlines()[0].split()
    shown = set(header[3:])
    for host in HOSTS:
        expect(set(failing_ids(host)) <= shown, "%s: failing items without a column" % host)
elif stage == "planned":
    for host, changes in (("compliant", False), ("failing", True), ("broken", True)):
        fix = load(host + ".fix.json")
        expect(fix["dry_run"] is True, "%s: the fix was not a dry run" % host)
        expect(hosts[host]["changed"] is changes, "%s: changed=%s in check mode" % (host, hosts[host]["changed"]))
        expect(bool(fix["diff"]) is changes, "%s: planned diff %r" % (host, fix["diff"][:80]))
    log = open(os.path.join(work, "play.log")).read()
    expect("+-w /usr/bin/kmod -p x -k modules" in log, "--diff did not show failing's planned watch")
    expect("+# auditguard: disabled" in log, "--diff did not show broken's repair")
    # Check mode judges the hosts as they are.
    expect(failing_ids("failing") == ["kernel-module-loading"], "check mode: failing %s" % failing_ids("failing"))
elif stage in ("fixed", "refixed"):
    first = stage == "fixed"
    for host in HOSTS:
        fix = load(host + ".fix.json")
        expect(fix["dry_run"] is False, "%s: a dry run" % host)
        expect(hosts[host]["verdict"] == "pass", "%s: %s after the fix" % (host, hosts[host]["verdict"]))
        changes = first and host != "compliant"
        expect(hosts[host]["changed"] is changes, "%s: changed=%s (%s fix)" % (host, hosts[host]["changed"], stage))
    if not first:
        log = open(os.path.join(work, "play.log")).read()
        recap = [line for line in log.splitlines() if line.split(":")[0].strip() in HOSTS and "changed=" in line]
        expect(len(recap) == 3 and all("changed=0 " in line for line in recap), "second fix recap: %s" % recap)
else:
    problems.append("unknown stage %s" % stage)

if problems:
    for p in problems:
        print("FAIL: %s" % p)
    print(table)
    sys.exit(1)
