#!/usr/bin/env python3
"""A deterministic TPC-H data generator (the TPC kit's dbgen is not available).

Usage: dbgen.py [--sf SCALE] [--seed N] OUTDIR

Writes OUTDIR/{region,nation,part,supplier,partsupp,customer,orders,lineitem}.tsv:
tab-separated, one row a line, no header, no quoting (no value holds a tab, a
newline or a backslash), decimals with two digits after the point, dates
YYYY-MM-DD. That is the default text format of PostgreSQL's COPY and of
MariaDB's LOAD DATA. The same SCALE and seed give the same bytes (Python's
random.Random is stable across versions for integer seeds and random()).

What follows TPC-H 3.0.1, clause 4.2.3 (the data) and 4.2.2.13 (the word lists):
- cardinalities: part 200,000 x SF, supplier 10,000 x SF, partsupp 4 per part,
  customer 150,000 x SF, orders 1,500,000 x SF (o_orderkey sparse: 8 keys used
  of every 32), lineitem 1..7 per order (about 6,000,000 x SF), nation 25,
  region 5;
- keys: ps_suppkey and l_suppkey by the spec's formula (the 4 suppliers of a
  part), o_custkey never a multiple of 3 (a third of the customers have no
  orders), l_partkey uniform;
- values: p_name 5 distinct colours of the 92; p_mfgr Manufacturer#M,
  p_brand Brand#MN; p_type, p_container from the spec's syllables; p_retailprice
  by its formula; phones CC-ddd-ddd-dddd with CC = nationkey + 10; balances
  -999.99..9999.99; o_orderdate uniform over 1992-01-01 .. 1998-08-02; ship,
  commit and receipt dates, l_returnflag (R or A when received by 1995-06-17,
  else N), l_linestatus (O when shipped after 1995-06-17), o_orderstatus (F, O
  or P from the line statuses) and o_totalprice as dbgen computes them;
  l_discount 0.00..0.10, l_tax 0.00..0.08, l_quantity 1..50;
- comments: random substrings of a text pool made by the spec's sentence
  grammar from its word lists (so '%special%requests%' of q13 occurs);
  SF x 5 supplier comments (at least one) hold 'Customer ... Complaints' and
  as many 'Customer ... Recommends' (q16).
Not reproduced: dbgen's exact random streams (the answers differ from the
spec's reference answers; the bench compares engines with one another) and its
weighted word distributions (approximated).
"""

import argparse
import datetime
import os
import random
import sys

NATIONS = [  # (name, regionkey), by nationkey
    ("ALGERIA", 0), ("ARGENTINA", 1), ("BRAZIL", 1), ("CANADA", 1), ("EGYPT", 4),
    ("ETHIOPIA", 0), ("FRANCE", 3), ("GERMANY", 3), ("INDIA", 2), ("INDONESIA", 2),
    ("IRAN", 4), ("IRAQ", 4), ("JAPAN", 2), ("JORDAN", 4), ("KENYA", 0),
    ("MOROCCO", 0), ("MOZAMBIQUE", 0), ("PERU", 1), ("CHINA", 2), ("ROMANIA", 3),
    ("SAUDI ARABIA", 4), ("VIETNAM", 2), ("RUSSIA", 3), ("UNITED KINGDOM", 3),
    ("UNITED STATES", 1),
]
REGIONS = ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"]

COLORS = """almond antique aquamarine azure beige bisque black blanched blue blush
brown burlywood burnished chartreuse chiffon chocolate coral cornflower cornsilk
cream cyan dark deep dim dodger drab firebrick floral forest frosted gainsboro
ghost goldenrod green grey honeydew hot indian ivory khaki lace lavender lawn
lemon light lime linen magenta maroon medium metallic midnight mint misty
moccasin navajo navy olive orange orchid pale papaya peach peru pink plum powder
puff purple red rose rosy royal saddle salmon sandy seashell sienna sky slate
smoke snow spring steel tan thistle tomato turquoise violet wheat white
yellow""".split()
assert len(COLORS) == 92

TYPE_S1 = ["STANDARD", "SMALL", "MEDIUM", "LARGE", "ECONOMY", "PROMO"]
TYPE_S2 = ["ANODIZED", "BURNISHED", "PLATED", "POLISHED", "BRUSHED"]
TYPE_S3 = ["TIN", "NICKEL", "BRASS", "STEEL", "COPPER"]
CONTAINER_S1 = ["SM", "LG", "MED", "JUMBO", "WRAP"]
CONTAINER_S2 = ["CASE", "BOX", "BAG", "JAR", "PKG", "PACK", "CAN", "DRUM"]
SEGMENTS = ["AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY", "HOUSEHOLD"]
PRIORITIES = ["1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"]
INSTRUCTIONS = ["DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"]
MODES = ["REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"]

