#!/usr/bin/env python3
"""Measures the sample app under load and plots what the Grafana dashboard's key panels show.

Two steps, so that the plot can be redrawn from the numbers without measuring again:

  measure  polls GET /actuator/dbconnections every half second while it loads the app with
           concurrent HTTP requests and, from psql, opens sessions of another application that
           fill the server; writes one CSV row per poll
  plot     draws the CSV: the pool's budget, size and connections in use, and the server's
           utilization against the WARNING (70 %) and CRITICAL (85 %) lines

Run from the repository root, with the sample app started on the local PostgreSQL with a small
minimum-idle so that the pool grows with the load (see the README section "Dashboard"):

  java -jar sample-app/target/db-budget-sample-app-0.1.0-SNAPSHOT.jar --server.port=18081 \\
      --spring.datasource.hikari.minimum-idle=2 --db.budget.sample-interval=1s
  python3 docs/plot-dashboard.py measure --url http://127.0.0.1:18081 --csv docs/dashboard-sample.csv
  python3 docs/plot-dashboard.py plot --csv docs/dashboard-sample.csv --png docs/dashboard.png

Needs python3 with matplotlib (Debian: apt-get install python3-matplotlib) for the plot, and
psql on the PATH for the measurement (PGHOST, PGPORT, PGUSER, PGDATABASE as for psql).
"""

import argparse
import base64
import csv
import json
import os
import subprocess
import threading
import time
import urllib.request

COLUMNS = ["seconds", "requested", "budget", "maximumPoolSize", "total", "active", "idle", "pending",
           "serverConnections", "maxConnections", "utilization", "otherApplication", "level"]

OTHER_APPLICATION = "reporting-service"


def get(url, path, user=None, method="GET"):
    request = urllib.request.Request(url + path, method=method)
    if user:
        request.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def load(url, stop, threads):
    """Concurrent greetings, each a short transaction on a pooled connection."""
    def worker(number):
        while not stop.is_set():
            try:
                get(url, "/greetings/load-%d" % number, method="POST")
            except OSError:
                time.sleep(0.1)
    workers = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for thread in workers:
        thread.start()
    return workers


def other_application_session(seconds):
    """One session of another application that sleeps on the server, as a report would."""
    environment = dict(os.environ, PGAPPNAME=OTHER_APPLICATION)
    return subprocess.Popen(["psql", "-X", "-q", "-c", "SELECT pg_sleep(%.1f)" % seconds],
                            env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(args):
    stop_load = threading.Event()
    sessions = []
    rows = []
    start = time.monotonic()
    loading = False
    # The scenario, in seconds from the start: load from 10 to 40, another application filling
    # the server from 15, 8 sessions every 3 s up to 64, all ended at 45; close-idle at 50
    closed_idle = False
    while (elapsed := time.monotonic() - start) < args.seconds:
        if 10 <= elapsed < 40 and not loading:
            load(args.url, stop_load, args.threads)
            loading = True
        if elapsed >= 40 and loading:
            stop_load.set()
            loading = False
        if 15 <= elapsed < 45 and len(sessions) < 64 and elapsed >= 15 + 3 * (len(sessions) // 8):
            # A server session outlives its killed psql while it sleeps: each ends at 45 s
            sessions.extend(other_application_session(45 - elapsed) for _ in range(8))
        if elapsed >= 45 and sessions:
            for session in sessions:
                session.wait()
            sessions = []
        if elapsed >= 50 and not closed_idle:
            get(args.url, "/actuator/dbconnections/close-idle", user=args.operator, method="POST")
            closed_idle = True
        status = get(args.url, "/actuator/dbconnections")
        pool = next(iter(status["pools"].values()))
        server = status["server"]
        rows.append({
            "seconds": round(elapsed, 1), "requested": pool["requested"], "budget": pool["budget"],
            "maximumPoolSize": pool["maximumPoolSize"], "total": pool["total"], "active": pool["active"],
            "idle": pool["idle"], "pending": pool["pending"], "serverConnections": server.get("connections"),
            "maxConnections": server.get("maxConnections"), "utilization": server.get("utilization"),
            "otherApplication": server.get("byApplication", {}).get(OTHER_APPLICATION, 0),
            "level": status["level"],
        })
        time.sleep(0.5)
    stop_load.set()
    for session in sessions:
        session.terminate()
    with open(args.csv, "w", newline="") as output:
        writer = csv.DictWriter(output, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print("%d samples written to %s" % (len(rows), args.csv))


def plot(args):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(args.csv) as data:
        rows = list(csv.DictReader(data))
    seconds = [float(row["seconds"]) for row in rows]

    def series(name):
        return [float(row[name]) if row[name] not in ("", "None") else float("nan") for row in rows]

    figure, (pool, server) = plt.subplots(2, 1, figsize=(11, 7.5), sharex=True,
                                          gridspec_kw={"height_ratios": [3, 2]})
    figure.suptitle("db-budget sample app under load: measured from GET /actuator/dbconnections")

    pool.plot(seconds, series("requested"), color="grey", linestyle=":", label="requested maximum-pool-size")
    pool.plot(seconds, series("budget"), color="red", linestyle="--", linewidth=2, label="budget")
    pool.plot(seconds, series("maximumPoolSize"), color="orange", label="maximum pool size")
    pool.plot(seconds, series("total"), color="tab:blue", label="open")
    pool.fill_between(seconds, series("active"), color="tab:green", alpha=0.35, label="active")
    pool.plot(seconds, series("pending"), color="purple", label="pending")
    pool.set_ylabel("connections of pool 'dataSource'")
    pool.set_ylim(bottom=0)
    pool.legend(loc="upper right", fontsize="small", ncol=2)
    pool.grid(alpha=0.3)

    server.plot(seconds, series("utilization"), color="black", linewidth=2, label="server utilization")
    server.axhline(0.70, color="orange", linestyle="--", label="WARNING 70 %")
    server.axhline(0.85, color="red", linestyle="--", label="CRITICAL 85 %")
    other = [count / maximum if maximum == maximum and maximum else float("nan")
             for count, maximum in zip(series("otherApplication"), series("maxConnections"))]
    server.fill_between(seconds, other, color="tab:grey", alpha=0.3, label="'%s' sessions" % OTHER_APPLICATION)
    server.set_ylim(0, 1)
    server.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    server.set_ylabel("connections / max_connections")
    server.set_xlabel("seconds")
    server.legend(loc="upper left", fontsize="small", ncol=2)
    server.grid(alpha=0.3)

    figure.tight_layout()
    figure.savefig(args.png, dpi=110)
    print("plot written to %s" % args.png)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    steps = parser.add_subparsers(dest="step", required=True)
    measuring = steps.add_parser("measure")
    measuring.add_argument("--url", default="http://127.0.0.1:18081")
    measuring.add_argument("--csv", default="docs/dashboard-sample.csv")
    measuring.add_argument("--seconds", type=float, default=60)
    measuring.add_argument("--threads", type=int, default=48)
    measuring.add_argument("--operator", default="operator:operator", help="user:password for close-idle")
    plotting = steps.add_parser("plot")
    plotting.add_argument("--csv", default="docs/dashboard-sample.csv")
    plotting.add_argument("--png", default="docs/dashboard.png")
    args = parser.parse_args()
    measure(args) if args.step == "measure" else plot(args)


if __name__ == "__main__":
    main()
