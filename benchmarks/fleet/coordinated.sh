#!/usr/bin/env bash
#
# Coordinated fleet benchmark (issue 7): instances of the fleet app started one by one against a
# private PostgreSQL 15 server with max_connections=40 (superuser_reserved_connections=3, so 37
# for the non-superuser app role), each asking for a pool of 50 and left at db.budget.instances=1.
# Run twice: with db.budget.coordination.enabled=true (group "fleet", heartbeat 1 s), then
# without. pg_stat_activity and pg_locks are sampled every 250 ms from a replication=database
# session (a walsender, which takes none of the 37 slots).
#
# Usage (from the repository root):   benchmarks/fleet/coordinated.sh
#
# Environment (all optional):
#   COORD_INSTANCES=6      instances started one by one
#   COORD_STAGGER=8        seconds between an instance being ready and the next launch
#   COORD_TAIL=25          seconds every instance keeps running after the last launch (about)
#   COORD_SLEEP_MIN_MS=10, COORD_SLEEP_MAX_MS=40   pg_sleep inside each transaction (less CPU than
#                          the default 1-20 ms, so that later JVMs start in reasonable time)
#   COORD_THREADS=10       client threads per instance
#   COORD_HEARTBEAT=1s     db.budget.coordination.heartbeat
#   COORD_SCENARIOS="coordinated uncoordinated"   (also: coordinated-reserve3, the same as
#                          coordinated with db.budget.reserved-connections=3)
#   COORD_BUILD=0          1: mvn install the starter and package the fleet jar first
#   COORD_RESULTS=dir      raw results (default benchmarks/fleet/target/coordinated/<time>)
#   COORD_DOCS=dir         where coordinated.csv, coordinated.png, coordinated.md go (default docs/fleet)
#   PGBIN=/usr/lib/postgresql/15/bin
#
# Bounded: each JVM runs under `timeout`, the sampler too; the server's directory is removed and
# every JVM killed by PID on exit, whatever happens.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
N=${COORD_INSTANCES:-6}
STAGGER=${COORD_STAGGER:-8}
TAIL=${COORD_TAIL:-25}
THREADS=${COORD_THREADS:-10}
SLEEP_MIN=${COORD_SLEEP_MIN_MS:-10}     # pause inside each transaction, ms (the app's default is 1-20)
SLEEP_MAX=${COORD_SLEEP_MAX_MS:-40}
HEARTBEAT=${COORD_HEARTBEAT:-1s}
SCENARIOS=${COORD_SCENARIOS:-"coordinated uncoordinated"}
RESULTS=${COORD_RESULTS:-$HERE/target/coordinated/$(date -u +%Y%m%dT%H%M%SZ)}
DOCS=${COORD_DOCS:-$ROOT/docs/fleet}
JAR=$HERE/target/fleet-bench.jar
JVM_OPTS=${COORD_JVM_OPTS:-"-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k"}
MAX_CONNECTIONS=40
APP_ROLE=fleet
APP_PASSWORD=fleet-bench-password
DATABASE=fleet