# Word lists of clause 4.2.2.13; the words q13 and others look for are listed
# several times, as dbgen weighs them more.
NOUNS = (["packages", "requests", "accounts", "deposits"] * 4 + """foxes ideas
theodolites pinto_beans instructions dependencies excuses platelets asymptotes
courts dolphins multipliers sauternes warthogs frets dinos attainments somas
Tiresias patterns forges braids hockey_players frays warhorses dugouts notornis
epitaphs pearls tithes waters orbits gifts sheaves depths sentiments decoys
realms pains grouches escapades""".split())
VERBS = """sleep wake are cajole haggle nag use boost affix detect integrate
maintain nod was lose sublate solve thrash promise engage hinder print x-ray
breach eat grow impress mold poach serve run dazzle snooze doze unwind kindle
play hang believe doubt""".split()
ADJECTIVES = (["special", "pending", "unusual", "express"] * 4 + """furious sly
careful blithe quick fluffy slow quiet ruthless thin close dogged daring brave
stealthy permanent enticing idle busy regular final ironic even bold
silent""".split())
ADVERBS = """sometimes always never furiously slyly carefully blithely quickly
fluffily slowly quietly ruthlessly thinly closely doggedly daringly bravely
stealthily permanently enticingly idly busily regularly finally ironically
evenly boldly silently""".split()
PREPOSITIONS = """about above according_to across after against along
alongside_of among around at atop before behind beneath beside besides between
beyond by despite during except for from in_place_of inside instead_of into
near of on outside over past since through throughout to toward under until up
upon without with within""".split()
AUXILIARIES = """do may might shall will would can could should ought_to must
will_have_to shall_have_to could_have_to should_have_to must_have_to need_to
try_to""".split()
TERMINATORS = [".", ";", ":", "?", "!", "--"]

START = datetime.date(1992, 1, 1)
CURRENT = datetime.date(1995, 6, 17)
ORDER_DAYS = (datetime.date(1998, 12, 31) - START).days - 151  # last order date 1998-08-02
POOL_CHARS = 4 << 20
ADDRESS_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,."


def words(w: str) -> str:
    return w.replace("_", " ")


def text_pool(rng: random.Random) -> str:
    """The grammar of 4.2.2.14: sentences of noun, verb and prepositional phrases."""
    c = rng.choice

    def noun_phrase() -> str:
        k = rng.randrange(4)
        n = words(c(NOUNS))
        if k == 0:
            return n
        if k == 1:
            return f"{c(ADJECTIVES)} {n}"
        if k == 2:
            return f"{c(ADJECTIVES)}, {c(ADJECTIVES)} {n}"
        return f"{c(ADVERBS)} {c(ADJECTIVES)} {n}"

    def verb_phrase() -> str:
        k = rng.randrange(4)
        v = c(VERBS)
        if k == 0:
            return v
        if k == 1:
            return f"{words(c(AUXILIARIES))} {v}"
        if k == 2:
            return f"{v} {c(ADVERBS)}"
        return f"{words(c(AUXILIARIES))} {v} {c(ADVERBS)}"

    def prepositional_phrase() -> str:
        return f"{words(c(PREPOSITIONS))} the {noun_phrase()}"

    parts, size = [], 0
    while size < POOL_CHARS:
        k = rng.randrange(5)
        if k == 0:
            s = f"{noun_phrase()} {verb_phrase()}{c(TERMINATORS)}"
        elif k == 1:
            s = f"{noun_phrase()} {verb_phrase()} {prepositional_phrase()}{c(TERMINATORS)}"
        elif k == 2:
            s = f"{noun_phrase()} {verb_phrase()} {noun_phrase()}{c(TERMINATORS)}"
        elif k == 3:
            s = (f"{noun_phrase()} {prepositional_phrase()} {verb_phrase()} "
                 f"{noun_phrase()}{c(TERMINATORS)}")
        else:
            s = (f"{noun_phrase()} {prepositional_phrase()} {verb_phrase()} "
                 f"{prepositional_phrase()}{c(TERMINATORS)}")
        parts.append(s)
        size += len(s) + 1
    return " ".join(parts)


