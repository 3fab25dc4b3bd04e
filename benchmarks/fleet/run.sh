#!/usr/bin/env bash
#
# Fleet benchmark of db-budget: N instances of one Spring Boot application (separate JVMs)
# against one private PostgreSQL 15 server, four pool configurations back to back, plus a
# single instance next to pgbench; and, as scenario "mariadb", 4 instances against a private
# MariaDB server (plain pools of 20, hand-tuned pools, the starter). Writes the tables and chart inputs
# of docs/benchmarks/fleet.md and docs/benchmarks/mariadb-fleet.md:
#
#   docs/fleet/results.md     the tables, generated
#   docs/fleet/results.json   every figure, generated
#   docs/fleet/fleet-benchmark.png, docs/fleet/fleet-connections.png
#
# Usage (from the repository root):   benchmarks/fleet/run.sh
#
# Environment (all optional):
#   FLEET_DURATION=20         seconds of each measured window
#   FLEET_WARMUP=5            seconds of unmeasured run-in before it (errors still count)
#   FLEET_STAGGER=3           seconds between two instances' launches (as a rollout brings them up)
#   FLEET_CEILING_DURATION=10 seconds of each pgbench run of the fleet transaction (the ceiling; 0: none)
#   FLEET_CONFIGS="boot-defaults pool-of-1 hand-tuned db-budget"   fleet configurations, in this order
#   FLEET_ROUNDS=2            rounds of every fleet configuration; even rounds run them in reverse
#                             order, so that neither order nor drift favours one (the report adds rounds up)
#   FLEET_A_INSTANCES=5       instances in scenario A (4 x 10 Boot-default pools on 37 usable slots
#                             overcommit without a single failure, see docs/benchmarks/fleet.md)
#   FLEET_SINGLE_THREADS=200  client threads of the single instance
#   FLEET_SINGLE_FEW_THREADS=20   client threads of its second, diagnostic run (0: none)
#   FLEET_SKIP_INSTALL=1      do not `mvn install` the root project first
#   FLEET_MVN_ARGS=           extra Maven arguments, e.g. -Dmaven.repo.local=...
#   FLEET_SCENARIOS="a b single"   which scenarios to run; "mariadb" adds the MariaDB fleet
#                             (mariadb-install-db and mariadbd, MariaDB 10.6+, on PATH or MARIADBD)
#   FLEET_MARIADB_CONFIGS="plain-20 hand-tuned db-budget"   its configurations, in this order;
#                             db-budget-no-gate (the starter without its admission gate) may join them
#   FLEET_MARIADB_HAND_POOL=8 the hand-tuned pool of the MariaDB fleet: the starter's share,
#                             (40 - 8 reserved) / 4 instances
#   FLEET_RESULTS=dir         raw results (default benchmarks/fleet/target/results/<time>)
#   FLEET_DOCS=dir            where the generated files go (default docs/fleet)
#   PGBIN=/usr/lib/postgresql/15/bin
#
# Everything stays on 127.0.0.1. The server lives in a temporary directory (owned by the
# postgres OS user when run as root, because initdb/postgres refuse root) and is stopped and
# removed on exit, whatever happens. Every JVM and the sampler are bounded in time and killed
# by their own PIDs if they overrun.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DURATION=${FLEET_DURATION:-20}
WARMUP=${FLEET_WARMUP:-5}
SINGLE_THREADS=${FLEET_SINGLE_THREADS:-200}
SINGLE_FEW_THREADS=${FLEET_SINGLE_FEW_THREADS:-20}
A_INSTANCES=${FLEET_A_INSTANCES:-5}
STAGGER=${FLEET_STAGGER:-3}
CEILING_DURATION=${FLEET_CEILING_DURATION:-10}
CONFIGS=${FLEET_CONFIGS:-"boot-defaults pool-of-1 hand-tuned db-budget"}
ROUNDS=${FLEET_ROUNDS:-2}
SCENARIOS=${FLEET_SCENARIOS:-"a b single"}
RESULTS=${FLEET_RESULTS:-$HERE/target/results/$(date -u +%Y%m%dT%H%M%SZ)}
DOCS=${FLEET_DOCS:-$ROOT/docs/fleet}
JAR=$HERE/target/fleet-bench.jar

