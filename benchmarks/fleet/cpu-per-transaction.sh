#!/usr/bin/env bash
#
# Does db-budget cost the application CPU per transaction? One JVM of the fleet app at a time on a
# private server (max_connections=40): 30 client threads, pool 7, db-budget (instances=5, pool
# asks 50, lowered to 7) and hand-tuned (pool 7, starter disabled) in pairs, order alternating.
# Throughput is bound by the 7 connections and so the same for both; what can differ is the
# JVM's own CPU time (utime + stime from /proc/<pid>/stat) per transaction, measured over 10 s in
# the middle of each window. docs/benchmarks/fleet.md ("A: db-budget vs hand-tuned") has the figures.
#
# Usage (from the repository root):   benchmarks/fleet/cpu-per-transaction.sh
#   PAIRS=8             pairs of runs
#   FLEET_SKIP_BUILD=1  reuse benchmarks/fleet/target/fleet-bench.jar
#   RESULTS=dir         default benchmarks/fleet/target/cpu-per-transaction/<time>
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PAIRS=${PAIRS:-8}
RESULTS=${RESULTS:-$HERE/target/cpu-per-transaction/$(date -u +%Y%m%dT%H%M%SZ)}
JAR=$HERE/target/fleet-bench.jar
APP_ROLE=fleet APP_PASSWORD=fleet-bench-password DATABASE=fleet
WINDOW=15   # seconds; CPU is measured from 5 s after the go to 15 s after it
TICKS=$(getconf CLK_TCK)

log() { printf '%s cpu: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# shellcheck source=private-server.sh
. "$HERE/private-server.sh"

if [ "${FLEET_SKIP_BUILD:-0}" != 1 ]; then
	(cd "$ROOT" && mvn -q -B install -DskipTests)
	mvn -q -B -f "$HERE/pom.xml" package -DskipTests
fi
mkdir -p "$RESULTS"

APP_PID=
cleanup() {
	set +e
	[ -n "$APP_PID" ] && kill -9 "$APP_PID" 2>/dev/null
	stop_private_server
}
trap cleanup EXIT
trap 'exit 130' INT TERM

create_private_server cpu
start_server 40
create_fleet_schema
psql_app -c "VACUUM ANALYZE fleet_item, fleet_account"

# measure LABEL [app arguments...]: adds "LABEL tx/s cpu-µs-per-transaction" to runs.txt
measure() {
	local label=$1 dir
	shift
	dir=$(mktemp -d "$RESULTS/$label.XXXX")
	java -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -jar "$JAR" \
		--spring.datasource.url="jdbc:postgresql://127.0.0.1:$PORT/$DATABASE" \
		--spring.datasource.username="$APP_ROLE" --spring.datasource.password="$APP_PASSWORD" \
		--fleet.instance-id=1 --fleet.config="$label" --fleet.threads=30 --fleet.mode=mixed \
		--fleet.duration="${WINDOW}s" --fleet.warmup=3s --fleet.out-dir="$dir" "$@" >"$dir/instance.log" 2>&1 &
	APP_PID=$!
	local waited=0
	while [ ! -f "$dir/1.ready" ] && kill -0 "$APP_PID" 2>/dev/null && [ "$waited" -lt 600 ]; do
		sleep 0.2
		waited=$((waited + 1))
	done
	[ -f "$dir/1.ready" ] || { log "$label did not get ready, see $dir/instance.log"; exit 1; }
	sleep 5
	local before after
	before=$(awk '{ print $14 + $15 }' "/proc/$APP_PID/stat")
	sleep 10
	after=$(awk '{ print $14 + $15 }' "/proc/$APP_PID/stat")
	timeout 120 tail --pid="$APP_PID" -f /dev/null || kill -9 "$APP_PID"
	wait "$APP_PID" || true
	APP_PID=
	local ok
	ok=$(sed -n 's/^ *"ok" *: *\([0-9]*\).*/\1/p' "$dir/1.json" | head -1)
	# CPU over 10 s divided by the transactions of those 10 s (the window's mean rate)
	awk -v l="$label" -v ok="$ok" -v w="$WINDOW" -v d=$((after - before)) -v hz="$TICKS" \
		'BEGIN { printf "%s %.0f %.0f\n", l, ok / w, d / hz * 1e6 / (ok / w * 10) }' | tee -a "$RESULTS/runs.txt" >&2
}

log "$PAIRS pairs, results in $RESULTS"
for pair in $(seq 1 "$PAIRS"); do
	first=db-budget second=hand-tuned
	if [ $((pair % 2)) = 0 ]; then first=hand-tuned second=db-budget; fi
	for label in $first $second; do
		case $label in
			db-budget) measure db-budget --db.budget.instances=5 --spring.datasource.hikari.maximum-pool-size=50 ;;
			hand-tuned) measure hand-tuned --db.budget.enabled=false --spring.datasource.hikari.maximum-pool-size=7 ;;
		esac
	done
done

awk '{ n[$1]++; s[$1] += $3; q[$1] += $3 * $3; if (!($1 in lo) || $3 < lo[$1]) lo[$1] = $3; if ($3 > hi[$1]) hi[$1] = $3 }
	END { for (k in n) printf "%s: %d runs, JVM CPU per transaction mean %.0f us (sd %.0f, %d to %d)\n", k, n[k],
		s[k] / n[k], (n[k] > 1) ? sqrt((q[k] - s[k] * s[k] / n[k]) / (n[k] - 1)) : 0, lo[k], hi[k] }' "$RESULTS/runs.txt" \
	| sort | tee "$RESULTS/summary.txt"