class Gen:
    def __init__(self, sf: float, seed: int, outdir: str):
        self.sf = sf
        self.outdir = outdir
        self.seed = seed
        self.pool = text_pool(random.Random(seed))
        self.n_part = max(1, int(200_000 * sf))
        self.n_supp = max(4, int(10_000 * sf))
        self.n_cust = max(3, int(150_000 * sf))
        self.n_orders = max(1, int(1_500_000 * sf))

    def rng(self, table: str) -> random.Random:
        """One stream per table: a change to one table leaves the others alone."""
        return random.Random(f"{self.seed}:{table}")

    def text(self, r: random.Random, lo: int, hi: int) -> str:
        n = lo + int(r.random() * (hi - lo + 1))
        at = int(r.random() * (len(self.pool) - n))
        return self.pool[at:at + n]

    def open(self, table: str):
        return open(os.path.join(self.outdir, f"{table}.tsv.tmp"), "w", encoding="ascii",
                    newline="\n")

    def done(self, table: str, f) -> None:
        f.close()
        os.replace(os.path.join(self.outdir, f"{table}.tsv.tmp"),
                   os.path.join(self.outdir, f"{table}.tsv"))

    def phone(self, r: random.Random, nationkey: int) -> str:
        u = r.random
        return (f"{nationkey + 10}-{100 + int(u() * 900)}-{100 + int(u() * 900)}-"
                f"{1000 + int(u() * 9000)}")

    def address(self, r: random.Random) -> str:
        n = 10 + int(r.random() * 31)
        return "".join(r.choice(ADDRESS_CHARS) for _ in range(n))

    def partsupp_suppkey(self, partkey: int, i: int) -> int:
        s = self.n_supp
        return (partkey + i * (s // 4 + (partkey - 1) // s)) % s + 1

    @staticmethod
    def retailprice_cents(partkey: int) -> int:
        return 90000 + (partkey // 10) % 20001 + 100 * (partkey % 1000)

    def region_nation(self) -> None:
        r = self.rng("region")
        f = self.open("region")
        for key, name in enumerate(REGIONS):
            f.write(f"{key}\t{name}\t{self.text(r, 31, 115)}\n")
        self.done("region", f)
        r = self.rng("nation")
        f = self.open("nation")
        for key, (name, region) in enumerate(NATIONS):
            f.write(f"{key}\t{name}\t{region}\t{self.text(r, 31, 114)}\n")
        self.done("nation", f)

    def part_partsupp(self) -> None:
        r = self.rng("part")
        u = r.random
        f = self.open("part")
        for key in range(1, self.n_part + 1):
            name = " ".join(r.sample(COLORS, 5))
            m = 1 + int(u() * 5)
            n = 1 + int(u() * 5)
            ptype = f"{r.choice(TYPE_S1)} {r.choice(TYPE_S2)} {r.choice(TYPE_S3)}"
            size = 1 + int(u() * 50)
            container = f"{r.choice(CONTAINER_S1)} {r.choice(CONTAINER_S2)}"
            f.write(f"{key}\t{name}\tManufacturer#{m}\tBrand#{m}{n}\t{ptype}\t{size}\t{container}\t"
                    f"{cents(self.retailprice_cents(key))}\t{self.text(r, 5, 22)}\n")
        self.done("part", f)
        r = self.rng("partsupp")
        u = r.random
        f = self.open("partsupp")
        for key in range(1, self.n_part + 1):
            for i in range(4):
                f.write(f"{key}\t{self.partsupp_suppkey(key, i)}\t{1 + int(u() * 9999)}\t"
                        f"{cents(100 + int(u() * 99901))}\t{self.text(r, 49, 198)}\n")
        self.done("partsupp", f)

    def supplier(self) -> None:
        r = self.rng("supplier")
        u = r.random
        bbb = max(1, round(self.sf * 5))
        picked = r.sample(range(1, self.n_supp + 1), 2 * bbb)
        complaints, recommends = set(picked[:bbb]), set(picked[bbb:])
        f = self.open("supplier")
        for key in range(1, self.n_supp + 1):
            nation = int(u() * 25)
            comment = self.text(r, 25, 100)
            if key in complaints or key in recommends:
                # "Customer" + text + "Complaints"/"Recommends" at a random place.
                word = "Complaints" if key in complaints else "Recommends"
                gap = self.text(r, 0, 10).strip() or "the"
                mark = f"Customer {gap} {word}"
                at = int(u() * max(1, len(comment) - len(mark)))
                comment = (comment[:at] + mark + comment[at + len(mark):])[:100]
            f.write(f"{key}\tSupplier#{key:09d}\t{self.address(r)}\t{nation}\t"
                    f"{self.phone(r, nation)}\t{cents(-99999 + int(u() * 1099999))}\t"
                    f"{comment}\n")
        self.done("supplier", f)

    def customer(self) -> None:
        r = self.rng("customer")
        u = r.random
        f = self.open("customer")
        for key in range(1, self.n_cust + 1):
            nation = int(u() * 25)
            f.write(f"{key}\tCustomer#{key:09d}\t{self.address(r)}\t{nation}\t"
                    f"{self.phone(r, nation)}\t{cents(-99999 + int(u() * 1099999))}\t"
                    f"{r.choice(SEGMENTS)}\t{self.text(r, 29, 116)}\n")
        self.done("customer", f)

    def orders_lineitem(self) -> None:
        r = self.rng("orders")
        u = r.random
        n_clerks = max(1, int(1000 * self.sf))
        current = CURRENT.toordinal()
        start = START.toordinal()
        dates = {}

        def iso(day: int) -> str:
            s = dates.get(day)
            if s is None:
                s = dates[day] = datetime.date.fromordinal(day).isoformat()
            return s

        fo = self.open("orders")
        fl = self.open("lineitem")
        for i in range(1, self.n_orders + 1):
            orderkey = ((i >> 3) << 5) + (i & 7)  # dbgen's mk_sparse: 8 of 32 keys
            while True:
                custkey = 1 + int(u() * self.n_cust)
                if custkey % 3 != 0:
                    break
            orderdate = start + int(u() * (ORDER_DAYS + 1))
            priority = PRIORITIES[int(u() * 5)]
            clerk = 1 + int(u() * n_clerks)
            total = 0
            statuses = set()
            for line in range(1, 2 + int(u() * 7)):
                partkey = 1 + int(u() * self.n_part)
                suppkey = self.partsupp_suppkey(partkey, int(u() * 4))
                quantity = 1 + int(u() * 50)
                eprice = quantity * self.retailprice_cents(partkey)
                discount = int(u() * 11)
                tax = int(u() * 9)
                shipdate = orderdate + 1 + int(u() * 121)
                commitdate = orderdate + 30 + int(u() * 61)
                receiptdate = shipdate + 1 + int(u() * 30)
                if receiptdate <= current:
                    returnflag = "R" if u() < 0.5 else "A"
                else:
                    returnflag = "N"
                linestatus = "O" if shipdate > current else "F"
                statuses.add(linestatus)
                # dbgen: integer cents, truncated at each step.
                total += (eprice * (100 - discount) // 100) * (100 + tax) // 100
                fl.write(f"{orderkey}\t{partkey}\t{suppkey}\t{line}\t{quantity}.00\t"
                         f"{cents(eprice)}\t0.{discount:02d}\t0.0{tax}\t{returnflag}\t"
                         f"{linestatus}\t{iso(shipdate)}\t{iso(commitdate)}\t"
                         f"{iso(receiptdate)}\t{r.choice(INSTRUCTIONS)}\t{r.choice(MODES)}\t"
                         f"{self.text(r, 10, 43)}\n")
            status = "P" if len(statuses) == 2 else statuses.pop()
            fo.write(f"{orderkey}\t{custkey}\t{status}\t{cents(total)}\t{iso(orderdate)}\t"
                     f"{priority}\tClerk#{clerk:09d}\t0\t{self.text(r, 19, 78)}\n")
        self.done("orders", fo)
        self.done("lineitem", fl)


def cents(v: int) -> str:
    sign = "-" if v < 0 else ""
    v = abs(v)
    return f"{sign}{v // 100}.{v % 100:02d}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sf", type=float, default=0.1, help="scale factor (default 0.1)")
    parser.add_argument("--seed", type=int, default=19920101, help="random seed")
    parser.add_argument("outdir")
    args = parser.parse_args()
    if not 0 < args.sf <= 100:
        parser.error(f"--sf {args.sf}: want a scale factor in (0, 100]")
    os.makedirs(args.outdir, exist_ok=True)
    g = Gen(args.sf, args.seed, args.outdir)
    g.region_nation()
    g.part_partsupp()
    g.supplier()
    g.customer()
    g.orders_lineitem()
    return 0


if __name__ == "__main__":
    sys.exit(main())
