#!/usr/bin/env python3
"""Read civitas' CKAN-compatible API with a real CKAN client and check every answer against
CKAN's response schemas.

The client is ckanapi (the CKAN project's own Python client: POST JSON to /api/action/<name>,
or GET with get_only=True); each raw response it receives is validated whole (envelope and
result) against the JSON Schemas of alphagov/ckan-functional-tests, with the same format
rules that suite uses: ids are UUIDs, CKAN's offset-less timestamps are accepted.

    pip install ckanapi==4.11 jsonschema==4.26.0
    python3 scripts/ckan-client-check.py http://127.0.0.1:8080 [--token SECRET --expect-hidden N]

Exit status 0 when every check passes; each check prints one line.
"""

import argparse
import glob
import json
import os
import re
import sys
import urllib.parse

import ckanapi
import jsonschema
import requests
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_DIRS = [
    os.path.join(ROOT, "fixtures", "ckan", "schemas"),
]
SCHEMA_BASE = "http://github.com/alphagov/ckan-functional-tests/api/"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def format_checker():
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("uuid")
    def is_uuid(value):
        return not isinstance(value, str) or bool(UUID.fullmatch(value))

    # CKAN writes UTC without an offset; the suite accepts that (it appends "Z").
    @checker.checks("date-time")
    def is_date_time(value):
        return not isinstance(value, str) or bool(DATE_TIME.fullmatch(value))

    @checker.checks("uri")
    def is_uri(value):
        if not isinstance(value, str):
            return True
        parts = urllib.parse.urlparse(value)
        return bool(parts.scheme and parts.netloc)

    return checker


def validators(schema_dir):
    schemas = {}
    for path in sorted(glob.glob(os.path.join(schema_dir, "*.schema.json"))):
        with open(path, encoding="utf-8") as f:
            schemas[os.path.basename(path)[: -len(".schema.json")]] = json.load(f)
    resources = []
    for short, schema in schemas.items():
        resource = Resource.from_contents(schema, default_specification=DRAFT7)
        # The suite's schemas refer to each other by short name ("common#/…", "package_base").
        resources += [(schema["$id"], resource), (SCHEMA_BASE + short, resource)]
    registry = Registry().with_resources(resources)
    checker = format_checker()
    return {
        name: jsonschema.Draft7Validator(schema, registry=registry, format_checker=checker)
        for name, schema in schemas.items()
    }


class Recorder:
    """Keeps the raw responses ckanapi receives, to validate what the client actually read."""

    def __init__(self):
        self.last = None

    def hook(self, response, *args, **kwargs):
        self.last = response

    def session(self):
        s = requests.Session()
        s.hooks["response"].append(self.hook)
        return s


