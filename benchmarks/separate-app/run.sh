#!/usr/bin/env bash
#
# Issue 6's "done when", checked with an ordinary application that knows nothing of this
# repository's build: the "orders" service (this directory, parent spring-boot-starter-parent,
# the db-budget starter taken from the local Maven repository as any user would) runs as
# 4 instances x 30 threads against a private PostgreSQL 15 server with max_connections=40,
# first with the starter, then built without it. Same configuration both times:
# maximum-pool-size 30 (one connection per worker thread) and db.budget.instances=4.
#
# Usage (from the repository root):   benchmarks/separate-app/run.sh
#   SKIP_BUILD=1   reuse the jars (otherwise: mvn install of the root project, then both jars)
#   RESULTS=dir    default benchmarks/separate-app/target/results/<time>
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
RESULTS=${RESULTS:-$HERE/target/results/$(date -u +%Y%m%dT%H%M%SZ)}
INSTANCES=4 THREADS=30 WINDOW=30 STAGGER=3
JVM_OPTS="-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
APP_ROLE=orders APP_PASSWORD=orders-secret DATABASE=orders
START_TIMEOUT=150   # seconds for every instance to be ready (or dead) before the common go
GRACE=60            # seconds after the window before a live instance is killed

log() { printf '%s orders: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# shellcheck source=../fleet/private-server.sh
. "$ROOT/benchmarks/fleet/private-server.sh"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
	log "installing the starter, building the app with and without it"
	(cd "$ROOT" && mvn -q -B install -DskipTests)
	# The jars removed first: an up-to-date jar is not repackaged with the starter just installed
	rm -rf "$HERE/target/with-starter" "$HERE/target/without-starter"
	(cd "$HERE" && mvn -q -B package -DskipTests && mvn -q -B package -DskipTests -P '!with-starter')
fi
declare -A JAR=([with-starter]=$HERE/target/with-starter/orders-with-starter.jar
	[without-starter]=$HERE/target/without-starter/orders-without-starter.jar)
mkdir -p "$RESULTS"

SAMPLER_PID= APP_PIDS=()
cleanup() {
	set +e
	for pid in "${APP_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
	[ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null
	stop_private_server
}
trap cleanup EXIT
trap 'exit 130' INT TERM

create_private_server orders
start_server 40
create_fleet_schema
psql_app -c "VACUUM ANALYZE fleet_item, fleet_account"

# run LABEL: the fleet with one of the two jars, one common 30 s window
run() {
	local label=$1 dir=$RESULTS/$1 go=$RESULTS/$1/go i pid
	mkdir -p "$dir"
	local log_start
	log_start=$(stat -c %s "$SERVER_LOG")
	# The sampler is a walsender (replication=database): it takes no max_connections slot
	echo "SELECT count(*) FROM pg_stat_activity WHERE usename = '$APP_ROLE' \\watch 0.2" \
		| timeout $((INSTANCES * STAGGER + START_TIMEOUT + WINDOW + GRACE + 10)) "$PGBIN/psql" \
			"host=127.0.0.1 port=$PORT user=postgres dbname=$DATABASE replication=database" -XAtq \
			> "$dir/connections.txt" 2> "$dir/sampler.err" &
	SAMPLER_PID=$!

	log "$label: $INSTANCES instances x $THREADS threads, launched $STAGGER s apart"
	for i in $(seq 1 "$INSTANCES"); do
		# shellcheck disable=SC2086
		java $JVM_OPTS -jar "${JAR[$label]}" \
			--spring.datasource.url="jdbc:postgresql://127.0.0.1:$PORT/$DATABASE" \
			--spring.datasource.username="$APP_ROLE" --spring.datasource.password="$APP_PASSWORD" \
			--orders.instance="$i" --orders.threads="$THREADS" --orders.window="${WINDOW}s" --orders.go-file="$go" \
			> "$dir/instance-$i.log" 2>&1 &
		APP_PIDS+=($!)
		if [ "$i" -lt "$INSTANCES" ]; then sleep "$STAGGER"; fi
	done

	# Go when every instance is READY or has exited, so that the windows coincide
	local deadline=$(($(date +%s) + START_TIMEOUT)) settled
	while [ "$(date +%s)" -lt "$deadline" ]; do
		settled=0
		for i in $(seq 1 "$INSTANCES"); do
			if grep -q '^READY' "$dir/instance-$i.log" || ! kill -0 "${APP_PIDS[$((i - 1))]}" 2>/dev/null; then
				settled=$((settled + 1))
			fi
		done
		[ "$settled" -eq "$INSTANCES" ] && break
		sleep 0.2
	done
	touch "$go"

	# Bounded: an instance still alive WINDOW + GRACE after the go is killed by its PID
	deadline=$(($(date +%s) + WINDOW + GRACE))
	for pid in "${APP_PIDS[@]}"; do
		while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.5; done
		kill -9 "$pid" 2>/dev/null || true
	done
	await_fleet

	{
		echo "== $label (exit codes [$EXIT_CODES ])"
		grep -h '^RESULT' "$dir"/instance-*.log || true
		echo "total tps=$(grep -h '^RESULT' "$dir"/instance-*.log | sed -n 's/.* tps=\([0-9.]*\).*/\1/p' \
			| awk '{ s += $1 } END { printf "%.1f", s }')"
		echo "server refusals (53300)=$(refusals_since "$log_start")"
		echo "peak connections of role $APP_ROLE=$(grep -E '^[0-9]+$' "$dir/connections.txt" | sort -n | tail -1)"
	} | tee "$dir/summary.txt"
	sleep 2
}

run with-starter
run without-starter
log "done: $RESULTS"
