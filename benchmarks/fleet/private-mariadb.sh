# Sourced by run.sh (not run): a private MariaDB server for the fleet benchmark's MariaDB
# scenario, with the fleet schema and an application user that has no privileges beyond its
# database.
#
# Expects APP_ROLE, APP_PASSWORD, DATABASE and a log function; sets MARIA_WORK, MARIA_PORT,
# MARIA_EXTRA_PORT and MARIA_PID. The caller's cleanup calls stop_mariadb.
#
# root is reached on the server's extra port (extra_port, one connection thread each, counted
# against extra_max_connections only): the sampler and the status reads take none of the
# max_connections slots the fleet competes for, as the walsender sampler of private-server.sh.

MARIADBD=${MARIADBD:-mariadbd}
MARIA_WORK=
MARIA_PID=

# A free TCP port on 127.0.0.1 from $1 up, other than $2
free_port() {
	local candidate
	for candidate in $(seq "$1" $(($1 + 100))); do
		if [ "$candidate" != "${2:-}" ] && [ -z "$(ss -Hltn "sport = :$candidate" 2>/dev/null)" ]; then
			echo "$candidate"
			return 0
		fi
	done
	log "no free port in $1-$(($1 + 100))"
	exit 1
}

# start_mariadb MAX_CONNECTIONS: installs a data directory in a temporary directory and starts
# mariadbd on it, waiting until root can connect
start_mariadb() {
	MARIA_WORK=$(mktemp -d /tmp/dbbudget-mariadb.XXXXXX)
	MARIA_PORT=$(free_port 53306)
	MARIA_EXTRA_PORT=$(free_port $((MARIA_PORT + 1)) "$MARIA_PORT")
	MARIA_MAX_CONNECTIONS=$1
	log "mariadb-install-db in $MARIA_WORK/data, port $MARIA_PORT (root also on extra port $MARIA_EXTRA_PORT)"
	# --user: mariadbd refuses to run as root unless told to; as another user it ignores it
	mariadb-install-db --no-defaults --datadir="$MARIA_WORK/data" --user="$(id -un)" \
		--auth-root-authentication-method=normal --skip-test-db >"$MARIA_WORK/install.log" 2>&1
	"$MARIADBD" --no-defaults --datadir="$MARIA_WORK/data" --user="$(id -un)" --bind-address=127.0.0.1 \
		--port="$MARIA_PORT" --extra-port="$MARIA_EXTRA_PORT" --extra-max-connections=2 \
		--socket="$MARIA_WORK/mariadb.sock" --pid-file="$MARIA_WORK/mariadb.pid" \
		--log-error="$MARIA_WORK/error.log" --skip-name-resolve --skip-log-bin \
		--max-connections="$MARIA_MAX_CONNECTIONS" --innodb-buffer-pool-size=128M >"$MARIA_WORK/server.out" 2>&1 &
	MARIA_PID=$!
	local waited=0
	until maria_root -e "SELECT 1" >/dev/null 2>&1; do
		if ! kill -0 "$MARIA_PID" 2>/dev/null || [ "$waited" -ge 300 ]; then
			log "mariadbd did not start:"
			tail -20 "$MARIA_WORK/error.log" >&2
			exit 1
		fi
		sleep 0.2
		waited=$((waited + 1))
	done
	log "mariadb up: $(maria_root -e "SELECT CONCAT(VERSION(), ', max_connections=', @@max_connections)")"
}

maria_root() { mariadb --no-defaults -h 127.0.0.1 -P "$MARIA_EXTRA_PORT" -u root -N -B "$@"; }

create_mariadb_schema() {
	maria_root <<SQL
CREATE DATABASE $DATABASE;
CREATE USER '$APP_ROLE'@'%' IDENTIFIED BY '$APP_PASSWORD';
GRANT ALL PRIVILEGES ON $DATABASE.* TO '$APP_ROLE'@'%';
SQL
	mariadb --no-defaults -h 127.0.0.1 -P "$MARIA_PORT" -u "$APP_ROLE" -p"$APP_PASSWORD" "$DATABASE" >/dev/null <<'SQL'
CREATE TABLE fleet_item (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price DECIMAL(10,2) NOT NULL);
INSERT INTO fleet_item SELECT seq, CONCAT('item ', seq), (seq % 50) + 0.99 FROM seq_1_to_100;
CREATE TABLE fleet_account (id INT PRIMARY KEY, balance BIGINT NOT NULL DEFAULT 0,
	updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6));
INSERT INTO fleet_account (id) SELECT seq FROM seq_1_to_10000;
ANALYZE TABLE fleet_item, fleet_account;
SQL
}

# The application's sessions every INTERVAL seconds for at most SECONDS, as run.sh's CSV
# (epoch ms, the application user's sessions, those of them not asleep, every client session),
# from information_schema.PROCESSLIST as root on one connection. Sets SAMPLER_PID.
start_mariadb_sampler() {
	local file=$1 seconds=$2 interval=$3
	local query="SELECT CONCAT_WS(',', FLOOR(UNIX_TIMESTAMP(NOW(3)) * 1000), COUNT(IF(USER = '$APP_ROLE', 1, NULL)),
		COUNT(IF(USER = '$APP_ROLE' AND COMMAND <> 'Sleep', 1, NULL)), COUNT(IF(COMMAND <> 'Daemon', 1, NULL)))
		FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID();"
	# The loop ends on a broken pipe once the client is gone
	(while :; do echo "$query"; sleep "$interval"; done) | timeout "$seconds" mariadb --no-defaults --unbuffered \
		-h 127.0.0.1 -P "$MARIA_EXTRA_PORT" -u root -N -B >"$file" 2>"$(dirname "$file")/sampler.err" &
	SAMPLER_PID=$!
}

# Failed logins since the server started: 1040 Too many connections once the fleet is full,
# as the benchmark makes no other failing login (Connection_errors_max_connections counts only
# the refusals before authentication, beyond max_connections + 1)
mariadb_aborted_connects() {
	maria_root -e "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'ABORTED_CONNECTS'"
}

# Called at the scenario's end and from the caller's EXIT trap: whatever happened, nothing is
# left behind
stop_mariadb() {
	if [ -n "$MARIA_PID" ] && kill -0 "$MARIA_PID" 2>/dev/null; then
		# SIGTERM: mariadbd shuts down cleanly on it
		kill "$MARIA_PID"
		local waited=0
		while kill -0 "$MARIA_PID" 2>/dev/null && [ "$waited" -lt 300 ]; do
			sleep 0.2
			waited=$((waited + 1))
		done
		kill -9 "$MARIA_PID" 2>/dev/null || true
	fi
	MARIA_PID=
	if [ -n "$MARIA_WORK" ]; then
		cp "$MARIA_WORK/error.log" "$RESULTS/mariadb-error.log" 2>/dev/null || true
		rm -rf "$MARIA_WORK"
	fi
	MARIA_WORK=
}
