#!/usr/bin/env python3
"""Validate a DCAT-AP export against SHACL shapes with pyshacl (an independent validator).

    python3 scripts/dcat-validate.py DATA.ttl|DATA.jsonld SHAPES.ttl [SHAPES2.ttl]

No inference: the export must state every class the shapes look for. Exits 0 when there
is no sh:Violation; warnings and infos (the recommended shapes) are counted and listed
but do not fail. Exits 1 on violations, printing them, and 2 on bad input.
"""

import collections
import sys

try:
    import pyshacl
    from rdflib import RDF, Graph, Namespace
except ImportError as error:
    sys.exit(f"dcat-validate: {error}; install with: pip install pyshacl==0.40.1")

SH = Namespace("http://www.w3.org/ns/shacl#")
SHOWN_VIOLATIONS = 20


def load(path):
    graph = Graph()
    fmt = "json-ld" if path.endswith((".jsonld", ".json")) else "turtle"
    graph.parse(path, format=fmt)
    return graph


def short(term, graph):
    if term is None:
        return "-"
    try:
        return graph.namespace_manager.normalizeUri(term)
    except Exception:
        return str(term)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    try:
        data = load(argv[1])
        shapes = Graph()
        for path in argv[2:]:
            shapes.parse(path, format="turtle")
    except Exception as error:
        print(f"dcat-validate: cannot read input: {error}", file=sys.stderr)
        return 2

    _, report, _ = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        allow_warnings=True,
        meta_shacl=False,
        advanced=False,
    )

    groups = collections.Counter()
    counts = collections.Counter()
    for result in report.subjects(SH.resultSeverity, None):
        severity = short(report.value(result, SH.resultSeverity), report).replace("sh:", "")
        path = report.value(result, SH.resultPath)
        focus = report.value(result, SH.focusNode)
        classes = sorted(short(c, data) for c in data.objects(focus, RDF.type)) if focus is not None else []
        constraint = short(report.value(result, SH.sourceConstraintComponent), report)
        counts[severity] += 1
        groups[(severity, ",".join(classes) or "-", short(path, data), constraint)] += 1

    print(
        f"{len(data)} triples; violations: {counts['Violation']}, "
        f"warnings: {counts['Warning']}, infos: {counts['Info']}"
    )
    for (severity, focus_class, path, constraint), n in sorted(groups.items()):
        print(f"  {n:6d} {severity:9s} {focus_class} {path} ({constraint})")

    if counts["Violation"]:
        print(f"first {SHOWN_VIOLATIONS} violations:")
        violations = [r for r in report.subjects(SH.resultSeverity, SH.Violation)]
        for result in violations[:SHOWN_VIOLATIONS]:
            print(f"  focus:   {short(report.value(result, SH.focusNode), data)}")
            print(f"  path:    {short(report.value(result, SH.resultPath), data)}")
            print(f"  value:   {report.value(result, SH.value)!r}")
            print(f"  message: {report.value(result, SH.resultMessage)}")
            print(f"  shape:   {report.value(result, SH.sourceConstraintComponent)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
