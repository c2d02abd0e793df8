-- Customer Distribution. WORD1 = special, WORD2 = requests.
-- The derived table's column names are aliases inside it (SQLite has no
-- "as c_orders (c_custkey, c_count)").
select
  c_count,
  count(*) as custdist
from (
  select
    c_custkey,
    count(o_orderkey) as c_count
  from
    my.customer left outer join pg.orders on
      c_custkey = o_custkey
      and o_comment not like '%special%requests%'
  group by
    c_custkey
  ) as c_orders
group by
  c_count
order by
  custdist desc,
  c_count desc;
