#!/usr/bin/env bash
#
# Chaos soak (issue 17): 4 coordinated instances of an application with the starter, each its own
# JVM, under read and write load on a private PostgreSQL 15 server (max_connections 40, service
# budget 24), through a seeded random schedule of faults: fast restart, 6 s outage, mass
# termination, termination of the coordination sessions, kill -9 of a member and its restart, the
# server filled by another role until freed, a member paused with SIGSTOP for 10 s. Invariants are
# judged on the whole history (the application's sessions and every member's state are sampled
# every 100 ms); a violated invariant fails the run and prints the seed that replays it.
#
# The soak is ChaosSoakTests (budget-autoconfigure test sources): ./mvnw verify runs it with one
# fault of each kind in a fixed order; this script runs it on the random schedule.
#
# Usage (from the repository root):   benchmarks/chaos/run.sh            # 10 minutes, seed 1
#                                      SOAK_MINUTES=3 SOAK_SEEDS="1 2 3" benchmarks/chaos/run.sh
#
# Environment (all optional):
#   SOAK_SEEDS="1"        one soak per seed, one after the other
#   SOAK_MINUTES=10       length of each soak's fault schedule (start-up and settling come on top)
#   SOAK_RESULTS=dir      raw results (default benchmarks/chaos/target/<time>)
#   SOAK_DOCS=dir         where chaos-<seed>.png and chaos-<seed>.md go (default docs/chaos)
#   MVN_ARGS="..."        extra arguments for ./mvnw (a local repository, for example)
#
# Needs Java 17, PostgreSQL 15's initdb and pg_ctl (found as the test suite finds them) and, for
# the timeline, a python3 with matplotlib (apt-get install -y python3-matplotlib). Bounded: every
# member JVM is killed by PID when its soak ends, whatever happens, and the server removed.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SEEDS=${SOAK_SEEDS:-1}
MINUTES=${SOAK_MINUTES:-10}
RESULTS=${SOAK_RESULTS:-$HERE/target/$(date -u +%Y%m%dT%H%M%SZ)}
DOCS=${SOAK_DOCS:-$ROOT/docs/chaos}

log() { printf '%s chaos: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

PY=
for candidate in ${PYTHON:-} python3 /usr/bin/python3; do
	if "$candidate" -c 'import matplotlib' 2>/dev/null; then PY=$candidate; break; fi
done
[ -n "$PY" ] || { log "no python3 with matplotlib (apt-get install -y python3-matplotlib)"; exit 1; }
mkdir -p "$RESULTS" "$DOCS"

status=0
for seed in $SEEDS; do
	log "seed $seed, $MINUTES minutes of faults: results in $RESULTS/seed-$seed"
	# shellcheck disable=SC2086
	if ! (cd "$ROOT" && ./mvnw -B -q ${MVN_ARGS:-} -pl budget-autoconfigure -am verify -Dpostgres=local \
			-Dtest=ChaosSoakTests -Dsurefire.failIfNoSpecifiedTests=false -Dsoak.seed="$seed" -Dsoak.minutes="$MINUTES" \
			-Dsoak.dir="$RESULTS" > "$RESULTS/seed-$seed.log" 2>&1); then
		log "seed $seed: invariants broken or the soak failed, see $RESULTS/seed-$seed.log (replay: SOAK_SEEDS=$seed SOAK_MINUTES=$MINUTES)"
		status=1
	fi
	if [ -f "$RESULTS/seed-$seed/report.md" ]; then
		"$PY" "$HERE/chaos_report.py" "$RESULTS/seed-$seed" "$DOCS" "$seed" "$MINUTES"
		log "seed $seed: $DOCS/chaos-$seed.md, $DOCS/chaos-$seed.png"
	fi
done
exit $status
