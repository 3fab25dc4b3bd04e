#!/usr/bin/env bash
#
# "Connections go where the work is" (issue 12): 4 instances of the fleet app against a private
# PostgreSQL 15 server (max_connections 40, 3 superuser slots, db.budget.reserved-connections 5:
# a service budget of 32). Every instance runs the same schedule of client threads, each
# transaction holding its connection about 20 ms (pg_sleep(0.02) plus a read and a write):
#
#   uneven    DEMAND_UNEVEN s: one busy instance and three light ones (DEMAND_ROLES, 60,4,2,2)
#   move-1..  DEMAND_MOVES phases of DEMAND_MOVE_EVERY s: the busy role moves to the next instance
#   uniform   DEMAND_UNIFORM s: DEMAND_UNIFORM_THREADS threads on every instance
#
# under each configuration (one fleet launch each, alternating within a round, the order
# reversed every other round):
#
#   static        db.budget.instances=4, no coordination: the equal split, 8 connections each
#   demand-aware  db.budget.coordination.enabled=true, coordination.demand-aware=true
#   equal         (not in the default list) coordination on, demand-aware=false: today's
#                 coordinated equal split
#   oracle        db-budget off; pools set by hand at each phase's start by someone who knows
#                 the loads: the service budget shared max-min fair by client threads, no
#                 coordination session and no joiner's room (see README.md)
#
# App connections are sampled every 200 ms from a replication=database session (a walsender,
# outside the app's slots), every instance's /actuator/dbconnections every DEMAND_ENDPOINT_INTERVAL s;
# the server logs every connection (log_connections) for the churn figure.
#
# Usage (from the repository root):   benchmarks/fleet/demand.sh
#
# Environment (all optional):
#   DEMAND_ROUNDS=2            rounds (every configuration once per round)
#   DEMAND_CONFIGS="static demand-aware oracle"   (also: equal)
#   DEMAND_ROLES=60,4,2,2      client threads of instances 1..N in the uneven phase; the roles rotate
#   DEMAND_UNEVEN=60           seconds of the uneven phase
#   DEMAND_MOVES=4             moves of the busy role
#   DEMAND_MOVE_EVERY=20       seconds between moves
#   DEMAND_UNIFORM=40          seconds of the uniform phase (0: none)
#   DEMAND_UNIFORM_THREADS=17  client threads per instance in the uniform phase
#   DEMAND_SETTLE=15           seconds at the start of the uneven and uniform phases left out of
#                              their figures (moving phases are measured whole)
#   DEMAND_HEARTBEAT=1s        db.budget.coordination.heartbeat
#   DEMAND_SLEEP_MS=20         pg_sleep per transaction, ms
#   DEMAND_MAX_CONNECTIONS=40, DEMAND_RESERVED=5   the server's limit, db.budget.reserved-connections
#   DEMAND_ORACLE_CONNECTIONS  connections the oracle shares out (default: the service budget)
#   DEMAND_ENDPOINT_INTERVAL=0.5   seconds between reads of each /actuator/dbconnections
#   DEMAND_BUILD=1             mvn install the starter and package the fleet jar first (0: use target/)
#   DEMAND_MVN_ARGS            extra Maven arguments, e.g. -Dmaven.repo.local=...
#   DEMAND_RESULTS=dir         raw results (default benchmarks/fleet/target/demand/<time>)
#   DEMAND_DOCS=dir            demand.md, demand.csv, demand.png (default docs/fleet)
#   DEMAND_JVM_OPTS, PGBIN=/usr/lib/postgresql/15/bin
#
# Bounded: each JVM and sampler runs under `timeout`; every JVM is killed by PID and the server's
# directory removed on exit, whatever happens.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
ROUNDS=${DEMAND_ROUNDS:-2}
CONFIGS=${DEMAND_CONFIGS:-"static demand-aware oracle"}
ROLES=${DEMAND_ROLES:-60,4,2,2}
UNEVEN=${DEMAND_UNEVEN:-60}
MOVES=${DEMAND_MOVES:-4}
MOVE_EVERY=${DEMAND_MOVE_EVERY:-20}
UNIFORM=${DEMAND_UNIFORM:-40}
UNIFORM_THREADS=${DEMAND_UNIFORM_THREADS:-17}
SETTLE=${DEMAND_SETTLE:-15}
HEARTBEAT=${DEMAND_HEARTBEAT:-1s}
SLEEP_MS=${DEMAND_SLEEP_MS:-20}
SERVER_MAX=${DEMAND_MAX_CONNECTIONS:-40}
RESERVED=${DEMAND_RESERVED:-5}
BUDGET=$((SERVER_MAX - 3 - RESERVED))
ORACLE_CONNECTIONS=${DEMAND_ORACLE_CONNECTIONS:-$BUDGET}
ENDPOINT_INTERVAL=${DEMAND_ENDPOINT_INTERVAL:-0.5}
RESULTS=${DEMAND_RESULTS:-$HERE/target/demand/$(date -u +%Y%m%dT%H%M%SZ)}
DOCS=${DEMAND_DOCS:-$ROOT/docs/fleet}
JAR=$HERE/target/fleet-bench.jar
JVM_OPTS=${DEMAND_JVM_OPTS:-"-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k"}
N=$(echo "$ROLES" | tr ',' '\n' | wc -l)
APP_ROLE=fleet
APP_PASSWORD=fleet-bench-password
DATABASE=fleet
START_TIMEOUT=180        # seconds for every instance of a configuration to be ready
GRACE=20                 # seconds after the schedule before an instance gives up on its threads

