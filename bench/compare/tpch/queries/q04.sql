-- Order Priority Checking. DATE = 1993-07-01 (+ 3 months: 1993-10-01)
select
  o_orderpriority,
  count(*) as order_count
from
  pg.orders
where
  o_orderdate >= '1993-07-01'
  and o_orderdate < '1993-10-01'
  and exists (
    select
      *
    from
      pg.lineitem
    where
      l_orderkey = o_orderkey
      and l_commitdate < l_receiptdate)
group by
  o_orderpriority
order by
  o_orderpriority;
