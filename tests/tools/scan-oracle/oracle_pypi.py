#!/usr/bin/python3
"""The scan end-to-end test's oracle for Python: which PyPA advisories (OSV YAML) apply to
the distributions importlib.metadata lists, computed with python3-packaging's Version from
the advisory files, never with Bulkhead. Prints one line per (ecosystem, name, version,
advisory id), tab-separated.

    oracle_pypi.py ADVISORIES_DIR PYTHON_JSON
"""
import json
import os
import re
import sys

import yaml
from packaging.version import InvalidVersion, Version


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def in_range(version, events):
    """OSV: sort events by version ('0' first); the last one at or below decides."""
    def key(event):
        kind, value = next(iter(event.items()))
        return Version("0") if value == "0" else Version(value), kind != "introduced"
    affected = False
    for event in sorted(events, key=key):
        kind, value = next(iter(event.items()))
        bound = Version("0") if value == "0" else Version(value)
        if kind == "introduced" and version >= bound:
            affected = True
        elif kind == "fixed" and version >= bound:
            affected = False
        elif kind == "last_affected" and version > bound:
            affected = False
        elif kind == "limit" and version >= bound:
            return False
    return affected


def main():
    advisories, listing = sys.argv[1], sys.argv[2]
    installed = {}
    for dist in json.load(open(listing))["distributions"]:
        installed.setdefault(normalise(dist["name"]), set()).add((dist["name"], dist["version"]))
    out = set()
    vulns = os.path.join(advisories, "pypa-advisory-database", "vulns")
    for folder in sorted(os.listdir(vulns)):
        if normalise(folder) not in installed:
            continue
        for file in sorted(os.listdir(os.path.join(vulns, folder))):
            with open(os.path.join(vulns, folder, file)) as f:
                # BaseLoader keeps every scalar a string: an unquoted 1.10 stays 1.10.
                record = yaml.load(f, Loader=yaml.BaseLoader)
            if record.get("withdrawn"):
                continue
            for affected in record.get("affected", []):
                name = normalise(affected.get("package", {}).get("name", ""))
                for shown, raw in installed.get(name, ()):
                    try:
                        version = Version(raw)
                    except InvalidVersion:
                        continue
                    listed = any(Version(v) == version for v in affected.get("versions", [])
                                 if _valid(v))
                    ranged = any(r.get("type") == "ECOSYSTEM" and in_range(version, r.get("events", []))
                                 for r in affected.get("ranges", []))
                    if listed or ranged:
                        out.add(f"pypi\t{normalise(shown)}\t{raw}\t{record['id']}")
    sys.stdout.write("".join(line + "\n" for line in sorted(out)))


def _valid(text):
    try:
        Version(str(text))
        return True
    except InvalidVersion:
        return False


if __name__ == "__main__":
    main()
