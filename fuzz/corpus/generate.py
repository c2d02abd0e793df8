#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into fuzz/corpus/<target>/.

Deterministic (fixed seeds, fixed texts): rerunning it rewrites the same
files. Files named seed-* are generated here; other files in the corpus
directories (crash-*, regression inputs) are kept by hand and left alone.

    fuzz/corpus/generate.py
"""
import json
import os
import random
import struct
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, items):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if name.startswith("seed-"):
            os.remove(os.path.join(d, name))
    for i, data in enumerate(items):
        if isinstance(data, str):
            data = data.encode()
        assert len(data) <= 64 * 1024
        with open(os.path.join(d, f"seed-{i:03d}"), "wb") as f:
            f.write(data)


# ---- uri ---------------------------------------------------------------------
URIS = [
    "postgresql://app@127.0.0.1:55432/shop",
    "postgres://app:s3cret@localhost/shop?sslmode=require&application_name=polydb",
    "postgresql://app:p%40ss%2Fw%3Fd@[::1]:5432/shop?read-timeout=30",
    "postgresql://[fe80::1%25eth0]:5432/db",
    "sqlite:///data/orders.db",
    "sqlite::memory:",
    "sqlite:relative/x.db?mode=ro",
    "sqlite:///tmp/a%20b.db#frag",
    "mysql://root@127.0.0.1:3306/test?tinyint1-as-boolean=false&zero-date=null",
    "mariadb://u:pw@h:3307/db?ssl-mode=REQUIRED&SSL_CA=/etc/ca.pem",
    "dynamodb://us-east-1?endpoint=http://127.0.0.1:8000&access-key-id=AKID&secret-access-key=abc",
    "dynamodb://eu-west-1?sets=tags:SS,nums:NS&consistent-read=true",
    "cosmos://localhost:8081/db?endpoint=https://127.0.0.1:8081&key=C2y6yDjf5%2FR%2Bob0N8A7Cgv30VRDJIWEHLM%2B4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw%2FJw%3D%3D",
    "firestore://demo-project/(default)?emulator=127.0.0.1:8080",
    "odbc://?dsn=PG&connection-string=Driver%3D%7BPostgreSQL%7D%3BPWD%3Dx%3B",
    "sqlserver://sa:Passw0rd!@127.0.0.1:1433/master?encrypt=yes",
    "s3://bucket/prefix?endpoint=http://u:p@127.0.0.1:4568",
    "postgresql://user@host:65535",
    "postgresql://user@host:0",
    "postgresql://host:99999/db",
    "postgresql://a b@host/db",
    "postgresql://user:pa/ss@host/db",
    "postgresql://[::1/db",
    "orders.db",
    "",
    "x:",
    "X-Y+z.1://h",
    "postgresql://h/db?k&k=1&k=2&=v",
    "postgresql://h/db?token=abc&api_key=def&partition-key=id",
    "postgresql://%41pp@h/%64b?%6B=%76#%66",
    "sqlite:%2F%2Fnot-authority",
    "mysql://u@h/db?password=x%26y",
]

# ---- config ------------------------------------------------------------------
CONFIGS = [
    "connections:\n  shop: postgresql://app@127.0.0.1:55432/shop\n",
    """connections:
  orders:
    url: sqlite:///data/orders.db
    password: ${FUZZ_PASSWORD}
    options:
      sslmode: require
defaults:
  format: table
  batch_size: 10000
log:
  level: info
