-- Secondary indexes on the foreign keys the 22 queries join or correlate on
-- (what a TPC-H setup adds next to the primary keys of schema.sql), created
-- after the load, one a line: tpch.sh runs the lines of the tables an engine holds.
CREATE INDEX lineitem_part_supp ON lineitem (l_partkey, l_suppkey);
CREATE INDEX lineitem_supp ON lineitem (l_suppkey);
CREATE INDEX orders_cust ON orders (o_custkey);
CREATE INDEX partsupp_supp ON partsupp (ps_suppkey);
CREATE INDEX supplier_nation ON supplier (s_nationkey);
CREATE INDEX customer_nation ON customer (c_nationkey);
CREATE INDEX nation_region ON nation (n_regionkey);
