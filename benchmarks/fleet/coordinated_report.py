#!/usr/bin/env python3
"""Report of benchmarks/fleet/coordinated.sh: coordinated.csv, coordinated.png, coordinated.md.

Usage: coordinated_report.py RESULTS_DIR DOCS_DIR INSTANCES USABLE_CONNECTIONS
"""
import csv
import datetime
import json
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

results, docs, n, usable = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
SCENARIOS = [s for s in ("coordinated", "uncoordinated", "coordinated-reserve3") if os.path.isdir(os.path.join(results, s))]
COUNTS = re.compile(r"^(\S+)\s.*counts (\d+) members, (\d+) connections per instance; pools \[dataSource (\d+)\]")
JOINED = re.compile(r"^(\S+)\s.*joined fleet '[^']*' as slot")


def props(path):
    out = {}
    if os.path.exists(path):
        for line in open(path):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                out[k] = v
    return out


def epoch_ms(iso):
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000


rows_out = []
summary = {}
series = {}
for scenario in SCENARIOS:
    d = os.path.join(results, scenario)
    meta = props(os.path.join(d, "meta.properties"))
    t0 = int(meta["launchEpochMillis"])
    samples = []
    for r in csv.reader(open(os.path.join(d, "samples.csv"))):
        if len(r) < 4 + n or not r[0].isdigit():
            continue
        t = (int(r[0]) - t0) / 1000.0
        members, total, app = int(r[1]), int(r[2]), int(r[3])
        per = [int(x) for x in r[4:4 + n]]
        samples.append((t, members, total, app, per))
        rows_out.append([scenario, f"{t:.3f}", members, total, app] + per)
    series[scenario] = samples

    started, failed, ok, errors, starterr, exits = 0, [], 0, {}, {}, meta.get("exitCodes", "").split()
    for i in range(1, n + 1):
        jf = os.path.join(d, f"{i}.json")
        if not os.path.exists(jf):
            failed.append(f"{i} (no result, exit {exits[i - 1] if i - 1 < len(exits) else '?'})")
            continue
        j = json.load(open(jf))
        if not j.get("started"):
            failed.append(f"{i} ({j.get('startupError', '?')[:5]} at start-up query)")
            starterr[i] = j.get("startupError")
            continue
        started += 1
        ok += j.get("ok", 0) + j.get("okDuringWarmup", 0) + j.get("okAfterWindow", 0)
        for k, v in j.get("errors", {}).items():
            errors[k] = errors.get(k, 0) + v

    # Convergence from the instances' logs: member i joins (its "joined fleet" line); converged
    # when every instance 1..i has logged "counts i members" with its pool at the share minus the
    # coordination connection
    joins, counts = {}, {}
    for i in range(1, n + 1):
        lf = os.path.join(d, f"instance-{i}.log")
        counts[i] = []
        if not os.path.exists(lf):
            continue
        for line in open(lf, errors="replace"):
            m = JOINED.match(line)
            if m and i not in joins:
                joins[i] = epoch_ms(m.group(1))
            m = COUNTS.match(line)
            if m:
                counts[i].append((epoch_ms(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4))))
    converge = {}
    for i in range(1, n + 1):
        if i not in joins:
            continue
        # The share as the instances logged it (usable // i, less with reserved-connections)
        logged = [per for j in counts for (t, members, per, pool) in counts[j] if members == i]
        share = logged[0] if logged else usable // i
        times = []
        for j in range(1, i + 1):
            hit = [t for (t, members, per, pool) in counts.get(j, []) if members == i and pool == share - 1 and t >= joins[i] - 5000]
            times.append(min(hit) if hit else None)
        log_conv = None if None in times else (max(times) - joins[i]) / 1000.0
        # From the samples: first sample at or after the join where pg_locks counts i members and
        # every instance 1..i holds at most its share of sessions (pools fill on demand, so an
        # instance may hold fewer: 10 threads need about 11 + 1)
        tj = (joins[i] - t0) / 1000.0
        sample_conv = None
        for (t, members, total, app, per) in samples:
            if t >= tj and members == i and all(0 < per[j] <= share for j in range(i)):
                sample_conv = t - tj
                break
        # Members pg_locks showed just after the join: a true scale-out step when it is i
        after = [x[1] for x in samples if x[0] >= tj + 0.5]
        m_after = after[0] if after else None
        converge[i] = (round(tj, 1), share, log_conv, sample_conv, m_after)

    summary[scenario] = {
        "instancesLaunched": n,
        "instancesStarted": started,
        "failedToStart": failed,
        "txOk": ok,
        "errors": errors,
        "serverRefusals53300": int(meta.get("serverRefusals53300", "0")),
        "peakTotalConnections": max((s[2] for s in samples), default=0),
        "peakAppRoleConnections": max((s[3] for s in samples), default=0),
        "samples": len(samples),
        "samplesOver": sum(1 for s in samples if s[2] > usable),
        "peakMembers": max((s[1] for s in samples), default=0),
        "exitCodes": meta.get("exitCodes"),
        "convergence": converge,
        "ready": {i: (int(meta[f"ready.{i}"]) - t0) / 1000.0 for i in range(1, n + 1) if f"ready.{i}" in meta},
    }