""",
    "connections:\n  a: ${FUZZ_URL}\n  b: postgresql://${FUZZ_USER}:${FUZZ_PASSWORD}@${FUZZ_HOST}:${FUZZ_PORT}/db\n",
    "connections:\n  a: ${UNSET_VARIABLE_XYZ:-sqlite::memory:}\n",
    "connections:\n  a: sqlite:///x.db?note=$$HOME\n",
    "connections:\n  a: ${FUZZ_EMPTY:-${FUZZ_URL}}\n",
    "connections:\n  a: ${FUZZ_DOLLAR}\n  b: ${FUZZ_NESTED}\n",
    "connections:\n  a: sqlite:///x.db\n  a: sqlite:///y.db\n",
    "connections:\n  bad name: sqlite:///x.db\n",
    "connections:\n  a:\n    url: [1, 2]\n",
    "connections:\n  a:\n    url: sqlite:///x.db\n    unknown: 1\n",
    "defaults:\n  format: csv\n  batch_size: 0\n",
    "defaults:\n  format: xml\n",
    "defaults:\n  batch_size: 99999999999999999999999\n",
    "log:\n  level: TRACE\n",
    "log: [a, b]\n",
    "- a\n- b\n",
    "",
    "{}",
    "connections: {a: 'mysql://u:p@h/db', b: \"dynamodb://us-east-1?endpoint=http://127.0.0.1:8000\"}\n",
    "connections:\n  a: &x sqlite:///a.db\n  b: *x\n",
    "connections:\n  a: !!str sqlite:///a.db\n",
    "connections:\n  a: |\n    sqlite:///a.db\n",
    "connections:\n  a:\n    url: postgresql://h/db\n    options:\n      password: ${FUZZ_PASSWORD}\n      token: t\n",
    "connections:\n  a: ${\n",
    "connections:\n  a: ${A:-${B:-${C:-sqlite::memory:}}}\n",
    "\t- bad indent\n",
    "connections:\n  ? complex key\n  : sqlite:///a.db\n",
]

# ---- filter ------------------------------------------------------------------
FILTERS = [
    "qty > 5",
    "qty > 5 AND status IN ('new', 'paid')",
    "a = 1 OR b = 2 AND NOT c = 3",
    "(a = 1 OR b = 2) AND c <> 'x'",
    "name = 'O''Brien'",
    "x IS NULL",
    "x IS NOT NULL AND y IS NULL",
    "x NOT IN (1, 2, 3)",
    "\"quoted col\" = 1",
    "`back``tick` >= -1.5e3",
    "t.col <= 12.50",
    "flag = TRUE OR flag = false",
    "v != NULL",
    "v == 1",
    "d = '2024-01-31'",
    "ts > '2024-01-31 12:34:56.123456'",
    "u = '123e4567-e89b-12d3-a456-426614174000'",
    "n = 99999999999999999999999999999999",
    "n = -9223372036854775808",
    "f = 1e308 OR f = -1e-308",
    "NOT (a = 1)",
    "((((a = 1))))",
    "a IN ()",
    "a = ",
    "a = 'unterminated",
    "= 1",
    "a b = 1",
    "é = 'ü'",
    "a = 1 AND",
    "NOT NOT NOT a IS NULL",
    "a IN (NULL, 1, 'x', TRUE, 2.5)",
    "a = +5",
    "a = 1.",
    "a = .5",
    "a < 1e",
]

# ---- pg_copy -----------------------------------------------------------------
# Codec selectors as in pg_copy_fuzz.cpp's kScalars (index) and arrays (>= 20).
C = {n: i for i, n in enumerate(
    ["boolean", "int2", "int4", "int8", "oid", "float4", "float8", "numeric", "text", "json",
     "jsonb", "bytea", "date", "time", "timetz", "timestamp", "timestamptz", "interval", "uuid",
     "unsupported"])}
HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)


def field(b):
    return struct.pack(">i", -1) if b is None else struct.pack(">i", len(b)) + b


def numeric(text):
    neg = text.startswith("-")
    text = text.lstrip("-")
    ip, _, fp = text.partition(".")
    ip = ip.lstrip("0")
    ip4 = "0" * ((4 - len(ip) % 4) % 4) + ip
    fp4 = fp + "0" * ((4 - len(fp) % 4) % 4)
    groups = [int(ip4[i:i + 4]) for i in range(0, len(ip4), 4)] + \
             [int(fp4[i:i + 4]) for i in range(0, len(fp4), 4)]
    weight = len(ip4) // 4 - 1
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight, neg = 0, False
    return struct.pack(">hhHH", len(groups), weight, 0x4000 if neg else 0, len(fp)) + \
        b"".join(struct.pack(">H", g) for g in groups)


def array(elem_oid, elems, dims=None):
    dims = dims or [len(elems)]
    out = struct.pack(">iii", len(dims), int(any(e is None for e in elems)), elem_oid)
    for d in dims:
        out += struct.pack(">ii", d, 1)
    return out + b"".join(field(e) for e in elems)


SAMPLES = {
    "boolean": [b"\x01", b"\x00"],
    "int2": [struct.pack(">h", -32768), struct.pack(">h", 7)],
    "int4": [struct.pack(">i", 2**31 - 1), struct.pack(">i", -1)],
    "int8": [struct.pack(">q", -2**63), struct.pack(">q", 42)],
    "oid": [struct.pack(">I", 2**32 - 1)],
    "float4": [struct.pack(">f", 1.1), struct.pack(">I", 0x7FC00000)],
    "float8": [struct.pack(">d", -0.0), struct.pack(">d", float("inf"))],
    "numeric": [numeric("123.4500"), numeric("-0.001"), numeric("100000000"),
                struct.pack(">hhHH", 0, 0, 0xC000, 0)],
    "text": ["héllo".encode(), b""],
    "json": [b'{"a": [1, 2]}'],
    "jsonb": [b'\x01{"a": [1, 2], "b": null}', b"\x01[]"],
    "bytea": [b"\x00\x01\xff"],
    "date": [struct.pack(">i", 8796), struct.pack(">i", 2**31 - 1), struct.pack(">i", -2**31)],
    "time": [struct.pack(">q", 45296123456), struct.pack(">q", 86400000000)],
    "timetz": [struct.pack(">qi", 45296000000, -7200), struct.pack(">qi", 0, 19800)],
    "timestamp": [struct.pack(">q", 761228096123456), struct.pack(">q", 2**63 - 1)],
    "timestamptz": [struct.pack(">q", -946684800000000), struct.pack(">q", -2**63)],
    "interval": [struct.pack(">qii", 14706000000, 3, 14), struct.pack(">qii", -1, -1, -1)],
    "uuid": [uuid.UUID("123e4567-e89b-12d3-a456-426614174000").bytes],
}


def copy_input(codecs, rows, header=True, trailer=True, elem=None):
    sel = bytes(C[c] if c != "array" else 20 + C[elem] for c in codecs)
    out = bytes([(len(codecs) - 1) | (0x80 if header else 0)]) + sel
    if header:
        out += HEADER
    for row in rows:
        out += struct.pack(">h", len(row)) + b"".join(field(v) for v in row)
    if trailer:
        out += struct.pack(">h", -1)
    return out


def pg_copy_seeds():
    seeds = []
    for name, values in SAMPLES.items():
        seeds.append(copy_input([name], [[v] for v in values] + [[None]]))
    seeds.append(copy_input(["int4", "text", "numeric"],
                            [[SAMPLES["int4"][0], b"a", numeric("1.5")],
                             [None, None, None]]))
    seeds.append(copy_input(["int8", "timestamptz", "jsonb", "uuid", "bytea", "boolean"],
                            [[SAMPLES["int8"][1], SAMPLES["timestamptz"][0], SAMPLES["jsonb"][0],
                              SAMPLES["uuid"][0], b"x", b"\x01"]], header=False))
    seeds.append(copy_input(["array"], [[array(23, [struct.pack(">i", 1), None,
                                                    struct.pack(">i", 3)])]], elem="int4"))
    seeds.append(copy_input(["array"], [[array(25, [b"a", b"b", b"c", b"d"], [2, 2])]],
                            elem="text"))
    seeds.append(copy_input(["array"], [[struct.pack(">iii", 0, 0, 1700)]], elem="numeric"))
    seeds.append(copy_input(["array"], [[array(1700, [numeric("1.25"), numeric("-3")])]],
                            elem="numeric"))
    seeds.append(copy_input(["text"], [[b"cut"]], trailer=False)[:-2])
    seeds.append(copy_input(["text", "text"], [[b"a"]]))  # wrong field count
    seeds.append(bytes([0x80, C["text"]]) + b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 4) +
                 b"extn" + struct.pack(">hi", 1, 1) + b"z" + struct.pack(">h", -1))
    seeds.append(bytes([0x80, C["int4"]]) + b"NOTCOPY\xff\r\n\x00" + b"\x00" * 8)
    return seeds


# ---- mysql -------------------------------------------------------------------
def mysql_seeds():
    rng = random.Random(24)
    texts = ["2024-01-31", "2024-01-31 12:34:56.123456", "12:34:56", "-838:59:59", "0000-00-00",
             "18446744073709551615", "-9223372036854775808", "123.4500", "1e308", "nan",
             "123e4567-e89b-12d3-a456-426614174000", '{"a": [1, 2]}', "\\x0a0b", "true", "",
             "héllo\twörld\n", "\x00\x01\x02", "2024-02-30", "9999-12-31 23:59:59.999999"]
    seeds = []
    for t in texts:
        # FuzzedDataProvider: strings come from the front, numbers and flags from the back.
        meta = bytes(rng.randrange(256) for _ in range(48))
        seeds.append(b"bigint\\\\decimal(12,2)\\\\" + t.encode() + meta)
        seeds.append(t.encode() + meta)
    return seeds


# ---- dynamodb / cosmos / firestore -------------------------------------------
def dynamodb_seeds():
    item = {"pk": {"S": "p1"}, "sk": {"N": "10"}, "price": {"N": "12.50"}, "big": {"N": "1E+40"},
            "neg": {"N": "-0.000"}, "flag": {"BOOL": True}, "nothing": {"NULL": True},
            "blob": {"B": "AAEC/w=="}, "tags": {"SS": ["a", "b"]}, "nums": {"NS": ["1", "2.5"]},
            "bins": {"BS": ["AA==", "AQ=="]},
            "doc": {"M": {"a": {"L": [{"N": "1"}, {"S": "x"}, {"NULL": True}]}, "b": {"BOOL": False}}},
            "when": {"S": "2024-01-31 12:34:56.123456"}, "day": {"S": "2024-01-31"},
            "id": {"S": "123e4567-e89b-12d3-a456-426614174000"}}
    seeds = [json.dumps([item]), json.dumps({"Items": [item, {"pk": {"S": "p2"}}], "Count": 2})]
    for k, v in item.items():
        seeds.append(json.dumps({"Items": [{"pk": {"S": "k"}, k: v}, {"pk": {"N": "1"}, k: {"S": "1"}}]}))
    seeds += [
        json.dumps([{"a": {"N": "not a number"}}]),
        json.dumps([{"a": {"S": 5}}]),
        json.dumps([{"a": {}}]),
        json.dumps([{"a": {"S": "x", "N": "1"}}]),
        json.dumps([{"a": {"XX": "1"}}]),
        json.dumps([{"a": {"B": "!!!"}}]),
        json.dumps([{"a": {"L": [{"M": {}}, {"SS": []}]}}]),
        json.dumps([{"a": {"N": "9223372036854775808"}}, {"a": {"N": "-9223372036854775808"}}]),
        json.dumps([{"a": {"N": "1e400"}}]),
        json.dumps({"Items": []}),
        "[" * 50 + "]" * 50,
    ]
    return seeds


def cosmos_seeds():
    doc = {"id": "1", "pk": "a", "n": 42, "f": 1.5, "big": 12345678901234567890, "neg": -7,
           "s": "text", "b": True, "z": None, "o": {"x": [1, {"y": None}]}, "arr": [1, "a"],
           "when": "2024-01-31T12:34:56.123456Z", "day": "2024-01-31",
           "u": "123e4567-e89b-12d3-a456-426614174000", "dec": "12345678901234567890.5",
           "_rid": "abc", "_self": "dbs/x", "_etag": "\"0\"", "_ts": 1700000000}
    docs = [doc, {"id": "2", "pk": "b", "n": "43", "f": 2, "s": 5}, {"id": 3}]
    seeds = [b"\x01" + json.dumps(docs).encode(), b"\x00" + json.dumps({"Documents": docs}).encode()]
    for k, v in doc.items():
        seeds.append(b"\x01" + json.dumps([{"id": "1", k: v}, {"id": "2", k: "1"}]).encode())
    seeds += [b"\x00" + x.encode() for x in [
        "[{\"n\": 1e308}, {\"n\": -1e-320}, {\"n\": 9.2e18}]",
        "[{\"n\": 18446744073709551615}, {\"n\": -9223372036854775808}]",
        "[{\"id\": \"007\"}, {\"id\": \"7\"}]",
        "{}", "[]", "[1, 2]", "{\"Documents\": 5}",
    ]]
    return seeds


def firestore_seeds():
    name = "projects/demo/databases/(default)/documents/orders/"
    fields = {
        "n": {"integerValue": "42"}, "i": {"integerValue": 7}, "d": {"doubleValue": 1.5},
        "nan": {"doubleValue": "NaN"}, "inf": {"doubleValue": "-Infinity"},
        "s": {"stringValue": "text"}, "b": {"booleanValue": True}, "z": {"nullValue": None},
        "t": {"timestampValue": "2024-01-31T12:34:56.123456789Z"},
        "t2": {"timestampValue": "2024-01-31T12:34:56+02:00"},
        "by": {"bytesValue": "AAEC"}, "ref": {"referenceValue": name + "x"},
        "geo": {"geoPointValue": {"latitude": 1.5, "longitude": -2}},
        "arr": {"arrayValue": {"values": [{"integerValue": "1"}, {"stringValue": "a"}]}},
        "empty": {"arrayValue": {}},
        "map": {"mapValue": {"fields": {"x": {"booleanValue": False}}}},
        "day": {"stringValue": "2024-01-31"}, "dec": {"stringValue": "12.50"},
        "id": {"stringValue": "a1"},
    }
    docs = [{"name": name + "a1", "fields": fields, "createTime": "2024-01-31T00:00:00Z"},
            {"name": name + "b2", "fields": {"n": {"integerValue": "1"}, "id": {"stringValue": "b2"}}}]
    seeds = [json.dumps(docs), json.dumps({"documents": docs, "nextPageToken": "t"})]
    for k, v in fields.items():
        seeds.append(json.dumps([{"name": name + "1", "fields": {k: v}},
                                 {"name": name + "2", "fields": {k: {"stringValue": "1"}}}]))
    seeds += [
        json.dumps([{"name": name + "1", "fields": {"a": {}}}]),
        json.dumps([{"name": name + "1", "fields": {"a": {"integerValue": "x"}}}]),
        json.dumps([{"name": name + "1", "fields": {"a": {"integerValue": "1", "stringValue": "2"}}}]),
        json.dumps([{"name": name + "1", "fields": {"a": {"timestampValue": "yesterday"}}}]),
        json.dumps([{"name": name + "1", "fields": {"a": {"geoPointValue": {"latitude": "x"}}}}]),
        json.dumps([{"name": name + "1", "fields": {"id": {"integerValue": "1"}}}]),
        json.dumps([{"name": "", "fields": {}}]),
    ]
    return seeds


# ---- sigv4 -------------------------------------------------------------------
def sigv4_seeds():
    rng = random.Random(4)
    parts = ["/", "/a/b/../c", "//x//y/", "/%20space", "/%zz", "/é", "?", "&", "=", "a=1&b=2",
             "k=v%3D&k=a", "X-Amz-Date=1", "Host", "x-amz-meta", " value  with   spaces ",
             "http://127.0.0.1:8000/", "https://h:443/p?q#f", "GET", "POST", "\n"]
    seeds = []
    for _ in range(30):
        front = "".join(rng.choice(parts) + "\\" * rng.randrange(2) for _ in range(rng.randrange(3, 12)))
        back = bytes(rng.randrange(256) for _ in range(rng.randrange(8, 40)))
        seeds.append(front.encode() + back)
    return seeds


def main():
    write("uri", URIS)
    write("config", CONFIGS)
    write("filter", FILTERS)
    write("pg_copy", pg_copy_seeds())
    write("mysql", mysql_seeds())
    write("dynamodb", dynamodb_seeds())
    write("cosmos", cosmos_seeds())
    write("firestore", firestore_seeds())
    write("sigv4", sigv4_seeds())


if __name__ == "__main__":
    main()
