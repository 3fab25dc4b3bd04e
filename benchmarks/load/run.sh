#!/usr/bin/env bash
#
# Oversubscription benchmark (issue 13): many threads through a pool of 10, plain HikariCP
# against the starter's DataSource (retry + admission gate) around the same kind of pool, in
# alternating order in the same run, next to pgbench on the same server. Each thread loops over
# getConnection(), one primary-key SELECT on pgbench_accounts, close(). Prints the table of
# docs/benchmarks/oversubscription.md with medians over the rounds and ratios.
#
# Usage (from the repository root):   benchmarks/load/run.sh
#
# Environment (all optional):
#   LOAD_PGHOST=127.0.0.1 LOAD_PGPORT=5432 LOAD_PGUSER=postgres   the server (trust or PGPASSWORD)
#   LOAD_DB=dbbudget_load    database, created and filled by `pgbench -i -s 10` when missing
#   LOAD_ROUNDS=3            rounds; even rounds run the configurations in reverse order
#   LOAD_SECONDS=10          measured seconds of each run
#   LOAD_WARMUP=3            unmeasured seconds before them
#   LOAD_SHAPES="200 20 1000 40"  client thread counts (the pool is always 10)
#   LOAD_SKIP_BUILD=1        do not build the starter and benchmarks/target/benchmarks.jar first
#   PGBIN=/usr/lib/postgresql/15/bin   where pgbench and psql are
#
# Every run is bounded by `timeout`, and only 127.0.0.1-style addresses you give it are used.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
HOST=${LOAD_PGHOST:-127.0.0.1}
PORT=${LOAD_PGPORT:-5432}
USER_NAME=${LOAD_PGUSER:-postgres}
DB=${LOAD_DB:-dbbudget_load}
ROUNDS=${LOAD_ROUNDS:-3}
SECONDS_MEASURED=${LOAD_SECONDS:-10}
WARMUP=${LOAD_WARMUP:-3}
SHAPES=${LOAD_SHAPES:-"200 20 1000 40"}
POOL=10
RESULTS="$HERE/target/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RESULTS"
RUNS="$RESULTS/runs.jsonl"

if [ -z "${LOAD_SKIP_BUILD:-}" ]; then
	(cd "$ROOT" && ./mvnw -B -q install -DskipTests -pl budget-autoconfigure -am)
	(cd "$ROOT/benchmarks" && ../mvnw -B -q clean package)
fi
JAR="$ROOT/benchmarks/target/benchmarks.jar"

PSQL=("$PGBIN/psql" -h "$HOST" -p "$PORT" -U "$USER_NAME" -X -q -t -A)
if [ "$("${PSQL[@]}" -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$DB'")" = "0" ]; then
	"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
fi
if [ "$("${PSQL[@]}" -d "$DB" -c "SELECT count(*) FROM pg_tables WHERE tablename = 'pgbench_accounts'")" = "0" ]; then
	"$PGBIN/pgbench" -h "$HOST" -p "$PORT" -U "$USER_NAME" -i -s 10 -q "$DB"
fi

java_run() { # config threads
	DB_BUDGET_BENCH_URL="jdbc:postgresql://$HOST:$PORT/$DB" DB_BUDGET_BENCH_USER="$USER_NAME" \
		timeout $((WARMUP + SECONDS_MEASURED + 60)) java -Xms512m -Xmx512m -cp "$JAR" \
		io.dbbudget.benchmarks.load.OversubscriptionLoad "$1" "$2" "$POOL" "$WARMUP" "$SECONDS_MEASURED" \
		| sed "s/^{/{\"round\":$round,/" >> "$RUNS"
}

pgbench_run() { # name extra-args...
	local name=$1
	shift
	local out
	out=$(timeout $((SECONDS_MEASURED + 60)) "$PGBIN/pgbench" -h "$HOST" -p "$PORT" -U "$USER_NAME" -n -S \
		-c "$POOL" -j 2 -T "$SECONDS_MEASURED" "$@" "$DB" 2>&1)
	local tps
	tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
	local failed
	failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
	echo "{\"round\":$round,\"config\":\"$name\",\"threads\":$POOL,\"pool\":$POOL,\"txPerSecond\":$tps,\"errors\":${failed:-0}}" >> "$RUNS"
}

for round in $(seq 1 "$ROUNDS"); do
	for threads in $SHAPES; do
		configs="plain starter"
		if [ "$threads" = "200" ]; then
			configs="plain starter starter-no-gate pgbench-S pgbench-S-prepared"
		fi
		if [ $((round % 2)) -eq 0 ]; then
			configs=$(echo "$configs" | tr ' ' '\n' | tac | tr '\n' ' ')
		fi
		for config in $configs; do
			echo "round $round, $threads threads: $config" >&2
			case "$config" in
				pgbench-S) pgbench_run "$config" ;;
				pgbench-S-prepared) pgbench_run "$config" -M prepared ;;
				*) java_run "$config" "$threads" ;;
			esac
		done
	done
done

python3 "$HERE/report.py" "$RUNS" | tee "$RESULTS/report.md"
echo "raw runs: $RUNS" >&2
