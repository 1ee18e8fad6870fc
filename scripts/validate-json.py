#!/usr/bin/env python3
"""Validate JSON documents against a JSON Schema with the `jsonschema` package (an
implementation independent of auditguard): validate-json.py SCHEMA FILE...

The draft is the one the schema declares ($schema; draft 4 for SARIF 2.1.0, 2020-12 for
auditguard's own, draft 7 when none is declared, as MITRE's HDF schema). Prints each error with
its JSON path; exit 0 when every file is valid, 1 when one is not, 2 on a usage error.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("validate-json: the python3 jsonschema package is not installed", file=sys.stderr)
    sys.exit(3)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    bad = 0
    for name in argv[2:]:
        with open(name, encoding="utf-8") as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:20]:
            path = "/".join(str(p) for p in e.absolute_path)
            print(f"{name}: /{path}: {e.message[:300]}")
        if errors:
            bad += 1
            print(f"{name}: {len(errors)} error(s) against {argv[1]}")
        else:
            print(f"{name}: valid against {argv[1]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