with open(os.path.join(docs, "coordinated.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["scenario", "t_s", "members", "total_client_backends", "app_role_backends"]
               + [f"fleet_{i}" for i in range(1, n + 1)])
    w.writerows(rows_out)
with open(os.path.join(results, "summary.json"), "w") as f:
    json.dump(summary, f, indent=2, default=str)

# Plot: one panel per scenario, sessions per instance stacked, total, the 37 limit, members
colors = plt.cm.tab10.colors
fig, axes = plt.subplots(len(SCENARIOS), 1, figsize=(11, 4.2 * len(SCENARIOS)), sharex=True, squeeze=False)
for ax, scenario in zip(axes[:, 0], SCENARIOS):
    s = series[scenario]
    if not s:
        continue
    t = [x[0] for x in s]
    stacks = [[x[4][i] for x in s] for i in range(n)]
    ax.stackplot(t, stacks, labels=[f"fleet-{i + 1}" for i in range(n)], colors=colors[:n], alpha=0.75, step="post")
    ax.step(t, [x[2] for x in s], where="post", color="black", lw=1.2, label="total client backends")
    ax.axhline(usable, color="red", ls="--", lw=1.2, label=f"limit for the app role ({usable})")
    ax.set_ylabel("server sessions")
    ax.set_ylim(0, max(usable + 8, max(x[2] for x in s) + 4))
    ax2 = ax.twinx()
    ax2.step(t, [x[1] for x in s], where="post", color="purple", lw=2, ls=":", label="coordination members")
    ax2.set_ylim(0, n + 1)
    for i in range(1, n + 1):
        meta = props(os.path.join(results, scenario, "meta.properties"))
        t0 = int(meta["launchEpochMillis"])
        if f"launch.{i}" in meta:
            tl = (int(meta[f"launch.{i}"]) - t0) / 1000.0
            ax.axvline(tl, color=colors[i - 1], lw=0.8, ls="-.")
            ax.text(tl, 1, f" launch {i}", rotation=90, fontsize=7, va="bottom", color=colors[i - 1])
    ax2.set_ylabel("members (pg_locks)")
    sm = summary[scenario]
    ax.set_title(f"{scenario}: {sm['instancesStarted']}/{n} started, {sm['txOk']} tx ok, "
                 f"errors {sum(sm['errors'].values())}, 53300 refusals {sm['serverRefusals53300']}, "
                 f"peak {sm['peakTotalConnections']}", fontsize=10)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=7, ncol=3)
axes[-1, 0].set_xlabel("seconds since the first launch (each launch 8 s after the previous instance is ready)")
fig.suptitle("db-budget: 6 instances asking 50 each, started one by one, max_connections=40 (37 usable)")
fig.tight_layout()
fig.savefig(os.path.join(docs, "coordinated.png"), dpi=110)


def fmt_errors(e):
    return ", ".join(f"{k}: {v}" for k, v in sorted(e.items())) or "0"


md = ["| | " + " | ".join(SCENARIOS) + " |", "|---|" + "---|" * len(SCENARIOS)]
for label, key in [("instances launched", "instancesLaunched"), ("instances started", "instancesStarted"),
                   ("failed to start", "failedToStart"), ("tx ok (all instances)", "txOk"),
                   ("client errors by SQLSTATE", "errors"), ("server refusals (53300 in the log)", "serverRefusals53300"),
                   ("peak total client backends (limit 37)", "peakTotalConnections"),
                   ("samples above 37", "samplesOver"), ("samples (every 250 ms)", "samples"),
                   ("peak coordination members", "peakMembers")]:
    cells = []
    for sc in SCENARIOS:
        v = summary[sc][key]
        cells.append(fmt_errors(v) if key == "errors" else (", ".join(v) or "none") if key == "failedToStart" else str(v))
    md.append(f"| {label} | " + " | ".join(cells) + " |")
md.append("")
for sc_name in [s for s in SCENARIOS if s.startswith("coordinated")]:
    md.append(f"| {sc_name}: instance | its coordination session joined at s | members then (pg_locks) | share with that many members | all pool maxima at the share (instance logs) | every instance's sessions within its share (samples) |")
    md.append("|---|---|---|---|---|---|")
    for i, (tj, share, lc, sc, m_after) in sorted(summary[sc_name]["convergence"].items()):
        ready = summary[sc_name].get("ready", {}).get(i)
        if m_after != i or (ready is not None and tj > ready + 5):
            md.append(f"| {i} | {tj} (launch done at {ready if ready is not None else '?'}) | {m_after} | - | not a scale-out step: joined late, when others left | - |")
            continue
        md.append(f"| {i} | {tj} | {m_after} | {share} (pool {share - 1} + 1) | "
                  f"{'%.2f s' % lc if lc is not None else 'not reached'} | {'%.2f s' % sc if sc is not None else 'not reached'} |")
    md.append("")
open(os.path.join(docs, "coordinated.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))
