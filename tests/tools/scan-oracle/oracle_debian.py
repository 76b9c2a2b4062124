#!/usr/bin/python3
"""The scan end-to-end test's oracle for Debian: which DSA/DLA entries of the security
tracker's lists apply to the packages dpkg-query lists in a root file system, for one
release, with dpkg --compare-versions deciding, never Bulkhead. An entry names a SOURCE
package and the version that fixes it in a release ("[bookworm] - openssl 3.0.11-1~deb12u2"),
or <unfixed> / <end-of-life> (affected) or <not-affected>. Prints one line per (ecosystem,
binary package, version, advisory id), tab-separated.

    oracle_debian.py ADVISORIES_DIR ROOTFS CODENAME
"""
import os
import re
import subprocess
import sys

ENTRY = re.compile(r"^\[[^\]]+\] (D[SL]A-\S+) ")
FIX = re.compile(r"^\s+\[([a-z]+)\] - (\S+) (\S+)")


def installed(rootfs):
    out = subprocess.run(
        ["dpkg-query", "--admindir", os.path.join(rootfs, "var/lib/dpkg"), "-W", "-f",
         "${db:Status-Abbrev}\t${Package}\t${Version}\t${source:Package}\t${source:Version}\n"],
        check=True, capture_output=True, text=True).stdout
    packages = []
    for line in out.splitlines():
        status, name, version, source, source_version = line.split("\t")
        if status.startswith("ii"):
            packages.append((name, version, source, source_version))
    return packages


def fixes(advisories, codename):
    """source package -> [(advisory id, fixed version or <tag>)] for the release."""
    out = {}
    for kind in ("DSA", "DLA"):
        current = None
        with open(os.path.join(advisories, "debian-security-tracker", kind, "list"), encoding="utf-8",
                  errors="replace") as f:
            for line in f:
                entry = ENTRY.match(line)
                if entry:
                    current = entry.group(1)
                    continue
                fix = FIX.match(line)
                if fix and current and fix.group(1) == codename:
                    out.setdefault(fix.group(2), []).append((current, fix.group(3)))
    return out


def lower(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0


def main():
    advisories, rootfs, codename = sys.argv[1:4]
    table = fixes(advisories, codename)
    out = set()
    for name, version, source, source_version in installed(rootfs):
        for advisory, fixed in table.get(source, []):
            if fixed == "<not-affected>":
                continue
            if fixed in ("<unfixed>", "<end-of-life>") or lower(source_version, fixed):
                out.add(f"deb\t{name}\t{version}\t{advisory}")
    sys.stdout.write("".join(line + "\n" for line in sorted(out)))


if __name__ == "__main__":
    main()
