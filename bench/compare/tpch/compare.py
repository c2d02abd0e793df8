#!/usr/bin/env python3
"""Compares a query's CSV answer with the oracle's (tpch.sh).

Usage: compare.py [--unpadded COL,...] [--sorted] ORACLE_CSV ANSWER_CSV

Exit 0 when the answers are equal, 1 when they differ (what differs on
stdout: the row counts, the headers or the first differing rows, values shown
with repr() so that trailing blanks are visible), 2 on a usage or file error.

Equal means:
- the headers are equal, ignoring case;
- the same number of rows, compared in order (every multi-row query of TPC-H
  orders its rows completely), or as sorted lists with --sorted;
- each value equal as text, byte for byte, except
  - numbers (both sides): equal when they agree to 9 significant digits,
    |a - b| <= 1e-9 * max(1, |a|, |b|). PostgreSQL computes in exact numerics
    and prints up to 20 decimals; SQLite, under polydb, in doubles (SUM is
    exact). Any real difference (a row more or less, a wrong discount)
    moves a TPC-H sum or average by far more;
  - the columns named by --unpadded: the expected value is the oracle's with
    its trailing blanks removed. tpch.sh names the result columns that come
    straight from a CHAR(n) column of a table polydb reads from MariaDB: the
    oracle (PostgreSQL) pads char(n) values to n, MariaDB returns CHAR values
    without trailing blanks, and polydb shows values as the engine that holds
    them returns them (docs/query.md, "How values compare", Output). The
    answer's value must then have no trailing blank at all: a padded or a
    half-padded one differs.
"""

import argparse
import csv
import re
import sys
from decimal import Decimal, InvalidOperation

NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def number(v: str):
    if not NUMBER.match(v):
        return None
    try:
        return Decimal(v)
    except InvalidOperation:
        return None


def same_value(want: str, got: str) -> bool:
    if want == got:
        return True
    a, b = number(want), number(got)
    if a is None or b is None:
        return False
    return abs(a - b) <= Decimal("1e-9") * max(Decimal(1), abs(a), abs(b))


def read(path: str):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        sys.exit(f"{path}: empty, not even a header")
    return [h.lower() for h in rows[0]], rows[1:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unpadded", default="", help="result columns expected without trailing blanks")
    parser.add_argument("--sorted", action="store_true", help="compare the rows sorted")
    parser.add_argument("oracle")
    parser.add_argument("answer")
    args = parser.parse_args()
    try:
        header, want = read(args.oracle)
        got_header, got = read(args.answer)
    except OSError as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2

    if header != got_header:
        print(f"headers differ: oracle {header}, answer {got_header}")
        return 1
    unpadded = {c.strip().lower() for c in args.unpadded.split(",") if c.strip()}
    trim = [h in unpadded for h in header]
    want = [[v.rstrip(" ") if t else v for v, t in zip(row, trim)] for row in want]
    if args.sorted:
        want, got = sorted(want), sorted(got)

    bad = []
    for i, (w, g) in enumerate(zip(want, got)):
        if len(w) != len(g) or not all(same_value(a, b) for a, b in zip(w, g)):
            bad.append(i)
    if not bad and len(want) == len(got):
        return 0
    print(f"rows: oracle {len(want)}, answer {len(got)}; {len(bad)} of the first "
          f"{min(len(want), len(got))} differ"
          + (f" (trailing blanks removed from the oracle's {sorted(unpadded & set(header))})"
             if unpadded & set(header) else ""))
    if bad and len(want) == len(got) and sorted(want) == sorted(got):
        print("the same rows in another order")
    for i in bad[:5]:
        print(f"  row {i + 1}:")
        print(f"    oracle: {want[i]!r}")
        print(f"    answer: {got[i]!r}")
    if not bad:
        extra = want[len(got):] or got[len(want):]
        side = "oracle" if len(want) > len(got) else "answer"
        for row in extra[:3]:
            print(f"  only in the {side}: {row!r}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
