#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: auditguard contributors
# MIT OR Apache-2.0 (see the auditguard repository)

# The module is a thin door to the auditguard binary on the managed host: it builds the
# command line, runs it, and reads auditguard's versioned JSON (schemas/check-1.json and
# schemas/fix-1.json in the auditguard repository). It judges nothing itself.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: auditguard
short_description: Check (and optionally fix) a host's Linux audit configuration with auditguard
version_added: "0.1.0"
description:
  - Runs C(auditguard check) on the managed host (or on an offline image of it with O(root))
    and reports whether the audit configuration meets the selected compliance controls, judged
    the way the host's loader (augenrules or auditctl) and kernel would apply the rules.
  - With O(fix=true), runs C(auditguard fix) first and then checks again, so the result describes
    the host as the fix left it.
  - In check mode (C(--check)) a fix is only planned (C(auditguard fix --dry-run)); nothing is
    written and nothing is loaded. C(changed) then says whether the fix would edit anything.
  - In diff mode (C(--diff)) the unified diff of the fix's edits (planned or made) is returned
    as the task's diff, followed by the permission and owner changes as C(# chmod ...) lines.
  - The auditguard binary must already be on the managed host (the C(auditguard.audit.fleet)
    role copies the static binary or installs the .deb/.rpm package).
  - Not being compliant is a result, not a failure. The task fails only when auditguard cannot
    be run or its report cannot be read.
author:
  - auditguard maintainers (!UNKNOWN)
requirements:
  - the auditguard binary on the managed host (statically linked; no other dependency)
  - root on the managed host when checking the live system (O(root) unset), to read
    C(/etc/audit) and the kernel's audit state
options:
  root:
    description:
      - Judge an offline image whose C(/) is this directory instead of the live host. Nothing
        outside the directory is read; the kernel is not consulted.
      - Unset, the live host is judged, including the running kernel's rules.
    type: path
  profile:
    description:
      - A benchmark profile (a built-in id such as C(stig-rhel9), C(cis-debian12-l2) or
        C(ssg); C(auditguard profiles) lists them) or the path of a profile file on the
        managed host.
      - Mutually exclusive with O(control).
    type: str
  control:
    description:
      - Controls to judge (C(auditguard controls) lists them). Default (neither O(profile) nor
        O(control)) is C(kernel-module-loading).
      - Mutually exclusive with O(profile).
    type: list
    elements: str
  fix:
    description:
      - Edit the audit configuration so the selected controls pass, then check again.
      - In check mode the fix is only planned.
    type: bool
    default: false
  repair:
    description:
      - With O(fix=true), also make the safe syntactic repairs of other lines that stop the load
        (tabs, CR, trailing comments; comment out duplicates and unloadable lines with a note).
    type: bool
    default: false
  load:
    description:
      - With O(fix=true), load the fixed configuration into the running kernel as the host's
        loader would. Refused with O(root) (only the host's own configuration may go into its
        kernel) and skipped in check mode.
      - auditguard never locks the kernel (C(-e 2) is only warned about) and refuses a locked
        kernel.
    type: bool
    default: false
  binary:
    description:
      - The auditguard executable on the managed host, as a path or a name looked up in
        C(PATH), C(/usr/local/bin), C(/usr/bin) and C(/usr/sbin).
    type: path
    default: auditguard
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: A fix is planned with C(auditguard fix --dry-run); nothing is written or loaded.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The unified diff of the fix's edits, planned or made.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
notes:
  - Idempotent. A second fix on a host the first fix made compliant reports C(changed=false).
  - Exit status 2 of auditguard with a readable report (for example a loader it cannot tell)
    is returned as RV(verdict=error), not as a failed task.
"""

EXAMPLES = r"""
- name: Check the kernel-module-loading control on the live host
  auditguard.audit.auditguard:
  become: true
  register: audit

- name: Check a whole STIG profile
  auditguard.audit.auditguard:
    profile: stig-rhel9
  become: true

- name: Fix the CIS audit rules, loading them into the running kernel
  auditguard.audit.auditguard:
    profile: cis-debian12
    fix: true
    load: true
  become: true

- name: Plan the fix of an offline image (nothing is written) and show the diff
  auditguard.audit.auditguard:
    root: /srv/images/web01
    fix: true
  check_mode: true
  diff: true

- name: Use a binary copied to a custom place
  auditguard.audit.auditguard:
    binary: /opt/auditguard/bin/auditguard
    control:
      - kernel-module-loading
"""

RETURN = r"""
compliant:
  description: Whether every judged item passes (or is not applicable or left to a person).
  returned: always
  type: bool
  sample: false
verdict:
  description: The overall verdict of the check (C(pass), C(fail), C(error), C(notapplicable), C(notchecked)).
  returned: always
  type: str
  sample: fail
