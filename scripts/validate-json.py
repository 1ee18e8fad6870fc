#!/usr/bin/env python3
"""Validate JSON documents against a JSON Schema with the `jsonschema` package (an
implementation independent of auditguard): validate-json.py SCHEMA FILE...

The draft is the one the schema declares ($schema; draft 4 for SARIF 2.1.0, 2020-12 for
auditguard's own, draft 7 when none is declared, as MITRE's HDF schema). References to other
schemas resolve to the *.json files beside SCHEMA (by file name or $id; nothing is fetched).
Prints each error with its JSON path; exit 0 when every file is valid, 1 when one is not, 2
on a usage error, 3 when the jsonschema package is missing.
"""
import glob
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    print("validate-json: the python3 jsonschema package is not installed", file=sys.stderr)
    sys.exit(3)


def siblings(path, schema):
    """The schemas beside `path`, for references between them: a `referencing` registry
    (jsonschema >= 4.18) or a RefResolver store (older, e.g. Debian 12's 4.10)."""
    docs = {}
    for other in glob.glob(os.path.join(os.path.dirname(os.path.abspath(path)), "*.json")):
        with open(other, encoding="utf-8") as f:
            doc = json.load(f)
        for key in {os.path.basename(other), doc.get("$id"), doc.get("id")} - {None}:
            docs[key] = doc
    try:
        import referencing
        import referencing.jsonschema

        default = referencing.jsonschema.specification_with(
            schema.get("$schema", "http://json-schema.org/draft-07/schema#")
        )
        registry = referencing.Registry().with_resources(
            (uri, referencing.Resource.from_contents(doc, default_specification=default))
            for uri, doc in docs.items()
        )
        return {"registry": registry}
    except ImportError:
        resolver = jsonschema.RefResolver.from_schema(schema, store=docs)
        return {"resolver": resolver}


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER, **siblings(argv[1], schema))
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
