#!/usr/bin/env python3
"""Helper of benchmarks/fleet/demand.sh ("Connections go where the work is").

  demand.py plan PHASES_JSON ROLES UNEVEN_S MOVES MOVE_EVERY_S UNIFORM_S UNIFORM_THREADS SETTLE_S ORACLE_CONNECTIONS
      the phases every instance runs, with the oracle's pool for each (phases.json)
  demand.py args PHASES_JSON INSTANCE oracle|plain
      that instance's --fleet.phases[...] arguments
  demand.py warm URL...
      GET each URL (an instance's /actuator/dbconnections) once
  demand.py sample OUT_JSONL SECONDS INTERVAL_S URL...
      GET each URL every INTERVAL_S, one JSON line each
  demand.py report RESULTS_DIR DOCS_DIR BUDGET
      demand.md, demand.csv and demand.png in DOCS_DIR, summary.json in RESULTS_DIR
"""
import csv
import datetime
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request


def max_min_fair(demands, total):
    """Water-filling: whoever asks for less than an equal share of what is left gets it, the
    rest is split equally among the others, remainders to the first ones."""
    alloc = [0] * len(demands)
    left, open_ = total, list(range(len(demands)))
    while open_:
        share = left // len(open_)
        small = [i for i in open_ if demands[i] <= share]
        if not small:
            for k, i in enumerate(open_):
                alloc[i] = share + (1 if k < left - share * len(open_) else 0)
            break
        for i in small:
            alloc[i] = demands[i]
            left -= demands[i]
            open_.remove(i)
    return alloc


def plan(out, roles, uneven, moves, move_every, uniform, uniform_threads, settle, oracle):
    roles = [int(r) for r in roles.split(",")]
    n = len(roles)
    phases = [("uneven", uneven, roles)]
    for k in range(1, moves + 1):
        phases.append((f"move-{k}", move_every, [roles[(i - k) % n] for i in range(n)]))
    if uniform > 0:
        phases.append(("uniform", uniform, [uniform_threads] * n))
    start, listed = 0, []
    for name, seconds, threads in phases:
        listed.append({
            "name": name, "kind": "moving" if name.startswith("move") else name,
            "start": start, "seconds": seconds,
            # uneven and uniform are measured once settled; a moving phase as a whole,
            # since following the move is what it measures
            "settle": 0 if name.startswith("move") else min(settle, seconds - 1),
            "threads": threads, "busy": threads.index(max(threads)) + 1 if len(set(threads)) > 1 else None,
            "oraclePools": max_min_fair(threads, oracle),
        })
        start += seconds
    json.dump({"instances": n, "roles": roles, "oracleConnections": oracle, "phases": listed}, open(out, "w"), indent=1)


def args(phases_json, instance, kind):
    spec = json.load(open(phases_json))
    out = []
    for k, phase in enumerate(spec["phases"]):
        out += [f"--fleet.phases[{k}].duration={phase['seconds']}s", f"--fleet.phases[{k}].threads={phase['threads'][instance - 1]}"]
        if kind == "oracle":
            out.append(f"--fleet.phases[{k}].pool-size={phase['oraclePools'][instance - 1]}")
    print(" ".join(out))


def read_endpoint(url, timeout):
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return json.load(answer)


def warm(urls):
    """One read of each endpoint before the go, so that the first one (the web stack's lazy
    start) is not in the samples."""
    for url in urls:
        try:
            read_endpoint(url, 30)
        except (urllib.error.URLError, OSError, ValueError) as ex:
            print(f"{url}: {ex}", file=sys.stderr)