# Fleet JVMs: small heap, serial GC, C1 only (15 JVMs share 2 cores: C2 compile threads would
# compete with the workload, and a 20 s window does not pay them back)
FLEET_JVM_OPTS=${FLEET_JVM_OPTS:-"-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k"}
# The single instance has the machine to itself: full tiered compilation
SINGLE_JVM_OPTS=${SINGLE_JVM_OPTS:-"-Xms256m -Xmx512m -XX:+UseSerialGC -Xss512k"}

APP_ROLE=fleet
APP_PASSWORD=fleet-bench-password
DATABASE=fleet
START_TIMEOUT=240        # seconds for every instance of a configuration to be ready
GRACE=30                 # seconds after the window before an instance is killed

log() { printf '%s fleet: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# shellcheck source=private-server.sh
. "$HERE/private-server.sh"
# shellcheck source=private-mariadb.sh
. "$HERE/private-mariadb.sh"

# --- build ---------------------------------------------------------------------------------
if [ "${FLEET_SKIP_INSTALL:-0}" != 1 ]; then
	log "installing the starter (mvn install -DskipTests in $ROOT)"
	(cd "$ROOT" && mvn -q -B ${FLEET_MVN_ARGS:-} install -DskipTests)
fi
log "building $JAR"
# Removed first: an up-to-date jar is not repackaged, and would keep the starter it was built with
rm -f "$JAR"
mvn -q -B ${FLEET_MVN_ARGS:-} -f "$HERE/pom.xml" package -DskipTests
mkdir -p "$RESULTS" "$DOCS"

# --- private server --------------------------------------------------------------------------
SAMPLER_PID=
CPU_PID=
APP_PIDS=()

cleanup() {
	set +e
	for pid in "${APP_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
	[ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null
	[ -n "$CPU_PID" ] && kill "$CPU_PID" 2>/dev/null
	stop_private_server
	stop_mariadb
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Which server the configurations run against: postgresql, or mariadb during that scenario
SERVER_KIND=postgresql
if [ -n "$(echo " $SCENARIOS " | grep -E ' (a|b|single) ')" ]; then
	create_private_server fleet
	start_server 40
	create_fleet_schema
	PGPASSWORD=$APP_PASSWORD "$PGBIN/pgbench" -i -s 1 -q -h 127.0.0.1 -p "$PORT" -U "$APP_ROLE" "$DATABASE" \
		>"$RESULTS/pgbench-init.log" 2>&1
	psql_app -c "VACUUM ANALYZE fleet_item, fleet_account"
fi

# --- machine ---------------------------------------------------------------------------------
{
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc=$(nproc)"
	echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
	echo "memory=$(free -h | awk '/^Mem:/ {print $2}')"
	echo "java=$(java -version 2>&1 | head -1)"
	echo "jvm=$(java -version 2>&1 | sed -n 3p)"
	echo "postgres=$("$PGBIN/postgres" --version)"
	echo "pgbench=$("$PGBIN/pgbench" --version)"
	case " $SCENARIOS " in *" mariadb "*) echo "mariadbd=$("$MARIADBD" --version)" ;; esac
	echo "kernel=$(uname -sr)"
	echo "loadBefore=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "fleetJvmOpts=$FLEET_JVM_OPTS"
	echo "singleJvmOpts=$SINGLE_JVM_OPTS"
	echo "duration=$DURATION"
	echo "warmup=$WARMUP"
	echo "stagger=$STAGGER"
	echo "rounds=$ROUNDS"
	echo "ceilingDuration=$CEILING_DURATION"
} > "$RESULTS/machine.properties"

# --- CPU ---------------------------------------------------------------------------------------
# sample_cpu FILE DELAY: after DELAY seconds, the cores each command (java, postgres, pgbench, mariadbd) used
# over the next 4 s, from top's second sample; on 2 cores shared by clients and server this says
# who had the CPU
sample_cpu() {
	sleep "$2"
	top -b -d 4 -n 2 -w 512 | awk '/^top -/ { n++ } n == 2 && $1 ~ /^[0-9]+$/ { cpu[$12] += $9 }
		END { for (c in cpu) if (c == "java" || c == "postgres" || c == "pgbench" || c == "mariadbd") printf "%s=%.2f\n", c, cpu[c] / 100 }' > "$1"
}

# --- one configuration -----------------------------------------------------------------------
# run_config SCENARIO LABEL ROUND INSTANCES THREADS MODE "JVM OPTS" [app arguments...]
run_config() {
	local scenario=$1 label=$2 round=$3 instances=$4 threads=$5 mode=$6 jvm_opts=$7
	shift 7
	local dir=$RESULTS/$scenario/$label/round-$round
	local go=$dir/go
	mkdir -p "$dir"
	# Connections sampled every 200 ms on a session that takes none of the max_connections slots
	# the fleet competes for: on PostgreSQL from pg_stat_activity on a replication (walsender)
	# session, on MariaDB from information_schema.PROCESSLIST as root on the extra port
	local sampler_limit=$((START_TIMEOUT + WARMUP + DURATION + GRACE + 30))
	local url refusals_before refusals_key reserved_slots
	if [ "$SERVER_KIND" = mariadb ]; then
		url="jdbc:mariadb://127.0.0.1:$MARIA_PORT/$DATABASE"
		refusals_key=serverRefusals1040
		reserved_slots=0
		refusals_before=$(mariadb_aborted_connects)
		start_mariadb_sampler "$dir/connections.csv" "$sampler_limit" 0.2
	else
		url="jdbc:postgresql://127.0.0.1:$PORT/$DATABASE"
		refusals_key=serverRefusals53300
		reserved_slots=3
		psql_su -d "$DATABASE" -c "VACUUM fleet_account" -c "CHECKPOINT"
		refusals_before=$(stat -c %s "$SERVER_LOG")
		start_sampler "$dir/connections.csv" "$sampler_limit" 0.2 "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint, count(*) FILTER (WHERE usename = '$APP_ROLE'), count(*) FILTER (WHERE usename = '$APP_ROLE' AND state = 'active'), count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
	fi

	local launch_ms
	launch_ms=$(date +%s%3N)
	log "$scenario/$label (round $round): launching $instances instance(s) x $threads threads ($*)"
	APP_PIDS=()
	local i start_file=()
	for i in $(seq 1 "$instances"); do
		if [ "$ORDERED_START" = 1 ]; then start_file=(--fleet.start-file="$dir/start-$i"); fi
		# shellcheck disable=SC2086
		java $jvm_opts -jar "$JAR" \
			--spring.datasource.url="$url" \
			--spring.datasource.username="$APP_ROLE" --spring.datasource.password="$APP_PASSWORD" \
			--fleet.instance-id="$i" --fleet.config="$label" --fleet.threads="$threads" --fleet.mode="$mode" \
			--fleet.duration="${DURATION}s" --fleet.warmup="${WARMUP}s" --fleet.grace="${GRACE}s" --fleet.out-dir="$dir" --fleet.go-file="$go" \
			--fleet.go-timeout="${START_TIMEOUT}s" "${start_file[@]}" "$@" >"$dir/instance-$i.log" 2>&1 &
		APP_PIDS+=($!)
		if [ "$i" -lt "$instances" ] && [ "$ORDERED_START" != 1 ]; then sleep "$STAGGER"; fi
	done
	if [ "$ORDERED_START" = 1 ]; then start_in_order "$dir" "$instances"; fi

	# Go when every instance is ready or has exited (bounded by START_TIMEOUT)
	local waited=0 ready alive pid
	while :; do
		ready=$(find "$dir" -maxdepth 1 -name '*.ready' | wc -l)
		alive=0
		for pid in "${APP_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
		local done_or_ready=$((ready + instances - alive))
		if [ "$done_or_ready" -ge "$instances" ] || [ "$waited" -ge $((START_TIMEOUT * 5)) ]; then break; fi
		sleep 0.2
		waited=$((waited + 1))
	done
	local go_ms
	go_ms=$(date +%s%3N)
	touch "$go"
	log "$scenario/$label: go after $(((go_ms - launch_ms) / 1000)) s ($ready ready)"
	sample_cpu "$dir/cpu.properties" $((WARMUP + DURATION / 2 - 2)) &
	CPU_PID=$!

	# Wait for every instance, bounded: warm-up + window + grace + 15 s, then kill by PID
	local limit=$(((WARMUP + DURATION + GRACE + 15) * 5)) n=0
	while :; do
		alive=0
		for pid in "${APP_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
		[ "$alive" -eq 0 ] && break
		if [ "$n" -ge "$limit" ]; then
			log "$scenario/$label: $alive instance(s) overran, killing them"
			for pid in "${APP_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
			break
		fi
		sleep 0.2
		n=$((n + 1))
	done
	await_fleet
	wait "$CPU_PID" 2>/dev/null || true
	CPU_PID=
	local exit_codes=$EXIT_CODES

	# Connection attempts the server refused for lack of slots in this run: 53300 lines in
	# PostgreSQL's log; MariaDB logs none, its failed logins are counted instead
	local refused
	if [ "$SERVER_KIND" = mariadb ]; then
		refused=$(($(mariadb_aborted_connects) - refusals_before))
	else
		refused=$(refusals_since "$refusals_before")
	fi
	cat > "$dir/meta.properties" <<EOF
scenario=$scenario
label=$label
round=$round
instances=$instances
threads=$threads
mode=$mode
maxConnections=$MAX_CONNECTIONS
superuserReservedConnections=$reserved_slots
arguments=$*
jvmOpts=$jvm_opts
launchEpochMillis=$launch_ms
goEpochMillis=$go_ms
exitCodes=$(echo "$exit_codes" | sed 's/^ //')
$refusals_key=$refused
load=$(cut -d' ' -f1-3 /proc/loadavg)
EOF
	log "$scenario/$label: done, exit codes [$exit_codes ], server refused $refused connection(s) (${refusals_key#serverRefusals})"
}

# With ORDERED_START=1 the JVMs start together, but each instance's start-up query waits for its
# start-<i> file: start_in_order DIR INSTANCES gives instance i+1 its file once instance i is
# ready (its pool filled) or has exited, as a rollout that waits for readiness brings a fleet up.
# Without it the launch stagger would order the pools only on a machine where a JVM starts in
# less than the stagger
ORDERED_START=0
start_in_order() {
	local dir=$1 instances=$2 i waited
	for i in $(seq 1 "$instances"); do
		touch "$dir/start-$i"
		waited=0
		while [ ! -f "$dir/$i.ready" ] && kill -0 "${APP_PIDS[$((i - 1))]}" 2>/dev/null \
			&& [ "$waited" -lt $((START_TIMEOUT * 5)) ]; do
			sleep 0.2
			waited=$((waited + 1))
		done
	done
}

# run_fleet SCENARIO MAX_CONNECTIONS INSTANCES THREADS
run_fleet() {
	local scenario=$1 max=$2 instances=$3 threads=$4
	local hand=$(((max - 3) / instances))
	start_server "$max"
	# Unmeasured run-in of the freshly started server with the fleet's transaction, so that the
	# first configuration does not pay for a cold server
	PGPASSWORD=$APP_PASSWORD timeout $((WARMUP + 60)) "$PGBIN/pgbench" -n -M prepared -f "$HERE/fleet-tx.sql" \
		-c $((hand * instances)) -j 2 -T "$WARMUP" -h 127.0.0.1 -p "$PORT" -U "$APP_ROLE" "$DATABASE" \
		>"$RESULTS/$scenario-server-warmup.log" 2>&1
	local round config order
	for round in $(seq 1 "$ROUNDS"); do
		order=$CONFIGS
		if [ $((round % 2)) = 0 ]; then order=$(echo "$CONFIGS" | tr ' ' '\n' | tac | tr '\n' ' '); fi
		for config in $order; do
			case $config in
				boot-defaults) run_config "$scenario" boot-defaults "$round" "$instances" "$threads" mixed "$FLEET_JVM_OPTS" \
					--db.budget.enabled=false ;;
				pool-of-1) run_config "$scenario" pool-of-1 "$round" "$instances" "$threads" mixed "$FLEET_JVM_OPTS" \
					--db.budget.enabled=false --spring.datasource.hikari.maximum-pool-size=1 ;;
				hand-tuned) run_config "$scenario" hand-tuned "$round" "$instances" "$threads" mixed "$FLEET_JVM_OPTS" \
					--db.budget.enabled=false --spring.datasource.hikari.maximum-pool-size="$hand" ;;
				db-budget) run_config "$scenario" db-budget "$round" "$instances" "$threads" mixed "$FLEET_JVM_OPTS" \
					--db.budget.instances="$instances" --spring.datasource.hikari.maximum-pool-size=50 ;;
				*) log "unknown configuration $config"; exit 1 ;;
			esac
		done
	done
	[ "$CEILING_DURATION" -gt 0 ] || return 0
	# The same transaction from pgbench (a client that costs next to nothing) at the connection
	# counts of pool-of-1 and hand-tuned: what this server can do with that many connections
	local connections
	for connections in "$instances" $((hand * instances)); do
		psql_su -d "$DATABASE" -c "VACUUM fleet_account" -c "CHECKPOINT"
		PGPASSWORD=$APP_PASSWORD timeout $((CEILING_DURATION + 60)) "$PGBIN/pgbench" -n -M prepared \
			-f "$HERE/fleet-tx.sql" -c "$connections" -j 2 -T "$CEILING_DURATION" -h 127.0.0.1 -p "$PORT" \
			-U "$APP_ROLE" "$DATABASE" >"$RESULTS/$scenario/ceiling-$connections.log" 2>&1
		log "$scenario: pgbench ceiling with $connections connections: $(grep -E '^tps' "$RESULTS/$scenario/ceiling-$connections.log")"
	done
}

