#!/usr/bin/env python3
"""Condenses `polydb --format csv query --explain --analyze` (stdin) for tpch.sh:
one line per remote table access, with what was sent and what came back.

Usage: polydb --format csv query --explain --analyze ... | plan.py
"""

import csv
import sys


def main() -> int:
    rows = list(csv.DictReader(sys.stdin))
    if not rows or "table" not in rows[0]:
        sys.stdout.write("(no plan)\n")
        return 0
    for r in rows:
        table = r.get("table") or ""
        if table in ("", "NULL"):
            print(f"  {r.get('step', '')}")
            continue
        print(f"  {r.get('step', '')}")
        print(f"    {table}: {r.get('access', '')}; {r.get('strategy', '')}")
        print(f"    calls {r.get('remote_calls', '')}, rows {r.get('rows_fetched', '')}, "
              f"probes {r.get('probes', '')}, {r.get('remote_ms', '')} ms: {r.get('native', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
