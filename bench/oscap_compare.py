"""Helper of bench/profiles-vs-oscap.sh: auditguard's JSON report against oscap's XCCDF results.

  oscap_compare.py rules AG.json XCCDF     the `--rule` arguments for the items' CaC rules
                                           that XCCDF holds
  oscap_compare.py compare AG.json RES.xml per-item agreement, with auditguard's reason for
                                           each disagreement
"""
import json
import sys
import xml.etree.ElementTree as ET

PREFIX = "xccdf_org.ssgproject.content_rule_"
XCCDF = "{http://checklists.nist.gov/xccdf/1.2}"


def cac(item):
    """The item's ComplianceAsCode rules: the benchmark's own (a STIG's XCCDF names one per
    item), else the `refs.cac` of the controls the item requires."""
    return item["item"]["refs"].get("cac") or (item.get("refs") or {}).get("cac", [])


def rules(report, xccdf):
    held = {
        r.get("id")[len(PREFIX):]
        for r in ET.parse(xccdf).iter(XCCDF + "Rule")
        if r.get("id", "").startswith(PREFIX)
    }
    ids = sorted({c for i in report["controls"] for c in cac(i)} & held)
    return " ".join("--rule " + PREFIX + r for r in ids)


def failing_reason(item):
    """auditguard's reason, down to the first failing event."""
    for req in item.get("requirements", []):
        if req["verdict"] != "fail":
            continue
        for ev in req.get("events", []):
            if ev["verdict"] == "fail":
                return "%s: %s" % (ev["event"], ev["reason"])
        return req.get("reason") or req["id"]
    return item.get("reason", "")


def compare(report, res):
    results = {}
    for rr in ET.parse(res).iter(XCCDF + "rule-result"):
        idref = rr.get("idref", "")
        if idref.startswith(PREFIX):
            results[idref[len(PREFIX):]] = rr.findtext(XCCDF + "result")
    agree = differ = 0
    apart = {}  # why an item is not comparable -> item ids
    rows = []
    for item in report["controls"]:
        ids = cac(item)
        got = [results.get(r) for r in ids]
        if item["verdict"] == "notchecked":
            apart.setdefault("manual", []).append(item["id"])
            continue
        if not ids:
            apart.setdefault("no CaC rule", []).append(item["id"])
            continue
        if any(g is None for g in got):
            missing = ",".join(r for r, g in zip(ids, got) if g is None)
            apart.setdefault("rule not in this SSG", []).append("%s (%s)" % (item["id"], missing))
            continue
        if "fail" in got:
            oscap = "fail"
        elif all(g == "pass" for g in got):
            oscap = "pass"
        else:
            odd = ",".join("%s=%s" % (r, g) for r, g in zip(ids, got) if g != "pass")
            apart.setdefault("oscap neither pass nor fail", []).append("%s (%s)" % (item["id"], odd))
            continue
        ours = "pass" if item["verdict"] in ("pass", "notapplicable") else "fail"
        if oscap == ours:
            agree += 1
            continue
        differ += 1
        why = failing_reason(item) if ours == "fail" else "passes"
        rows.append("  %s: auditguard %s (%s); oscap %s" % (
            item["id"], item["verdict"], why,
            ",".join("%s=%s" % (r, g) for r, g in zip(ids, got))))
    apart_n = sum(len(v) for v in apart.values())
    print("items: %d, compared %d: %d agree, %d differ; %d not comparable"
          % (len(report["controls"]), agree + differ, agree, differ, apart_n))
    for row in rows:
        print(row)
    for why, ids in apart.items():
        print("  not comparable, %s: %s" % (why, ", ".join(ids)))


def main():
    report = json.load(open(sys.argv[2]))
    if sys.argv[1] == "rules":
        print(rules(report, sys.argv[3]))
    elif sys.argv[1] == "compare":
        compare(report, sys.argv[3])
    else:
        sys.exit("usage: oscap_compare.py rules|compare AG.json FILE")


if __name__ == "__main__":
    main()