run_single() {
	start_server 13
	local dir=$RESULTS/single
	mkdir -p "$dir/pgbench"
	# pgbench's own unmeasured run-in, as long as the app's warm-up
	PGPASSWORD=$APP_PASSWORD "$PGBIN/pgbench" -S -n -c 10 -j 2 -T "$WARMUP" -h 127.0.0.1 -p "$PORT" -U "$APP_ROLE" \
		"$DATABASE" >"$dir/pgbench-warmup.log" 2>&1
	run_config single db-budget-select 1 1 "$SINGLE_THREADS" select "$SINGLE_JVM_OPTS" \
		--db.budget.instances=1 --spring.datasource.hikari.maximum-pool-size=50
	# The same pool with fewer client threads: what 200 threads queueing for 10 connections cost
	if [ "$SINGLE_FEW_THREADS" -gt 0 ]; then
		run_config single db-budget-select-few 1 1 "$SINGLE_FEW_THREADS" select "$SINGLE_JVM_OPTS" \
			--db.budget.instances=1 --spring.datasource.hikari.maximum-pool-size=50
	fi
	log "single: pgbench -S -c 10 -j 2 -T $DURATION"
	psql_su -d "$DATABASE" -c "CHECKPOINT"
	sample_cpu "$dir/pgbench/cpu.properties" $((DURATION / 2 - 2)) &
	CPU_PID=$!
	(cd "$dir/pgbench" && PGPASSWORD=$APP_PASSWORD timeout $((DURATION + 60)) "$PGBIN/pgbench" -S -n -c 10 -j 2 \
		-T "$DURATION" -l --sampling-rate=0.02 -h 127.0.0.1 -p "$PORT" -U "$APP_ROLE" "$DATABASE") \
		>"$dir/pgbench/pgbench.log" 2>&1
	wait "$CPU_PID" 2>/dev/null || true
	CPU_PID=
	echo "maxConnections=13" > "$dir/pgbench/meta.properties"
	echo "load=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$dir/pgbench/meta.properties"
	log "single: $(grep -E '^tps' "$dir/pgbench/pgbench.log" | tr '\n' ' ')"
}