def conforms(validators, recorder, schema, what):
    body = recorder.last.json()
    errors = sorted(validators[schema].iter_errors(body), key=lambda e: list(e.absolute_path))
    detail = "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:5]
    )
    check(not errors, f"{what} conforms to {schema}.schema.json" + (f" — {detail}" if errors else ""))
    return body


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", help="civitas' address, e.g. http://127.0.0.1:8080")
    ap.add_argument("--schemas", help="folder of *.schema.json (default: fixtures/ckan/schemas)")
    ap.add_argument("--token", help="an API token of someone who may read the catalogue")
    ap.add_argument("--expect-hidden", type=int, help="datasets the token sees and the public does not")
    ap.add_argument("--query", default="停車", help="words a dataset title holds (default 停車)")
    args = ap.parse_args()

    schema_dir = args.schemas or next((d for d in SCHEMA_DIRS if os.path.isdir(d)), SCHEMA_DIRS[0])
    v = validators(schema_dir)
    check(bool(v), f"{len(v)} schemas read from {schema_dir}")
    if not v:
        return 1

    rec = Recorder()
    ckan = ckanapi.RemoteCKAN(args.base, user_agent="civitas-ckan-client-check", session=rec.session())

    status = ckan.action.status_show()
    check(status.get("ckan_version", "").startswith("2."), f"status_show: CKAN {status.get('ckan_version')}")

    facets = ["organization", "res_format", "tags", "license_id"]
    found = ckan.call_action("package_search", {"q": args.query, "rows": 5, "facet.field": facets})
    conforms(v, rec, "package_search", f"package_search q={args.query}")
    check(found["count"] >= 1 and all(args.query in r["title"] for r in found["results"]),
          f"package_search q={args.query}: {found['count']} found, each title has the words")
    check(set(found["search_facets"]) == set(facets), "package_search: facets for every field asked")

    # Page through everything the way ckanext-harvest's CKAN harvester does.
    names, start, total = [], 0, None
    while True:
        page = ckan.call_action("package_search", {"rows": 100, "start": start, "sort": "id asc"})
        if start == 0:
            conforms(v, rec, "package_search", "package_search page 1")
            total = page["count"]
        if not page["results"]:
            break
        names += [r["name"] for r in page["results"]]
        start += 100
    check(len(names) == total and len(set(names)) == total,
          f"paging by 100 with sort=id asc: {len(names)} read of {total}, no repeats")

    listed = ckan.action.package_list()
    conforms(v, rec, "package_list", "package_list")
    check(sorted(listed) == sorted(names), f"package_list: the same {len(listed)} names as the search")

    if names:
        shown = ckan.action.package_show(id=names[0])
        conforms(v, rec, "package_show", f"package_show {names[0]}")
        check(shown["name"] == names[0], "package_show: the dataset asked for")
        by_id = ckan.action.package_show(id=shown["id"])
        check(by_id["name"] == shown["name"], "package_show: by id as well as by name")

    orgs = ckan.action.organization_list()
    conforms(v, rec, "organization_list", "organization_list")
    dicts = ckan.action.organization_list(all_fields=True, sort="package_count desc")
    conforms(v, rec, "organization_list", "organization_list all_fields")
    check(len(orgs) >= 1 and all(d["name"] in orgs for d in dicts),
          f"organization_list: {len(orgs)} names; dicts name listed organizations")
    busiest = dicts[0]["name"] if dicts else None
    if busiest:
        org = ckan.action.organization_show(id=busiest, include_datasets=True)
        conforms(v, rec, "organization_show", f"organization_show {busiest}")
        narrowed = ckan.call_action("package_search", {"fq": f"organization:{busiest}", "rows": 0})
        check(narrowed["count"] == org["package_count"] == dicts[0]["package_count"],
              f"organization {busiest}: package_count {org['package_count']} = fq organization count")

    # GET, as browsers and simple scripts call it.
    getter = ckanapi.RemoteCKAN(args.base, user_agent="civitas-ckan-client-check", get_only=True,
                                session=rec.session())
    got = getter.call_action("package_search", {"fq": "res_format:CSV", "rows": 2, "facet.field": '["res_format"]'})
    conforms(v, rec, "package_search", "package_search by GET")
    check(got["count"] >= 1 and all("CSV" in [r["format"] for r in p["resources"]] for p in got["results"]),
          f"GET fq=res_format:CSV: {got['count']} found, each with a CSV resource")

    # Errors come back as the exceptions CKAN's own would raise.
    for call, expected, what in [
        (lambda: ckan.action.package_show(id="no-such-dataset"), ckanapi.NotFound, "unknown dataset → NotFound"),
        (lambda: ckan.call_action("package_search", {"fq": "groups:x"}), ckanapi.ValidationError,
         "unsupported fq field → ValidationError"),
        (lambda: ckan.call_action("package_search", {"rows": "many"}), ckanapi.ValidationError,
         "rows=many → ValidationError"),
        (lambda: ckan.call_action("no_such_action", {}), ckanapi.CKANAPIError, "unknown action → CKANAPIError"),
    ]:
        try:
            call()
            check(False, what + " (no error)")
        except ckanapi.CKANAPIError as e:
            check(type(e) is expected, what + f" (HTTP {rec.last.status_code}: {type(e).__name__})")

    if args.token:
        staff = ckanapi.RemoteCKAN(args.base, apikey="Bearer " + args.token,
                                   user_agent="civitas-ckan-client-check", session=rec.session())
        seen = staff.call_action("package_search", {"rows": 0})["count"]
        hidden = seen - total
        check(hidden >= 0, f"a token holder sees {seen}, the public {total}")
        if args.expect_hidden is not None:
            check(hidden == args.expect_hidden, f"{hidden} dataset(s) only for staff, expected {args.expect_hidden}")

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