failing:
  description: The items (controls, or a profile's items) that fail or could not be evaluated.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The control id, or the profile item's id (STIG id, CIS number, rule id).
      type: str
      sample: kernel-module-loading
    title:
      description: The item's title.
      type: str
    verdict:
      description: C(fail) or C(error).
      type: str
    reason:
      description: Why, naming the file and line on the target.
      type: str
      sample: "not met: module-syscalls, module-tools"
    refs:
      description: The item's benchmark references (V-ID, CCI, rule ids) when it has any.
      type: dict
    requirements:
      description: The item's requirements that are not met, with their ids and reasons.
      type: list
      elements: dict
  sample:
    - id: kernel-module-loading
      title: Ensure auditd collects information on kernel module loading and unloading
      verdict: fail
      reason: "not met: module-syscalls, module-tools"
report:
  description: The full JSON report of C(auditguard check --format json) (schema C(auditguard/check/1)).
  returned: always
  type: dict
fix:
  description: The full JSON report of C(auditguard fix --format json) (schema C(auditguard/fix/1)).
  returned: when O(fix=true)
  type: dict
blockers:
  description: Why the fix could not make some item pass.
  returned: when O(fix=true)
  type: list
  elements: raw
cmd:
  description: The auditguard command lines run, in order.
  returned: always
  type: list
  elements: list
load_errors:
  description: The lines where the host's loader would report an error or stop the load, with file, line and message.
  returned: always
  type: list
  elements: dict
  sample:
    - file: /etc/audit/rules.d/10-local.rules
      line: 1
      message: "Syscall name unknown: not_a_syscall"
      text: "-a always,exit -F arch=b64 -S not_a_syscall -k local"
exit_status:
  description:
    - The exit status of the check (0 compliant, 1 not compliant, 2 could not evaluate).
    - Not named C(rc), which Ansible would take for a failed task.
  returned: always
  type: int
  sample: 1
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

CHECK_SCHEMA = "auditguard/check/1"
FIX_SCHEMA = "auditguard/fix/1"
NOT_COMPLIANT = ("fail", "error")


def selection_args(params):
    """The control selection, as auditguard's options."""
    args = []
    if params["root"]:
        args += ["--root", params["root"]]
    if params["profile"]:
        args += ["--profile", params["profile"]]
    for control in params["control"] or []:
        args += ["--control", control]
    return args


def run_json(module, cmd, schema):
    """Run one auditguard command and read its JSON report (exit 0, 1 and 2 all carry one)."""
    rc, out, err = module.run_command(cmd)
    try:
        report = json.loads(out)
    except ValueError:
        report = None
    if not isinstance(report, dict) or report.get("schema") != schema:
        module.fail_json(
            msg="auditguard gave no %s report (exit status %d): %s"
            % (schema, rc, (err or out).strip()),
            cmd=cmd,
            rc=rc,
            stdout=out,
            stderr=err,
        )
    return rc, report, err


def failing_items(report):
    """The items that fail or could not be evaluated, with their ids and reasons."""
    items = []
    for control in report.get("controls", []):
        if control.get("verdict") not in NOT_COMPLIANT:
            continue
        item = {
            "id": control.get("id"),
            "title": control.get("title"),
            "verdict": control.get("verdict"),
            "reason": control.get("reason"),
        }
        if control.get("refs"):
            item["refs"] = control["refs"]
        item["requirements"] = [
            {"id": r.get("id"), "verdict": r.get("verdict"), "reason": r.get("reason")}
            for r in control.get("requirements", [])
            if r.get("verdict") in NOT_COMPLIANT
        ]
        items.append(item)
    return items


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path"),
            profile=dict(type="str"),
            control=dict(type="list", elements="str"),
            fix=dict(type="bool", default=False),
            repair=dict(type="bool", default=False),
            load=dict(type="bool", default=False),
            binary=dict(type="path", default="auditguard"),
        ),
        mutually_exclusive=[("profile", "control")],
        supports_check_mode=True,
    )
    params = module.params
    if (params["repair"] or params["load"]) and not params["fix"]:
        module.fail_json(msg="repair and load are options of a fix: set fix=true")
    if params["load"] and params["root"]:
        module.fail_json(msg="load puts this host's configuration into its kernel: not with root")

    binary = params["binary"]
    if "/" not in binary:
        binary = module.get_bin_path(
            binary, required=True, opt_dirs=["/usr/local/bin", "/usr/bin", "/usr/sbin"]
        )
    elif not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        module.fail_json(msg="no auditguard executable at %s (install it first)" % binary)
    selection = selection_args(params)
    result = dict(changed=False, cmd=[])

    if params["fix"]:
        cmd = [binary, "fix"] + selection + ["--format", "json"]
        if params["repair"]:
            cmd.append("--repair")
        if module.check_mode:
            cmd.append("--dry-run")
        elif params["load"]:
            cmd.append("--load")
        rc, fix, err = run_json(module, cmd, FIX_SCHEMA)
        result["cmd"].append(cmd)
        result["fix"] = fix
        result["blockers"] = fix.get("blockers", [])
        # Permission and owner repairs (metadata) are edits too, though they have no diff.
        edits = bool(fix.get("diff")) or bool(fix.get("steps")) or bool(fix.get("metadata"))
        loaded = (fix.get("load") or {}).get("how", "unchanged") != "unchanged"
        # A dry run changes nothing but says what a real run would change.
        result["changed"] = edits if module.check_mode else bool(fix.get("changed")) or loaded
        prepared = fix.get("diff") or ""
        for meta in fix.get("metadata") or []:
            prepared += "".join("# %s\n" % c for c in meta.get("commands", []))
        if module._diff and prepared:
            result["diff"] = dict(prepared=prepared)
        if params["load"] and not module.check_mode and err.strip():
            module.warn(err.strip())

    # The host as it is now: after the fix, or as found in check mode.
    cmd = [binary, "check"] + selection + ["--format", "json"]
    rc, report, err = run_json(module, cmd, CHECK_SCHEMA)
    result["cmd"].append(cmd)
    result["exit_status"] = rc
    result["load_errors"] = report.get("load_errors", [])
    result["report"] = report
    result["verdict"] = report.get("verdict")
    result["failing"] = failing_items(report)
    result["compliant"] = report.get("verdict") not in NOT_COMPLIANT
    module.exit_json(**result)


if __name__ == "__main__":
    main()
