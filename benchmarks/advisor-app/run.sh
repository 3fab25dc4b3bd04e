#!/usr/bin/env bash
#
# Issue 19's "done when", checked with an ordinary application (this directory, parent
# spring-boot-starter-parent, the db-budget starter taken from the local Maven repository as
# any user would, Hikari's defaults) against a private PostgreSQL 15 server:
#   1. idle_session_timeout = 5s, every other setting safe: the start-up log names
#      idle_session_timeout and the Hikari property, in one WARN line in all, and
#      /actuator/dbconnections shows the same under 'advice'; health stays UP.
#   2. every setting safe: no advice in the log, 'advice' is empty.
# Exits non-zero if any check fails.
#
# Usage (from the repository root):   benchmarks/advisor-app/run.sh
#   SKIP_BUILD=1   reuse the jar (otherwise: install the root project, then package this one)
#   MVN            the Maven command (default: the wrapper); MVN_ARGS more arguments to it
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
MVN=${MVN:-$ROOT/mvnw}
RESULTS=${RESULTS:-$HERE/target/results/$(date -u +%Y%m%dT%H%M%SZ)}
APP_ROLE=inventory APP_PASSWORD=inventory-secret DATABASE=inventory
JAR=$HERE/target/inventory-1.0.0.jar

log() { printf '%s advisor-app: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# shellcheck source=../fleet/private-server.sh
. "$ROOT/benchmarks/fleet/private-server.sh"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
	log "installing the starter, building the application"
	# shellcheck disable=SC2086
	(cd "$ROOT" && "$MVN" -q -B ${MVN_ARGS:-} install -DskipTests)
	# The jar removed first: an up-to-date jar is not repackaged with the starter just installed
	rm -f "$JAR"
	# shellcheck disable=SC2086
	(cd "$HERE" && "$MVN" -q -B ${MVN_ARGS:-} package -DskipTests)
fi
mkdir -p "$RESULTS"

APP_PID=
cleanup() {
	set +e
	[ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null
	stop_private_server
}
trap cleanup EXIT
trap 'exit 130' INT TERM

create_private_server inventory
start_server 100
psql_su -d postgres <<SQL
CREATE ROLE $APP_ROLE LOGIN PASSWORD '$APP_PASSWORD';
CREATE DATABASE $DATABASE OWNER $APP_ROLE;
ALTER SYSTEM SET idle_in_transaction_session_timeout = '5min';
ALTER SYSTEM SET statement_timeout = '30s';
ALTER SYSTEM SET tcp_keepalives_idle = 60;
ALTER SYSTEM SET tcp_keepalives_interval = 10;
ALTER SYSTEM SET tcp_keepalives_count = 6;
SQL

FAILED=0
check() { # description, then a command that succeeds when the check holds
	local description=$1
	shift
	if "$@"; then echo "PASS $description"; else echo "FAIL $description"; FAILED=1; fi
}

# start LABEL: runs the application until it serves HTTP; sets APP_PID and APP_PORT
start() {
	local dir=$RESULTS/$1
	mkdir -p "$dir"
	java -Xmx256m -jar "$JAR" --server.port=0 --server.address=127.0.0.1 \
		--spring.datasource.url="jdbc:postgresql://127.0.0.1:$PORT/$DATABASE" \
		--spring.datasource.username="$APP_ROLE" --spring.datasource.password="$APP_PASSWORD" \
		> "$dir/application.log" 2>&1 &
	APP_PID=$!
	local deadline=$(($(date +%s) + 180))
	APP_PORT=
	while [ -z "$APP_PORT" ] && [ "$(date +%s)" -lt "$deadline" ] && kill -0 "$APP_PID" 2>/dev/null; do
		APP_PORT=$(sed -n 's/.*Tomcat started on port \([0-9]*\).*/\1/p' "$dir/application.log" | head -n 1)
		sleep 0.5
	done
	[ -n "$APP_PORT" ] || { log "$1: the application did not start"; tail -n 40 "$dir/application.log" >&2; exit 1; }
	curl -fsS "http://127.0.0.1:$APP_PORT/items/count" > /dev/null
	curl -fsS "http://127.0.0.1:$APP_PORT/actuator/dbconnections" | jq . > "$dir/dbconnections.json"
	curl -fsS "http://127.0.0.1:$APP_PORT/actuator/health" | jq . > "$dir/health.json"
}

stop() {
	kill "$APP_PID"
	wait "$APP_PID" 2>/dev/null || true
	APP_PID=
}

log "1. idle_session_timeout = 5s, Hikari's defaults"
psql_su -d postgres -c "ALTER SYSTEM SET idle_session_timeout = '5s'" -c "SELECT pg_reload_conf()" > /dev/null
start risky
LOG=$RESULTS/risky/application.log
check "the start-up block advises on idle_session_timeout" grep -q "advice: idle_session_timeout = 5 s" "$LOG"
check "the advice names the Hikari property" \
	sh -c "grep 'advice: idle_session_timeout' '$LOG' | grep -q 'spring.datasource.hikari.keepalive-time'"
check "one WARN line in all" test "$(grep -c 'WARN.*the connection budget at risk' "$LOG")" -eq 1
check "the endpoint shows it under advice" \
	test "$(jq -r '[.advice[] | select(.setting == "idle_session_timeout")] | length' "$RESULTS/risky/dbconnections.json")" -eq 1
check "the endpoint's fix names the Hikari property" \
	sh -c "jq -r '.advice[] | select(.setting == \"idle_session_timeout\") | .fix' '$RESULTS/risky/dbconnections.json' | grep -q 'spring.datasource.hikari.keepalive-time'"
check "health is UP and says advice exists" \
	test "$(jq -r '.components.dbBudget.status + " " + (.components.dbBudget.details.advice | join(","))' "$RESULTS/risky/health.json")" = "UP idle_session_timeout"
stop

log "2. every setting safe"
psql_su -d postgres -c "ALTER SYSTEM SET idle_session_timeout = 0" -c "SELECT pg_reload_conf()" > /dev/null
start safe
LOG=$RESULTS/safe/application.log
check "no advice in the start-up block" sh -c "! grep -q 'advice:' '$LOG'"
check "no warning" sh -c "! grep -q 'the connection budget at risk' '$LOG'"
check "the endpoint's advice is empty" test "$(jq '.advice | length' "$RESULTS/safe/dbconnections.json")" -eq 0
stop

grep -h "advice: \|WARN.*at risk" "$RESULTS/risky/application.log" | sed 's/^.*BudgetPlanLogger *: //' > "$RESULTS/risky/advice.txt" || true
log "results in $RESULTS"
exit "$FAILED"
