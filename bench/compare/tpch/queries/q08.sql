-- National Market Share. NATION = BRAZIL, REGION = AMERICA, TYPE = ECONOMY ANODIZED STEEL.
-- extract(year from o_orderdate): the first 4 characters of the date as text.
select
  o_year,
  sum(case when nation = 'BRAZIL' then volume else 0 end) / sum(volume) as mkt_share
from (
  select
    substr(cast(o_orderdate as varchar(10)), 1, 4) as o_year,
    l_extendedprice * (1 - l_discount) as volume,
    n2.n_name as nation
  from
    pg.part,
    my.supplier,
    pg.lineitem,
    pg.orders,
    my.customer,
    my.nation n1,
    my.nation n2,
    my.region
  where
    p_partkey = l_partkey
    and s_suppkey = l_suppkey
    and l_orderkey = o_orderkey
    and o_custkey = c_custkey
    and c_nationkey = n1.n_nationkey
    and n1.n_regionkey = r_regionkey
    and r_name = 'AMERICA'
    and s_nationkey = n2.n_nationkey
    and o_orderdate between '1995-01-01' and '1996-12-31'
    and p_type = 'ECONOMY ANODIZED STEEL'
  ) as all_nations
group by
  o_year
order by
  o_year;
