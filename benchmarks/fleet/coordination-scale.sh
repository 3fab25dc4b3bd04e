#!/usr/bin/env bash
#
# What fleet coordination costs the server as the fleet grows (issue 18, item 10). pgbench plays
# N members against a private PostgreSQL 15 server: each client is one member's coordination
# session. Its first transaction joins, as FleetMembership.join does: the session-level advisory
# lock (group, slot) and a member-like application_name. Every later transaction is one
# heartbeat, the statements of FleetMembership.takeTurn, in a prepared statement each as pgjdbc
# sends them:
#
#   BEGIN; set_config('lock_timeout', heartbeat / 2, true); pg_advisory_xact_lock(group << 32);
#   the members' read (pg_locks LEFT JOIN pg_stat_activity); set_config('application_name'); COMMIT
#
# pgbench --rate paces the fleet at N / heartbeat transactions per second, in one stream per
# pgbench thread taken in turn by the clients, so that each member runs about one heartbeat per
# period. Variants, each a phase of its own with the same N members joined:
#
#   idle      the members join and then send nothing: the baseline
#   full      the heartbeat as the library runs it
#   nojoin    the same transaction, reading pg_locks without the pg_stat_activity join
#   locks     the pg_locks read alone (no transaction, no turn, no publish)
#   leader    the change proposed in docs/benchmarks/coordination-scale.md: every member publishes, one member (client
#             0) also reads for all, no turn (not in the default plan)
#   reader<g> the heartbeat as the library runs it since issue 18: the turn is a session-level lock
#             (with a try for the reader lock), one member (client 0, the reader) reads for all and
#             sends the members to the group's channel (NOTIFY, one entry per member); every member
#             LISTENs, publishes and releases the turn; in g % of the heartbeats (reader0, reader1,
#             reader10, ...) a member grows and sends its state, otherwise it publishes and releases the
#             turn in one statement
#
# Measured over a window that starts once all N members hold their lock: the server's CPU (the
# postmaster's and all its children's, /proc/<pid>/schedstat), heartbeats per second, the
# heartbeat's latency from the pgbench log (median, p99; the schedule lag is subtracted), and the
# mean time of each statement (pgbench -r), among them the wait for the turn.
#
# Usage (from the repository root):   benchmarks/fleet/coordination-scale.sh
#
# Environment (all optional):
#   SCALE_MEMBERS="1 100 500"        fleet sizes
#   SCALE_PLAN="idle:1 full:5 full:1 nojoin:1 locks:1 idle:1"   variant:heartbeat-seconds, per size
#                                    (before/after: "idle:5 full:5 reader:5 full:5 reader:5 ...")
#   SCALE_WINDOW=15                  seconds measured per phase
#   SCALE_RESULTS=dir                default benchmarks/fleet/target/coordination-scale/<time>
#   PGBIN=/usr/lib/postgresql/15/bin
#
# About 10 minutes on a busy 2-core machine. Every pgbench runs under `timeout`; the server's
# directory is removed on exit, whatever happens.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
MEMBERS=${SCALE_MEMBERS:-"1 100 500"}
PLAN=${SCALE_PLAN:-"idle:1 full:5 full:1 nojoin:1 locks:1 idle:1"}
WINDOW=${SCALE_WINDOW:-15}
RESULTS=${SCALE_RESULTS:-$HERE/target/coordination-scale/$(date -u +%Y%m%dT%H%M%SZ)}
APP_ROLE=fleet APP_PASSWORD=fleet-bench-password DATABASE=fleet
# FleetMembership.groupKey("fleet"): CRC32 of the name, 31 bits
GROUP_KEY=$(printf fleet | gzip -c | tail -c 8 | od -An -tu4 -N4 | awk '{ printf "%d", $1 % 2147483648 }')