log() { printf '%s demand: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
# shellcheck source=private-server.sh
. "$HERE/private-server.sh"

find_python
if [ "${DEMAND_BUILD:-1}" = 1 ]; then
	log "installing the starter and building $JAR"
	# shellcheck disable=SC2086
	(cd "$ROOT" && mvn -q -B ${DEMAND_MVN_ARGS:-} install -DskipTests)
	# shellcheck disable=SC2086
	mvn -q -B ${DEMAND_MVN_ARGS:-} -f "$HERE/pom.xml" package -DskipTests
fi
[ -f "$JAR" ] || { log "$JAR missing: run with DEMAND_BUILD=1"; exit 1; }
mkdir -p "$RESULTS" "$DOCS"
"$PY" "$HERE/demand.py" plan "$RESULTS/phases.json" "$ROLES" "$UNEVEN" "$MOVES" "$MOVE_EVERY" "$UNIFORM" \
	"$UNIFORM_THREADS" "$SETTLE" "$ORACLE_CONNECTIONS"
SCHEDULE_SECONDS=$((UNEVEN + MOVES * MOVE_EVERY + UNIFORM))

SAMPLER_PID=
ENDPOINT_PID=
APP_PIDS=()

cleanup() {
	set +e
	# APP_PIDS are `timeout` processes: TERM reaches their JVM; then the JVM (by parent PID)
	# and timeout itself are killed
	for pid in "${APP_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	[ "${#APP_PIDS[@]}" -gt 0 ] && sleep 2
	for pid in "${APP_PIDS[@]}"; do pkill -KILL -P "$pid" 2>/dev/null; kill -9 "$pid" 2>/dev/null; done
	[ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null
	[ -n "$ENDPOINT_PID" ] && kill "$ENDPOINT_PID" 2>/dev/null
	stop_private_server
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	local candidate
	for candidate in $(seq "$1" $(($1 + 200))); do
		if [ -z "$(ss -Hltn "sport = :$candidate" 2>/dev/null)" ]; then echo "$candidate"; return; fi
	done
	log "no free port from $1"; exit 1
}

create_private_server demand
# Every connection in the log, with UTC milliseconds (the default prefix is '%m [%p] ')
SERVER_OPTS="-c log_connections=on -c log_timezone=UTC"
start_server "$SERVER_MAX" $SERVER_OPTS
create_fleet_schema
psql_app -c "VACUUM ANALYZE fleet_item, fleet_account"

{
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc=$(nproc)"
	echo "java=$(java -version 2>&1 | head -1)"
	echo "postgres=$("$PGBIN/postgres" --version)"
	echo "loadBefore=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "appRole=$APP_ROLE"
	echo "maxConnections=$SERVER_MAX"
	echo "reservedConnections=$RESERVED"
	echo "budget=$BUDGET"
	echo "roles=$ROLES"
	echo "heartbeat=$HEARTBEAT"
	echo "sleepMs=$SLEEP_MS"
	echo "configs=$CONFIGS"
	echo "rounds=$ROUNDS"
	echo "jvmOpts=$JVM_OPTS"
} > "$RESULTS/machine.properties"

# Columns: epoch ms, sessions of the app role, coordination members (advisory locks in the
# two-int4-key form), then sessions named fleet-1..fleet-N
per_app=""
for i in $(seq 1 "$N"); do per_app="$per_app, count(*) FILTER (WHERE application_name = 'fleet-$i')"; done
SAMPLE_SQL="SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint, \
count(*) FILTER (WHERE usename = '$APP_ROLE'), \
(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted \
 AND database = (SELECT oid FROM pg_database WHERE datname = '$DATABASE'))$per_app \
FROM pg_stat_activity WHERE backend_type = 'client backend'"

# The arguments of one configuration (what differs between them)
config_args() {
	local common="--db.budget.reserved-connections=$RESERVED --spring.datasource.hikari.maximum-pool-size=50"
	case $1 in
		static) echo "$common --db.budget.instances=$N" ;;
		demand-aware | equal)
			echo "$common --db.budget.instances=1 --db.budget.coordination.enabled=true" \
				"--db.budget.coordination.group=fleet --db.budget.coordination.heartbeat=$HEARTBEAT" \
				"--db.budget.coordination.demand-aware=$([ "$1" = demand-aware ] && echo true || echo false)" ;;
		# its first phase's pool from the start, ready when full like the others
		oracle) echo "--db.budget.enabled=false" ;;
		*) log "unknown configuration $1"; exit 1 ;;
	esac
}

