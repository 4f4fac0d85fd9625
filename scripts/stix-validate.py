#!/usr/bin/env python3
"""Validates STIX 2.1 JSON files with OASIS' stix2-validator (pinned in tests/requirements.txt).

Usage: stix-validate.py FILE...   Prints the validator's report; exits 1 if any file is invalid.
Warnings (the spec's SHOULDs) are printed but do not fail, as with the validator's own CLI.
"""
import sys

try:
    from stix2validator import ValidationOptions, print_results, validate_file
except ImportError:
    sys.exit("stix2-validator is missing: run python3 -m pip install -r tests/requirements.txt")

options = ValidationOptions(version="2.1")
valid = True
for path in sys.argv[1:]:
    result = validate_file(path, options)
    print_results(result)
    warnings = [w for o in result.object_results for w in (o.warnings or [])]
    print(f"{path}: {'valid' if result.is_valid else 'INVALID'}, {len(warnings)} warnings")
    for warning in warnings:
        print(f"  warning: {warning}")
    valid = valid and result.is_valid
sys.exit(0 if valid else 1)