log() { printf '%s coordination-scale: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
# shellcheck source=private-server.sh
. "$HERE/private-server.sh"

PGBENCH_PID=
cleanup() {
	set +e
	[ -n "$PGBENCH_PID" ] && kill "$PGBENCH_PID" 2>/dev/null && wait "$PGBENCH_PID" 2>/dev/null
	stop_private_server
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$RESULTS/scripts"
largest=0
for n in $MEMBERS; do [ "$n" -gt "$largest" ] && largest=$n; done
create_private_server scale
start_server $((largest + 20))
create_fleet_schema
psql_app <<'SQL'
CREATE FUNCTION fleet_turn(turn bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(turn);
	RETURN true;
EXCEPTION WHEN lock_not_available THEN
	RETURN false;
END $$;
CREATE FUNCTION fleet_turn_session(turn bigint, reader bigint, is_reader boolean) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_lock(turn), CASE WHEN is_reader THEN false ELSE pg_try_advisory_lock(reader) END;
	RETURN true;
EXCEPTION WHEN lock_not_available THEN
	RETURN false;
END $$;
SQL

{
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc=$(nproc)"
	echo "postgres=$("$PGBIN/postgres" --version)"
	echo "members=$MEMBERS plan=$PLAN window=$WINDOW groupKey=$GROUP_KEY maxConnections=$MAX_CONNECTIONS"
} > "$RESULTS/machine.properties"

# The members' read, as FleetMembership.MEMBERS, and the same without the join
READ_FULL="SELECT l.objid::bigint, a.application_name FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted AND l.classid::bigint = :group AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1;"
READ_LOCKS="SELECT l.objid::bigint FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted AND l.classid::bigint = :group AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1;"

# The reader's read, as FleetMembership.MEMBERS since issue 18: whether each member sends its growth
# comes from its second lock
READ_READER="SELECT l.objid::bigint, a.application_name, s.pid IS NOT NULL FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid LEFT JOIN pg_locks s ON s.pid = l.pid AND s.locktype = 'advisory' AND s.objsubid = 1 AND s.classid = l.classid AND s.objid = l.objid AND s.granted WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted AND l.classid::bigint = :group AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1;"
CHANNEL=db_budget_fleet_$GROUP_KEY

# The heartbeat since issue 18 (FleetMembership.takeTurn with a FleetView): the turn, a session-level
# lock whose wait is bounded by the session's lock_timeout. The reader reads and sends the members
# (one entry "slot:demand:held:allocation" per member, as FleetView sends them) with its publish,
# then releases the turn; a member that grew (g % of the heartbeats) sends its state with
# its publish, then releases; any other member publishes and releases in one statement
reader_body() {
	local growth=${1:-10}
	cat <<SQL
\set d random(0, 50)
\set grows random(1, 100)
SELECT fleet_turn_session(:turn, :reader, :client_id = 0)::int AS turn_taken \gset
\if :turn_taken = 1
\if :client_id = 0
$READ_READER
SELECT set_config('application_name', 'db-budget fleet d=' || :d::text || ' h=10 a=14', false), (SELECT count(pg_notify('$CHANNEL', p)) FROM unnest(ARRAY['S1/1 ' || (SELECT string_agg(g::text || ':25:10:14', ';') FROM generate_series(0, :members - 1) g)]) p);
SELECT pg_advisory_unlock(:turn);
\elif :grows <= $growth
SELECT set_config('application_name', 'db-budget fleet d=' || :d::text || ' h=10 a=14', false), (SELECT count(pg_notify('$CHANNEL', p)) FROM unnest(ARRAY['G ' || :client_id::text || ':' || :d::text || ':10:14']) p);
SELECT pg_advisory_unlock(:turn);
\else
SELECT set_config('application_name', 'db-budget fleet d=' || :d::text || ' h=10 a=14', false), pg_advisory_unlock(:turn);
\endif
\endif
SQL
}

# A turn that times out skips the read and the publish, as takeTurn does; pgbench would abort the
# client on the lock timeout's error, so fleet_turn catches it
heartbeat_body() {
	cat <<SQL
\set d random(0, 50)
BEGIN;
SELECT set_config('lock_timeout', :lock_timeout, true);
SELECT fleet_turn(:turn)::int AS turn_taken \gset
\if :turn_taken = 1
$1
SELECT set_config('application_name', 'db-budget fleet d=' || :d::text || ' h=10 a=14', false);
\endif
COMMIT;
SQL
}

# The first transaction of every client joins; the others run the variant's body
write_script() {
	local variant=$1 file=$RESULTS/scripts/$1.sql
	{
		echo '\if :joined = 0'
		echo 'SELECT pg_advisory_lock(:group, :client_id);'
		echo "SELECT set_config('application_name', 'db-budget fleet d=0 h=0 a=0', false);"
		if [ "${variant#reader}" != "$variant" ]; then
			# FleetMembership.listen: the turn's wait, the lock that says the member sends its growth
			echo "SELECT set_config('lock_timeout', :lock_timeout, false), pg_advisory_lock(:group::bigint << 32 | :client_id);"
			echo "LISTEN $CHANNEL;"
		fi
		echo '\set joined 1'
		echo '\else'
		case $variant in
			idle) echo '\set d 0' ;;
			full) heartbeat_body "$READ_FULL" ;;
			nojoin) heartbeat_body "$READ_LOCKS" ;;
			locks) echo "$READ_LOCKS" ;;
			reader*) reader_body "${variant#reader}" ;;
			leader)
				echo '\if :client_id = 0'
				echo "$READ_FULL"
				echo '\endif'
				echo '\set d random(0, 50)'
				echo "SELECT set_config('application_name', 'db-budget fleet d=' || :d::text || ' h=10 a=14', false);"
				;;
			*) log "unknown variant $variant"; exit 1 ;;
		esac
		echo '\endif'
	} > "$file"
}
for variant in $(for step in $PLAN; do echo "${step%%:*}"; done | sort -u); do write_script "$variant"; done

