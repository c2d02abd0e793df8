-- Important Stock Identification. NATION = GERMANY, FRACTION = 0.0001 / SF
-- (tpch.sh puts the number in place of @FRACTION@).
select
  ps_partkey,
  sum(ps_supplycost * ps_availqty) as value
from
  pg.partsupp,
  my.supplier,
  my.nation
where
  ps_suppkey = s_suppkey
  and s_nationkey = n_nationkey
  and n_name = 'GERMANY'
group by
  ps_partkey
having
  sum(ps_supplycost * ps_availqty) > (
    select
      sum(ps_supplycost * ps_availqty) * @FRACTION@
    from
      pg.partsupp,
      my.supplier,
      my.nation
    where
      ps_suppkey = s_suppkey
      and s_nationkey = n_nationkey
      and n_name = 'GERMANY')
order by
  value desc;