run_config() {
	local config=$1 round=$2
	local dir=$RESULTS/round-$round/$config
	local go=$dir/go
	mkdir -p "$dir"
	local extra
	extra=$(config_args "$config")
	start_server "$SERVER_MAX" $SERVER_OPTS
	psql_su -d "$DATABASE" -c "VACUUM fleet_account" -c "CHECKPOINT"
	local log_start
	log_start=$(stat -c %s "$SERVER_LOG")
	start_sampler "$dir/samples.csv" $((START_TIMEOUT + SCHEDULE_SECONDS + GRACE + 30)) 0.2 "$SAMPLE_SQL"

	local launch_ms i port urls=()
	launch_ms=$(date +%s%3N)
	log "round $round, $config: launching $N instances ($extra)"
	APP_PIDS=()
	port=18080
	for i in $(seq 1 "$N"); do
		port=$(free_port $((port + 1)))
		urls+=("http://127.0.0.1:$port/actuator/dbconnections")
		local phases pool_args=""
		phases=$("$PY" "$HERE/demand.py" args "$RESULTS/phases.json" "$i" "$([ "$config" = oracle ] && echo oracle || echo plain)")
		if [ "$config" = oracle ]; then
			local first
			first=$(echo "$phases" | tr ' ' '\n' | sed -n 's/^--fleet.phases\[0\].pool-size=//p')
			pool_args="--spring.datasource.hikari.maximum-pool-size=$first --spring.datasource.hikari.minimum-idle=$first"
		fi
		# shellcheck disable=SC2086
		timeout -s KILL $((START_TIMEOUT + SCHEDULE_SECONDS + GRACE + 60)) java $JVM_OPTS -jar "$JAR" \
			--spring.datasource.url="jdbc:postgresql://127.0.0.1:$PORT/$DATABASE?ApplicationName=fleet-$i" \
			--spring.datasource.username="$APP_ROLE" --spring.datasource.password="$APP_PASSWORD" \
			--db.budget.application-name="fleet-$i" \
			--spring.main.web-application-type=servlet --server.address=127.0.0.1 --server.port="$port" \
			--server.tomcat.threads.max=4 --management.endpoints.web.exposure.include=dbconnections \
			--fleet.instance-id="$i" --fleet.config="$config" --fleet.mode=mixed \
			--fleet.sleep-min-ms="$SLEEP_MS" --fleet.sleep-max-ms="$SLEEP_MS" \
			--fleet.warmup=0s --fleet.grace="${GRACE}s" --fleet.out-dir="$dir" --fleet.go-file="$go" \
			--fleet.go-timeout="${START_TIMEOUT}s" $phases $extra $pool_args >"$dir/instance-$i.log" 2>&1 &
		APP_PIDS+=($!)
		sleep 1
	done

	local waited=0 ready alive pid
	while :; do
		ready=$(find "$dir" -maxdepth 1 -name '*.ready' | wc -l)
		alive=0
		for pid in "${APP_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
		if [ $((ready + N - alive)) -ge "$N" ] || [ "$waited" -ge $((START_TIMEOUT * 5)) ]; then break; fi
		sleep 0.2
		waited=$((waited + 1))
	done
	# Coordinated instances: go once all of them hold a coordination slot (at most 60 s), and
	# two heartbeats later, when every member has counted every other
	if [ "$config" = demand-aware ] || [ "$config" = equal ]; then
		local members=0 tries=0
		while [ "$tries" -lt 120 ]; do
			members=$(psql_su -d "$DATABASE" -Atc "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
				AND objsubid = 2 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = '$DATABASE')")
			[ "$members" -ge "$N" ] && break
			sleep 0.5
			tries=$((tries + 1))
		done
		log "round $round, $config: $members coordination member(s)"
	fi
	"$PY" "$HERE/demand.py" warm "${urls[@]}" 2>"$dir/endpoint-sampler.err"
	sleep 3
	local go_ms
	go_ms=$(date +%s%3N)
	touch "$go"
	log "round $round, $config: go after $(((go_ms - launch_ms) / 1000)) s ($ready ready), schedule $SCHEDULE_SECONDS s"
	"$PY" "$HERE/demand.py" sample "$dir/endpoints.jsonl" "$SCHEDULE_SECONDS" "$ENDPOINT_INTERVAL" "${urls[@]}" \
		2>>"$dir/endpoint-sampler.err" &
	ENDPOINT_PID=$!

	await_fleet
	local codes=$EXIT_CODES
	kill "$ENDPOINT_PID" 2>/dev/null || true
	wait "$ENDPOINT_PID" 2>/dev/null || true
	ENDPOINT_PID=
	local refused
	refused=$(refusals_since "$log_start")
	tail -c +$((log_start + 1)) "$SERVER_LOG" > "$dir/server.log"
	cat > "$dir/meta.properties" <<META
config=$config
round=$round
arguments=$extra
launchEpochMillis=$launch_ms
goEpochMillis=$go_ms
exitCodes=${codes# }
serverRefusals53300=$refused
load=$(cut -d' ' -f1-3 /proc/loadavg)
META
	log "round $round, $config: exit codes [$codes ], server refused $refused connection(s) (53300)"
}

STARTED=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
	order=$CONFIGS
	if [ $((round % 2)) = 0 ]; then order=$(echo "$CONFIGS" | tr ' ' '\n' | tac | tr '\n' ' '); fi
	for config in $order; do
		run_config "$config" "$round"
	done
done
echo "elapsedSeconds=$(($(date +%s) - STARTED))" >> "$RESULTS/machine.properties"
echo "loadAfter=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RESULTS/machine.properties"

log "report"
"$PY" "$HERE/demand.py" report "$RESULTS" "$DOCS" "$BUDGET"
log "done in $(($(date +%s) - STARTED)) s: $DOCS/demand.md, $DOCS/demand.png; raw results in $RESULTS"
