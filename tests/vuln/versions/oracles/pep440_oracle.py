#!/usr/bin/python3
"""Reference for the PEP 440 differential test: python3-packaging judges every case of the
file given as argument, one "kind<TAB>a<TAB>b" line each, in this one process.

  C a b   packaging.version: -1, 0 or 1 for Version(a) vs Version(b); E if either is invalid
  R s v   SpecifierSet(s).contains(v): 1 or 0; E on any error
"""
import sys

from packaging.specifiers import SpecifierSet
from packaging.version import Version


def main(path):
    out = []
    with open(path, encoding="utf-8", newline="\n") as cases:
        for line in cases:
            kind, a, b = line.rstrip("\n").split("\t")
            try:
                if kind == "C":
                    x, y = Version(a), Version(b)
                    out.append("-1" if x < y else ("1" if x > y else "0"))
                else:
                    out.append("1" if SpecifierSet(a).contains(b) else "0")
            except Exception:  # noqa: BLE001 - any failure is "invalid" here
                out.append("E")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
