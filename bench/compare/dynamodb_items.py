#!/usr/bin/env python3
"""Writes the rows of a benchmark SQLite source as DynamoDB items.

Usage: dynamodb_items.py SOURCE.db ndjson FILE
       dynamodb_items.py SOURCE.db requests DIR TABLE FILES

`ndjson`: one item per line in DynamoDB JSON, for the Node SDK loader.
`requests`: FILES files of 25 PutRequests each (the first FILES * 25 rows),
in the --request-items form of `aws dynamodb batch-write-item`.

The items are the ones `polydb copy` writes from the same rows: integers and
decimals as N with their digits, REAL as N in shortest round-trip form,
dates and timestamps as their ISO text in S, booleans as BOOL, NULL omitted.
"""

import json
import os
import sqlite3
import sys

COLUMNS = "id, qty, score, code, label, amount, day, at, flag, comment"


def item(row):
    id_, qty, score, code, label, amount, day, at, flag, comment = row
    out = {
        "id": {"N": str(id_)},
        "qty": {"N": str(qty)},
        "score": {"N": repr(float(score))},
        "code": {"S": code},
        "label": {"S": label},
        "amount": {"N": str(amount)},
        "day": {"S": day},
        "at": {"S": at},
        "flag": {"BOOL": bool(flag)},
    }
    if comment is not None:
        out["comment"] = {"S": comment}
    return out


def main():
    source, mode = sys.argv[1], sys.argv[2]
    db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    if mode == "ndjson":
        with open(sys.argv[3], "w", encoding="utf-8") as out:
            for row in db.execute(f"SELECT {COLUMNS} FROM bench_copy ORDER BY id"):
                out.write(json.dumps(item(row), ensure_ascii=False) + "\n")
    elif mode == "requests":
        directory, table, files = sys.argv[3], sys.argv[4], int(sys.argv[5])
        os.makedirs(directory, exist_ok=True)
        rows = db.execute(f"SELECT {COLUMNS} FROM bench_copy ORDER BY id LIMIT ?", (files * 25,))
        batch, k = [], 0
        for row in rows:
            batch.append({"PutRequest": {"Item": item(row)}})
            if len(batch) == 25:
                with open(os.path.join(directory, f"{k:05d}.json"), "w", encoding="utf-8") as out:
                    json.dump({table: batch}, out, ensure_ascii=False)
                batch, k = [], k + 1
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