log() { printf '%s coordinated: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
# shellcheck source=private-server.sh
. "$HERE/private-server.sh"

if [ "${COORD_BUILD:-0}" = 1 ]; then
	(cd "$ROOT" && mvn -q -B install -DskipTests)
	mvn -q -B -f "$HERE/pom.xml" package -DskipTests
fi
[ -f "$JAR" ] || { log "$JAR missing: run with COORD_BUILD=1"; exit 1; }
mkdir -p "$RESULTS" "$DOCS"
# Checked before any work
find_python

SAMPLER_PID=
APP_PIDS=()

cleanup() {
	set +e
	# APP_PIDS are `timeout` processes: TERM is passed on to their JVM, then the JVM (by
	# parent PID) and timeout itself are killed
	for pid in "${APP_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	[ "${#APP_PIDS[@]}" -gt 0 ] && sleep 2
	for pid in "${APP_PIDS[@]}"; do pkill -KILL -P "$pid" 2>/dev/null; kill -9 "$pid" 2>/dev/null; done
	[ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null
	stop_private_server
}
trap cleanup EXIT
trap 'exit 130' INT TERM

create_private_server coord
start_server "$MAX_CONNECTIONS"
create_fleet_schema
psql_app -c "VACUUM ANALYZE fleet_item"
psql_app -c "VACUUM ANALYZE fleet_account"

{
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc=$(nproc)"
	echo "java=$(java -version 2>&1 | head -1)"
	echo "postgres=$("$PGBIN/postgres" --version)"
	echo "instances=$N stagger=$STAGGER tail=$TAIL threads=$THREADS sleepMs=$SLEEP_MIN-$SLEEP_MAX heartbeat=$HEARTBEAT"
	echo "jvmOpts=$JVM_OPTS"
} > "$RESULTS/machine.properties"

# Sampler columns: epoch ms, coordination members (advisory locks with objsubid=2, i.e. the
# two-int4-key form, held in the fleet database), client backends in all, of the app role, then
# sessions per application_name fleet-1..fleet-N
per_app=""
for i in $(seq 1 "$N"); do per_app="$per_app, count(*) FILTER (WHERE application_name = 'fleet-$i')"; done
SAMPLE_SQL="SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint, \
(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted \
 AND database = (SELECT oid FROM pg_database WHERE datname = '$DATABASE')), \
count(*), count(*) FILTER (WHERE usename = '$APP_ROLE')$per_app \
FROM pg_stat_activity WHERE backend_type = 'client backend'"

run_scenario() {
	local scenario=$1 coordination=$2
	shift 2
	local dir=$RESULTS/$scenario
	mkdir -p "$dir"
	start_server "$MAX_CONNECTIONS"
	local log_start
	log_start=$(stat -c %s "$SERVER_LOG")
	local total_seconds=$(((N - 1) * (STAGGER + 90) + TAIL + 90))
	start_sampler "$dir/samples.csv" "$((total_seconds + 30))" 0.25 "$SAMPLE_SQL"
	local launch_ms i
	launch_ms=$(date +%s%3N)
	echo "launchEpochMillis=$launch_ms" > "$dir/meta.properties"
	echo "extraArguments=$*" >> "$dir/meta.properties"
	log "$scenario: launching $N instances, each $STAGGER s after the previous one is ready, coordination.enabled=$coordination"
	APP_PIDS=()
	# A JVM starts in a few seconds on an idle machine but in tens of seconds next to five busy
	# ones: each instance is launched STAGGER s after the previous one is ready (or has exited),
	# and runs for the time the remaining launches are expected to take (the last start-up time
	# measured, doubled, at least 6 s: start-up slows down as the fleet grows) plus TAIL, so
	# that all of them overlap for TAIL seconds or more
	local startup_ms=3000 now_ms
	for i in $(seq 1 "$N"); do
		now_ms=$(date +%s%3N)
		local estimate_ms=$((startup_ms * 2 > 6000 ? startup_ms * 2 : 6000))
		local duration=$(((N - i) * (STAGGER * 1000 + estimate_ms) / 1000 + TAIL))
		echo "launch.$i=$now_ms" >> "$dir/meta.properties"
		echo "duration.$i=$duration" >> "$dir/meta.properties"
		# shellcheck disable=SC2086
		timeout -s KILL "$((duration + 150))" java $JVM_OPTS -jar "$JAR" \
			--spring.datasource.url="jdbc:postgresql://127.0.0.1:$PORT/$DATABASE" \
			--spring.datasource.username="$APP_ROLE" --spring.datasource.password="$APP_PASSWORD" \
			--spring.datasource.hikari.maximum-pool-size=50 \
			--db.budget.instances=1 --db.budget.application-name="fleet-$i" \
			--db.budget.coordination.enabled="$coordination" --db.budget.coordination.group=fleet \
			--db.budget.coordination.heartbeat="$HEARTBEAT" \
			--fleet.instance-id="$i" --fleet.config="$scenario" --fleet.threads="$THREADS" --fleet.mode=mixed \
			--fleet.sleep-min-ms="$SLEEP_MIN" --fleet.sleep-max-ms="$SLEEP_MAX" \
			--fleet.warmup=0s --fleet.duration="${duration}s" --fleet.grace=20s --fleet.out-dir="$dir" \
			"$@" >"$dir/instance-$i.log" 2>&1 &
		APP_PIDS+=($!)
		# Wait (at most 90 s) until it is ready or has exited
		local w=0
		while [ ! -f "$dir/$i.ready" ] && kill -0 "${APP_PIDS[$((i - 1))]}" 2>/dev/null && [ "$w" -lt 450 ]; do
			sleep 0.2
			w=$((w + 1))
		done
		local ready_ms
		ready_ms=$(date +%s%3N)
		echo "ready.$i=$ready_ms" >> "$dir/meta.properties"
		[ -f "$dir/$i.ready" ] && startup_ms=$((ready_ms - now_ms))
		log "$scenario: instance $i $([ -f "$dir/$i.ready" ] && echo ready || echo 'not ready (exited or timed out)') after $(((ready_ms - now_ms) / 1000)) s, runs ${duration} s"
		if [ "$i" -lt "$N" ]; then sleep "$STAGGER"; fi
	done
	await_fleet
	local codes=$EXIT_CODES
	local refused
	refused=$(refusals_since "$log_start")
	tail -c +$((log_start + 1)) "$SERVER_LOG" > "$dir/server.log"
	{
		echo "exitCodes=${codes# }"
		echo "serverRefusals53300=$refused"
		echo "coordination=$coordination"
	} >> "$dir/meta.properties"
	log "$scenario: exit codes [$codes ], server refused $refused connection(s) (53300)"
}

STARTED=$(date +%s)
for scenario in $SCENARIOS; do
	case $scenario in
		coordinated) run_scenario coordinated true ;;
		uncoordinated) run_scenario uncoordinated false ;;
		# Not in the default list: coordination with 3 connections kept out of the shares, room
		# for a joining instance's limits probe, coordination session and first pool connection
		coordinated-reserve3) run_scenario coordinated-reserve3 true --db.budget.reserved-connections=3 ;;
		*) log "unknown scenario $scenario"; exit 1 ;;
	esac
done
echo "elapsedSeconds=$(($(date +%s) - STARTED))" >> "$RESULTS/machine.properties"

log "report"
"$PY" "$HERE/coordinated_report.py" "$RESULTS" "$DOCS" "$N" $((MAX_CONNECTIONS - 3))
log "done in $(($(date +%s) - STARTED)) s: $DOCS/coordinated.md, raw results in $RESULTS"