# "pid ns" for the postmaster and each of its children: CPU time from /proc/<pid>/schedstat, which
# is exact where the ticks of /proc/<pid>/stat would lose up to one tick per backend
server_cpu_ns() {
	local postmaster pid
	postmaster=$(head -1 "$DATA/postmaster.pid")
	for pid in "$postmaster" $(pgrep -P "$postmaster"); do
		[ -r "/proc/$pid/schedstat" ] && printf '%s %s\n' "$pid" "$(cut -d' ' -f1 "/proc/$pid/schedstat" 2>/dev/null)"
	done
	return 0
}

# The server's CPU between two snapshots, in ns: what each process still alive at the second used
# since the first (or since it started), so that a process that exits in between (an autovacuum
# worker, a backend of the phase before) takes nothing away
cpu_between() {
	awk 'NR == FNR { before[$1] = $2; next } $2 != "" { sum += $2 - before[$1] } END { printf "%.0f", sum }' "$1" "$2"
}

children() { pgrep -c -P "$(head -1 "$DATA/postmaster.pid")" || true; }

members_joined() {
	psql_su -d "$DATABASE" -Atc "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 \
		AND granted AND classid::bigint = $GROUP_KEY"
}

# phase N VARIANT HEARTBEAT: one line in phases.csv
phase() {
	local n=$1 variant=$2 heartbeat=$3
	local dir=$RESULTS/$n-$variant-${heartbeat}s-$(date +%s)
	mkdir -p "$dir"
	local threads=$((n > 1 ? 2 : 1))
	# Joins take about one heartbeat (the first slot of each client's stream); up to three are
	# waited for, then 2 s before the window. pgbench's clock starts before its clients connect
	# (500 SCRAM logins take tens of seconds on a busy machine), and it must outlast the window
	local duration=$((3 * heartbeat + 2 + WINDOW + 10 + n / 15))
	local rate lock_timeout
	rate=$(awk -v n="$n" -v h="$heartbeat" 'BEGIN { printf "%.3f", n / h }')
	lock_timeout=$((heartbeat * 500))ms
	PGPASSWORD=$APP_PASSWORD timeout $((duration + 120)) "$PGBIN/pgbench" -n -M prepared \
		-h 127.0.0.1 -p "$PORT" -U "$APP_ROLE" -c "$n" -j "$threads" -R "$rate" -T "$duration" \
		-r -l --log-prefix="$dir/tx" -D joined=0 -D group="$GROUP_KEY" -D turn=$((GROUP_KEY << 32 | 4294967295)) \
		-D reader=$((GROUP_KEY << 32 | 4294967294)) -D members="$n" \
		-D lock_timeout="$lock_timeout" -f "$RESULTS/scripts/$variant.sql" "$DATABASE" \
		>"$dir/pgbench.out" 2>"$dir/pgbench.err" &
	PGBENCH_PID=$!
	local waited=0 joined=0
	while [ "$waited" -lt $((30 + 3 * heartbeat * 4)) ] && kill -0 "$PGBENCH_PID" 2>/dev/null; do
		joined=$(members_joined 2>/dev/null || echo 0)
		[ "$joined" -ge "$n" ] && break
		sleep 0.25
		waited=$((waited + 1))
	done
	sleep 2
	joined=$(members_joined || echo 0)
	local start_s end_s
	start_s=$(date +%s.%N)
	server_cpu_ns > "$dir/cpu-before.txt"
	sleep "$WINDOW"
	server_cpu_ns > "$dir/cpu-after.txt"
	end_s=$(date +%s.%N)
	local joined_end
	joined_end=$(members_joined || echo 0)
	kill -0 "$PGBENCH_PID" 2>/dev/null || log "pgbench ended before the window did: the figures of $dir are not valid"
	wait "$PGBENCH_PID" || log "pgbench exited with $?, see $dir/pgbench.err"
	PGBENCH_PID=
	# The next phase starts once this one's backends are gone (at most 60 s)
	local gone=0
	while [ "$(children)" -gt "$IDLE_CHILDREN" ] && [ "$gone" -lt 240 ]; do sleep 0.25; gone=$((gone + 1)); done
	local aborted
	aborted=$(grep -c 'aborted' "$dir/pgbench.err" || true)
	# Heartbeats that ended in the window (the joins came before it), latency without the schedule
	# lag, in µs. The idle members' heartbeats send nothing: no latency
	cat "$dir"/tx.* | awk -v s="$start_s" -v e="$end_s" -v v="$variant" \
		'v != "idle" && $5 + $6 / 1e6 >= s && $5 + $6 / 1e6 < e { print $3 - $7 }' \
		| sort -n > "$dir/latencies-us.txt"
	local count p50 p99 timed_out
	count=$(wc -l < "$dir/latencies-us.txt")
	# A heartbeat that took the whole lock_timeout or longer did not get its turn, or barely
	timed_out=$(awk -v t=$((heartbeat * 500000)) '$1 >= t { c++ } END { print c + 0 }' "$dir/latencies-us.txt")
	p50=$(awk -v c="$count" 'NR == int(c * 0.50) + 1 { print; exit }' "$dir/latencies-us.txt")
	p99=$(awk -v c="$count" 'NR == int(c * 0.99) + 1 { print; exit }' "$dir/latencies-us.txt")
	# Mean ms per statement (pgbench -r): a round trip (the lock_timeout), the turn, the read, and
	# what follows the read until the turn is released (publish, commit)
	local rtt_ms turn_ms read_ms after_read_ms
	rtt_ms=$(awk '/lock_timeout/ { print $1; exit }' "$dir/pgbench.out")
	turn_ms=$(awk '/fleet_turn/ { print $1; exit }' "$dir/pgbench.out")
	read_ms=$(awk '/FROM pg_locks/ { print $1; exit }' "$dir/pgbench.out")
	after_read_ms=$(awk '/d=. \|\|/ || /^ *[0-9.]+ +[0-9]+ +COMMIT;/ { sum += $1; seen = 1 } END { if (seen) print sum }' "$dir/pgbench.out")
	local line
	line=$(awk -v n="$n" -v v="$variant" -v h="$heartbeat" -v j="$joined/$joined_end" \
		-v d="$(cpu_between "$dir/cpu-before.txt" "$dir/cpu-after.txt")" -v to="$timed_out" \
		-v s="$start_s" -v e="$end_s" -v c="$count" -v p50="${p50:-}" -v p99="${p99:-}" -v rtt="${rtt_ms:-}" \
		-v t="${turn_ms:-}" -v r="${read_ms:-}" -v ar="${after_read_ms:-}" -v a="$aborted" \
		'BEGIN { w = e - s; printf "%d,%s,%d,%s,%.1f,%.3f,%.1f,%s,%s,%d,%s,%s,%s,%s,%d\n", n, v, h, j, c / w, d / 1e9 / w * 100, w, p50, p99, to, rtt, t, r, ar, a }')
	echo "$line" >> "$RESULTS/phases.csv"
	log "$line"
}

echo "members,variant,heartbeatSeconds,membersAtStartAndEnd,heartbeatsPerSecond,serverCpuPercentOfCore,windowSeconds,p50us,p99us,turnsTimedOut,roundTripMeanMs,turnMeanMs,readMeanMs,publishCommitMeanMs,abortedClients" \
	> "$RESULTS/phases.csv"
# The postmaster's own children with no client connected: checkpointer, walwriter and the like
IDLE_CHILDREN=$(children)
STARTED=$(date +%s)
for n in $MEMBERS; do
	for step in $PLAN; do
		phase "$n" "${step%%:*}" "${step##*:}"
	done
done
echo "elapsedSeconds=$(($(date +%s) - STARTED))" >> "$RESULTS/machine.properties"
log "done in $(($(date +%s) - STARTED)) s: $RESULTS/phases.csv"
column -s, -t < "$RESULTS/phases.csv" >&2
