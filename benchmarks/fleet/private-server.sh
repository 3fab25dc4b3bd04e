# Shared by run.sh and coordinated.sh (sourced, not run): a private PostgreSQL server for the
# fleet benchmarks, with a password-protected application role and the fleet schema.
#
# Expects PGBIN, APP_ROLE, APP_PASSWORD, DATABASE and a log function; sets WORK, DATA,
# SERVER_LOG and PORT. The caller's cleanup calls stop_private_server.

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# initdb and postgres refuse root: the directory belongs to the postgres OS user
create_private_server() {
	WORK=$(mktemp -d "/tmp/dbbudget-$1.XXXXXX")
	chmod 755 "$WORK"
	[ "$(id -u)" = 0 ] && chown postgres "$WORK"
	DATA=$WORK/data
	SERVER_LOG=$WORK/server.log
	PORT=
	for candidate in $(seq 55432 55532); do
		if [ -z "$(ss -Hltn "sport = :$candidate" 2>/dev/null)" ]; then PORT=$candidate; break; fi
	done
	[ -n "$PORT" ] || { log "no free port in 55432-55532"; exit 1; }
	log "initdb in $DATA, port $PORT"
	as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
		--no-instructions >/dev/null
	cat > "$DATA/pg_hba.conf" <<HBA
local   all          all                        trust
host    replication  postgres   127.0.0.1/32    trust
host    all          postgres   127.0.0.1/32    trust
host    all          $APP_ROLE  127.0.0.1/32    scram-sha-256
HBA
	[ "$(id -u)" = 0 ] && chown postgres "$DATA/pg_hba.conf"
}

# (Re)starts the server with the given max_connections (kept in MAX_CONNECTIONS), 3 of them
# reserved for superusers; further arguments are more server options ("-c name=value ...")
start_server() {
	MAX_CONNECTIONS=$1
	shift
	if [ -f "$DATA/postmaster.pid" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
	fi
	as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$SERVER_LOG" -w -t 60 -o "-c port=$PORT -c listen_addresses=127.0.0.1 \
		-c unix_socket_directories=$WORK -c max_connections=$MAX_CONNECTIONS -c superuser_reserved_connections=3 $*" \
		start >/dev/null
	log "server up: max_connections=$MAX_CONNECTIONS superuser_reserved_connections=3 $*"
}

# Runs a query on the server every INTERVAL seconds for at most SECONDS, rows appended to FILE
# as CSV, from a replication=database session: a walsender takes none of max_connections'
# client slots, so sampling does not change what it measures. Sets SAMPLER_PID.
start_sampler() {
	local file=$1 seconds=$2 interval=$3 query=$4
	echo "$query \\watch $interval" | timeout "$seconds" "$PGBIN/psql" \
		"host=127.0.0.1 port=$PORT user=postgres dbname=$DATABASE replication=database" \
		-XAtq -F, > "$file" 2>"$(dirname "$file")/sampler.err" &
	SAMPLER_PID=$!
}

# A python3 with matplotlib (apt-get install -y python3-matplotlib), in PY; exits without one
find_python() {
	PY=
	local candidate
	for candidate in ${PYTHON:-} python3 /usr/bin/python3; do
		if "$candidate" -c 'import matplotlib' 2>/dev/null; then PY=$candidate; return 0; fi
	done
	log "no python3 with matplotlib (apt-get install -y python3-matplotlib)"
	exit 1
}

psql_su() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }
psql_app() { PGPASSWORD=$APP_PASSWORD "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U "$APP_ROLE" "$DATABASE" "$@"; }

create_fleet_schema() {
	psql_su -d postgres <<SQL
CREATE ROLE $APP_ROLE LOGIN PASSWORD '$APP_PASSWORD';
CREATE DATABASE $DATABASE OWNER $APP_ROLE;
SQL
	psql_app <<'SQL'
CREATE TABLE fleet_item (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL);
INSERT INTO fleet_item SELECT g, 'item ' || g, (g % 50) + 0.99 FROM generate_series(1, 100) g;
CREATE TABLE fleet_account (id int PRIMARY KEY, balance bigint NOT NULL DEFAULT 0,
	updated_at timestamptz NOT NULL DEFAULT now());
INSERT INTO fleet_account (id) SELECT g FROM generate_series(1, 10000) g;
SQL
}

# Called from the caller's EXIT trap: whatever happened, nothing is left behind
stop_private_server() {
	if [ -n "${DATA:-}" ] && [ -f "$DATA/postmaster.pid" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1
	fi
	[ -n "${SERVER_LOG:-}" ] && [ -f "$SERVER_LOG" ] && cp "$SERVER_LOG" "$RESULTS/server.log" 2>/dev/null
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
}

# Waits for every instance in APP_PIDS, then stops the sampler; their exit codes go to EXIT_CODES
await_fleet() {
	EXIT_CODES=""
	local pid code
	for pid in "${APP_PIDS[@]}"; do
		code=0
		wait "$pid" || code=$?
		EXIT_CODES="$EXIT_CODES $code"
	done
	APP_PIDS=()
	sleep 1
	kill "$SAMPLER_PID" 2>/dev/null || true
	wait "$SAMPLER_PID" 2>/dev/null || true
	SAMPLER_PID=
}

# Connection attempts the server refused for lack of slots (SQLSTATE 53300) since a log offset
refusals_since() {
	tail -c +$(($1 + 1)) "$SERVER_LOG" \
		| grep -c -E 'FATAL: +(sorry, too many clients already|remaining connection slots are reserved)' || true
}