def sample(out, seconds, interval, urls):
    """One thread per instance, so that a slow instance delays only its own samples."""
    until = time.time() + seconds
    lock = threading.Lock()

    def poll(instance, url, f):
        while time.time() < until:
            tick = time.time()
            row = {"t": int(tick * 1000), "instance": instance}
            try:
                body = read_endpoint(url, 2)
                row["fleet"] = body.get("fleet")
                row["pools"] = {name: {k: p.get(k) for k in ("maximumPoolSize", "minimumIdle", "active", "idle", "total", "pending")}
                                for name, p in (body.get("pools") or {}).items()}
            except (urllib.error.URLError, OSError, ValueError) as ex:
                row["error"] = str(ex)[:200]
            with lock:
                f.write(json.dumps(row) + "\n")
                f.flush()
            time.sleep(max(0.0, interval - (time.time() - tick)))

    with open(out, "a") as f:
        threads = [threading.Thread(target=poll, args=(i, url, f), daemon=True) for i, url in enumerate(urls, start=1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


# ---------------------------------------------------------------- report

def props(path):
    out = {}
    if os.path.exists(path):
        for line in open(path):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                out[k] = v
    return out


def connections_opened(server_log, role):
    """Epoch ms of every session of the role the server authorized (log_connections)."""
    marker = f"connection authorized: user={role} "
    times = []
    for line in open(server_log, errors="replace"):
        if marker in line:
            stamp = " ".join(line.split()[:2])
            try:
                times.append(datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f")
                             .replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
            except ValueError:
                pass
    return times


def member_view(row):
    """This instance's own entry in fleet.members: (allocation, demand), None where absent
    (fleet.members is a list of slots before demand-aware shares)."""
    fleet = row.get("fleet") or {}
    slot = fleet.get("slot")
    for m in fleet.get("members") or []:
        if isinstance(m, dict) and m.get("slot") == slot:
            return m.get("allocation"), m.get("demand")
    return None, None


def run_summary(d, spec, budget, role):
    meta = props(os.path.join(d, "meta.properties"))
    n = spec["instances"]
    results = {}
    for i in range(1, n + 1):
        f = os.path.join(d, f"{i}.json")
        results[i] = json.load(open(f)) if os.path.exists(f) else {}
    started = [i for i in results if results[i].get("started")]
    go = min((results[i]["goEpochMillis"] for i in started), default=int(meta.get("goEpochMillis", 0)))
    out = {"config": meta.get("config"), "round": int(meta.get("round", 0)), "started": len(started), "load": meta.get("load"),
           "exitCodes": meta.get("exitCodes"), "serverRefusals53300": int(meta.get("serverRefusals53300", 0)),
           "errors": {}, "phases": {}}
    for i in started:
        for k, v in results[i].get("errors", {}).items():
            out["errors"][k] = out["errors"].get(k, 0) + v
    opened = connections_opened(os.path.join(d, "server.log"), role) if os.path.exists(os.path.join(d, "server.log")) else []
    samples = []
    if os.path.exists(os.path.join(d, "samples.csv")):
        for r in csv.reader(open(os.path.join(d, "samples.csv"))):
            if len(r) >= 3 + n and r[0].isdigit():
                samples.append((int(r[0]), int(r[1]), int(r[2]), [int(x) for x in r[3:3 + n]]))
    end = go + 1000 * sum(p["seconds"] for p in spec["phases"])
    during = [s for s in samples if go <= s[0] < end]
    out["samples"] = len(during)
    out["peakAppConnections"] = max((s[1] for s in during), default=None)
    out["samplesAboveBudget"] = sum(1 for s in during if s[1] > budget)

    def window(first, last):
        ok = errors = 0
        for i in started:
            tl = results[i].get("timeline", {})
            ok += sum(tl.get("okPerSecond", [])[first:last])
            errors += sum(tl.get("errorsPerSecond", [])[first:last])
        seconds = max(1, last - first)
        t0, t1 = go + first * 1000, go + last * 1000
        return {"seconds": seconds, "txPerSecond": ok / seconds, "errors": errors,
                "opened": sum(1 for t in opened if t0 <= t < t1),
                "openedPerMinute": 60.0 * sum(1 for t in opened if t0 <= t < t1) / seconds}

    for phase in spec["phases"]:
        out["phases"][phase["name"]] = window(phase["start"] + phase["settle"], phase["start"] + phase["seconds"])
    moving = [p for p in spec["phases"] if p["kind"] == "moving"]
    if moving:
        out["phases"]["moving"] = window(moving[0]["start"], moving[-1]["start"] + moving[-1]["seconds"])
    out["go"] = go
    return out, samples


def report(results, docs, budget):
    spec = json.load(open(os.path.join(results, "phases.json")))
    role = props(os.path.join(results, "machine.properties")).get("appRole", "fleet")
    n = spec["instances"]
    runs, series = [], {}
    for round_dir in sorted(x for x in os.listdir(results) if x.startswith("round-")):
        for config in sorted(os.listdir(os.path.join(results, round_dir))):
            d = os.path.join(results, round_dir, config)
            if os.path.isdir(d):
                summary, samples = run_summary(d, spec, budget, role)
                runs.append(summary)
                series[(summary["round"], config)] = (d, summary, samples)
    configs = sorted({r["config"] for r in runs}, key=lambda c: ["static", "equal", "demand-aware", "oracle"].index(c)
                     if c in ("static", "equal", "demand-aware", "oracle") else 9)
    rounds = sorted({r["round"] for r in runs})

    def tx(config, rnd, phase):
        for r in runs:
            if r["config"] == config and r["round"] == rnd and phase in r["phases"]:
                return r["phases"][phase]["txPerSecond"]
        return None

    def ratios(num, den, phase):
        per_round = [tx(num, r, phase) / tx(den, r, phase) for r in rounds
                     if tx(num, r, phase) and tx(den, r, phase)]
        total_num = sum(tx(num, r, phase) or 0 for r in rounds)
        total_den = sum(tx(den, r, phase) or 0 for r in rounds)
        return per_round, (total_num / total_den if total_den else None)

    budgeted = [c for c in configs if c != "oracle"]
    md = []
    machine = props(os.path.join(results, "machine.properties"))
    md.append(f"Run of {machine.get('date', '?')}: {n} instances, roles {spec['roles']} client threads, "
              f"{machine.get('sleepMs', '20')} ms pg_sleep per transaction, max_connections {machine.get('maxConnections')}, "
              f"reserved-connections {machine.get('reservedConnections')}: service budget {budget}; "
              f"heartbeat {machine.get('heartbeat')}; {len(rounds)} round(s); {machine.get('nproc')} cores; "
              f"load before {machine.get('loadBefore')}.")
    md.append("")
    targets = [("uneven", "demand-aware", "static", "uneven", 1.5), ("moving", "demand-aware", "oracle", "moving", 0.9),
               ("uniform", "demand-aware", "static", "uniform", 0.97)]
    md.append("| figure | ratio (all rounds) | per round | target | met |")
    md.append("|---|---|---|---|---|")
    verdict = {}
    for label, num, den, phase, target in targets:
        if num in configs and den in configs:
            per, total = ratios(num, den, phase)
            if total is None:
                md.append(f"| {label}: {num} / {den} tx/s | no transactions in {den} | | >= {target}x | no |")
                continue
            met = total is not None and total >= target
            verdict[label] = {"ratio": total, "perRound": per, "target": target, "met": met}
            md.append(f"| {label}: {num} / {den} tx/s | {total:.2f}x | {', '.join('%.2f' % x for x in per)} | "
                      f">= {target}x | {'yes' if met else 'no'} |")
    for config in budgeted:
        errors = sum(sum(r["errors"].values()) + r["serverRefusals53300"] for r in runs if r["config"] == config)
        peak = max((r["peakAppConnections"] or 0) for r in runs if r["config"] == config)
        above = sum(r["samplesAboveBudget"] for r in runs if r["config"] == config)
        churn = max(max(r["phases"][p]["openedPerMinute"] for p in ("uneven", "uniform") if p in r["phases"])
                    for r in runs if r["config"] == config)
        verdict[config] = {"errors": errors, "peakAppConnections": peak, "samplesAboveBudget": above,
                           "settledOpenedPerMinute": churn}
        md.append(f"| {config}: errors (client + 53300 refusals) | {errors} | | 0 | {'yes' if errors == 0 else 'no'} |")
        md.append(f"| {config}: peak app connections (200 ms samples) | {peak}, {above} sample(s) above {budget} | | <= {budget} | "
                  f"{'yes' if above == 0 else 'no'} |")
        md.append(f"| {config}: connections opened per minute once settled (worst phase) | {churn:.1f} | | 0 | "
                  f"{'yes' if churn == 0 else 'no'} |")
    md.append("")
    phases = [p["name"] for p in spec["phases"]] + (["moving"] if any(p["kind"] == "moving" for p in spec["phases"]) else [])
    md.append("| round | configuration | " + " | ".join(f"{p} tx/s" for p in phases) + " | errors | 53300 | peak app conns | opened/min settled (uneven, uniform) | load average after |")
    md.append("|---|---|" + "---|" * len(phases) + "---|---|---|---|---|")
    for r in sorted(runs, key=lambda r: (r["round"], configs.index(r["config"]))):
        cells = [f"{r['phases'][p]['txPerSecond']:.0f}" if p in r["phases"] else "-" for p in phases]
        churn = ", ".join(f"{r['phases'][p]['openedPerMinute']:.1f}" for p in ("uneven", "uniform") if p in r["phases"])
        md.append(f"| {r['round']} | {r['config']} | " + " | ".join(cells) + f" | {sum(r['errors'].values())} | "
                  f"{r['serverRefusals53300']} | {r['peakAppConnections']} | {churn} | {r['load']} |")
    md.append("")
    md.append("Oracle pools by phase (max-min fair by client threads over "
              f"{spec['oracleConnections']} connections): "
              + "; ".join(f"{p['name']} {p['oraclePools']}" for p in spec["phases"]) + ".")
    open(os.path.join(docs, "demand.md"), "w").write("\n".join(md) + "\n")
    json.dump({"runs": runs, "verdict": verdict}, open(os.path.join(results, "summary.json"), "w"), indent=1)

    # Chart: the last round's coordinated runs, from every instance's /actuator/dbconnections
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    charted = [c for c in ("demand-aware", "equal", "static") if (rounds[-1], c) in series] if rounds else []
    rows_csv = []
    if charted:
        # Two panels per configuration: what each member may hold, and what its callers ask for
        fig, axes = plt.subplots(2 * len(charted), 1, figsize=(12, 3.6 * 2 * len(charted)), sharex=True, squeeze=False)
        colors = plt.cm.tab10.colors
        for k, config in enumerate(charted):
            ax_alloc, ax_demand = axes[2 * k, 0], axes[2 * k + 1, 0]
            d, summary, samples = series[(rounds[-1], config)]
            go = summary["go"]
            rows = [json.loads(line) for line in open(os.path.join(d, "endpoints.jsonl"))] \
                if os.path.exists(os.path.join(d, "endpoints.jsonl")) else []
            has_allocation = any(member_view(r)[0] is not None for r in rows)
            for i in range(1, n + 1):
                mine = [r for r in rows if r["instance"] == i and "error" not in r]
                t = [(r["t"] - go) / 1000 for r in mine]
                if has_allocation:
                    alloc = [member_view(r)[0] for r in mine]
                    demand = [member_view(r)[1] for r in mine]
                else:
                    # Before demand-aware shares: the pool's maximum and what its callers want
                    alloc = [sum((p.get("maximumPoolSize") or 0) for p in r["pools"].values()) for r in mine]
                    demand = [sum((p.get("active") or 0) + (p.get("pending") or 0) for p in r["pools"].values()) for r in mine]
                for r, a, dm in zip(mine, alloc, demand):
                    rows_csv.append([config, summary["round"], f"{(r['t'] - go) / 1000:.2f}", i, a, dm])
                ax_alloc.step(t, [a if a is not None else float("nan") for a in alloc], where="post", color=colors[i - 1],
                              lw=1.8, label=f"fleet-{i}")
                ax_demand.step(t, [x if x is not None else float("nan") for x in demand], where="post", color=colors[i - 1],
                               lw=1.2, label=f"fleet-{i}")
            ax_alloc.axhline(budget, color="red", ls="--", lw=1, label=f"service budget ({budget})")
            ax_alloc.set_ylim(0, budget + 6)
            ax_alloc.set_ylabel("allocation" if has_allocation else "pool maximum")
            ax_demand.set_ylabel("demand" if has_allocation else "active + pending")
            ax_alloc.set_title(f"{config}, round {summary['round']}: "
                               + ("fleet.members[].allocation (top) and .demand (bottom), this member's own entry"
                                  if has_allocation else "fleet.members has no allocation or demand: the pool's "
                                  "maximumPoolSize (top) and active + pending (bottom) instead"), fontsize=10)
            for ax in (ax_alloc, ax_demand):
                for p in spec["phases"]:
                    ax.axvline(p["start"], color="grey", lw=0.6)
                ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
            for p in spec["phases"]:
                ax_alloc.text(p["start"] + 0.3, budget + 0.6, p["name"] + (f"\nbusy: fleet-{p['busy']}" if p["busy"] else ""),
                              fontsize=7, va="bottom")
        axes[-1, 0].set_xlabel("seconds since go")
        fig.suptitle("Connections go where the work is: each member's allocation and demand while the load moves")
        fig.tight_layout()
        fig.savefig(os.path.join(docs, "demand.png"), dpi=100)
    with open(os.path.join(docs, "demand.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["config", "round", "t_s", "instance", "allocation", "demand"])
        w.writerows(rows_csv)
    print("\n".join(md))


if __name__ == "__main__":
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "plan":
        plan(a[0], a[1], *[int(x) for x in a[2:9]])
    elif cmd == "args":
        args(a[0], int(a[1]), a[2])
    elif cmd == "warm":
        warm(a)
    elif cmd == "sample":
        sample(a[0], float(a[1]), float(a[2]), a[3:])
    elif cmd == "report":
        report(a[0], a[1], int(a[2]))
    else:
        sys.exit(__doc__)
