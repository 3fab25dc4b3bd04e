-- The fleet app's transaction (Workload.mixed) as a pgbench script, for the workload's ceiling
-- on this server with a client that costs next to nothing: run.sh runs it with -M prepared at
-- the connection counts of pool-of-1 and hand-tuned.
\set item random(1, 100)
\set acc random(1, 10000)
\set delta random(-100, 100)
\set ms random(1, 20)
BEGIN;
SELECT name, price FROM fleet_item WHERE id = :item;
UPDATE fleet_account SET balance = balance + :delta, updated_at = clock_timestamp() WHERE id = :acc;
SELECT pg_sleep(:ms / 1000.0);
COMMIT;