# The MariaDB fleet (issue 15): 4 instances x 30 threads on max_connections 40, plain pools of
# 20 (the control, which overcommits), hand-tuned pools and the starter (pools of 20 asked,
# instances=4, reserved-connections=8: (40 - 8) / 4 = 8 each)
run_mariadb() {
	local instances=4 threads=30 max=40 reserved=8
	local hand=${FLEET_MARIADB_HAND_POOL:-$(((max - reserved) / instances))}
	SERVER_KIND=mariadb
	ORDERED_START=1
	start_mariadb "$max"
	MAX_CONNECTIONS=$max
	create_mariadb_schema
	local round config order configs=${FLEET_MARIADB_CONFIGS:-"plain-20 hand-tuned db-budget"}
	for round in $(seq 1 "$ROUNDS"); do
		order=$configs
		if [ $((round % 2)) = 0 ]; then order=$(echo "$configs" | tr ' ' '\n' | tac | tr '\n' ' '); fi
		for config in $order; do
			case $config in
				plain-20) run_config mariadb plain-20 "$round" "$instances" "$threads" mixed "$FLEET_JVM_OPTS" \
					--fleet.dialect=mariadb --db.budget.enabled=false --spring.datasource.hikari.maximum-pool-size=20 ;;
				hand-tuned) run_config mariadb hand-tuned "$round" "$instances" "$threads" mixed "$FLEET_JVM_OPTS" \
					--fleet.dialect=mariadb --db.budget.enabled=false --spring.datasource.hikari.maximum-pool-size="$hand" ;;
				db-budget) run_config mariadb db-budget "$round" "$instances" "$threads" mixed "$FLEET_JVM_OPTS" \
					--fleet.dialect=mariadb --db.budget.instances="$instances" --db.budget.reserved-connections="$reserved" \
					--spring.datasource.hikari.maximum-pool-size=20 ;;
				db-budget-no-gate) run_config mariadb db-budget-no-gate "$round" "$instances" "$threads" mixed "$FLEET_JVM_OPTS" \
					--fleet.dialect=mariadb --db.budget.instances="$instances" --db.budget.reserved-connections="$reserved" \
					--spring.datasource.hikari.maximum-pool-size=20 --db.budget.admission.enabled=false ;;
				*) log "unknown configuration $config"; exit 1 ;;
			esac
		done
	done
	stop_mariadb
	SERVER_KIND=postgresql
	ORDERED_START=0
}

STARTED=$(date +%s)
for scenario in $SCENARIOS; do
	case $scenario in
		a) run_fleet a 40 "$A_INSTANCES" 30 ;;
		b) run_fleet b 100 15 10 ;;
		single) run_single ;;
		mariadb) run_mariadb ;;
		*) log "unknown scenario $scenario"; exit 1 ;;
	esac
done
echo "elapsedSeconds=$(($(date +%s) - STARTED))" >> "$RESULTS/machine.properties"
echo "loadAfter=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RESULTS/machine.properties"

log "report"
java -Djava.awt.headless=true -jar "$JAR" report --results="$RESULTS" --docs="$DOCS"
log "done in $(($(date +%s) - STARTED)) s: tables in $DOCS, raw results in $RESULTS"
