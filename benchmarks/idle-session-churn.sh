#!/usr/bin/env bash
#
# Issue 19's measured demonstration: what idle_session_timeout shorter than the time a Hikari
# pool leaves its idle connections untouched costs, with the advisor's fix applied and
# without. A private PostgreSQL 15 server with idle_session_timeout = 5s for everyone, except
# the role for which the advisor's fix was applied (ALTER ROLE ... SET idle_session_timeout =
# '3min'); two pools with Hikari's defaults, one per role, in one JVM
# (io.dbbudget.benchmarks.IdleSessionChurn). Passwords are checked (scram-sha-256), as on a
# production server, so opening a connection costs what it usually does.
#
# Usage (from the repository root):   benchmarks/idle-session-churn.sh
#   SKIP_BUILD=1   reuse target/benchmarks.jar (otherwise: install the root project, package this one)
#   MVN            the Maven command (default: the wrapper); MVN_ARGS more arguments to it
#   IDLE=8s ROUNDS=10 CALLERS=10
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
MVN=${MVN:-$ROOT/mvnw}
RESULTS=${RESULTS:-$HERE/target/results/idle-session-churn-$(date -u +%Y%m%dT%H%M%SZ)}
APP_ROLE=churn_without APP_PASSWORD=churn-secret DATABASE=churn
FIXED_ROLE=churn_with

log() { printf '%s idle-session-churn: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# shellcheck source=fleet/private-server.sh
. "$HERE/fleet/private-server.sh"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
	log "installing the starter, packaging the benchmarks"
	# shellcheck disable=SC2086
	(cd "$ROOT" && "$MVN" -q -B ${MVN_ARGS:-} install -DskipTests)
	# shellcheck disable=SC2086
	(cd "$HERE" && "$MVN" -q -B ${MVN_ARGS:-} package)
fi
mkdir -p "$RESULTS"

cleanup() {
	set +e
	stop_private_server
}
trap cleanup EXIT
trap 'exit 130' INT TERM

create_private_server churn
echo "host    all          $FIXED_ROLE  127.0.0.1/32    scram-sha-256" >> "$DATA/pg_hba.conf"
start_server 100
psql_su -d postgres <<SQL
CREATE ROLE $APP_ROLE LOGIN PASSWORD '$APP_PASSWORD';
CREATE ROLE $FIXED_ROLE LOGIN PASSWORD '$APP_PASSWORD';
CREATE DATABASE $DATABASE OWNER $APP_ROLE;
ALTER SYSTEM SET idle_session_timeout = '5s';
SELECT pg_reload_conf();
-- the advisor's fix: above the pool's keepalive-time (2 min)
ALTER ROLE $FIXED_ROLE SET idle_session_timeout = '3min';
SQL
log_start=$(stat -c %s "$SERVER_LOG")

java -Xmx256m -cp "$HERE/target/benchmarks.jar" \
	-Durl="jdbc:postgresql://127.0.0.1:$PORT/$DATABASE" -Dpassword="$APP_PASSWORD" \
	-Dwithout.user="$APP_ROLE" -Dwith.user="$FIXED_ROLE" \
	-Didle="${IDLE:-8s}" -Drounds="${ROUNDS:-10}" -Dcallers="${CALLERS:-10}" \
	io.dbbudget.benchmarks.IdleSessionChurn | tee "$RESULTS/summary.txt"

# The server's side of the churn; only the role without the fix has a timeout short enough
ended=$(tail -c +$((log_start + 1)) "$SERVER_LOG" | grep -c "terminating connection due to idle-session timeout" || true)
echo "sessions the server ended for idle_session_timeout: $ended" | tee -a "$RESULTS/summary.txt"
log "done: $RESULTS"
