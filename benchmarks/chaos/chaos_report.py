#!/usr/bin/env python3
"""Report of benchmarks/chaos/run.sh for one seed: chaos-<seed>.md and chaos-<seed>.png.

The timeline shows the application's sessions on the server (sampled every 100 ms) against the
service budget, each member's pool maximum (its allocation), the faults as shaded spans and the
failed operations per second.

Usage: chaos_report.py SEED_RESULTS_DIR DOCS_DIR SEED MINUTES
"""
import csv
import collections
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

results, docs, seed, minutes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
BUDGET = 24
COLORS = {
    "FAST_RESTART": "tab:red", "OUTAGE": "darkred", "MASS_TERMINATION": "tab:orange",
    "COORDINATION_TERMINATION": "gold", "KILL_MEMBER": "tab:purple", "FILL_SERVER": "tab:gray",
    "PAUSE_MEMBER": "tab:cyan",
}


def rows(name):
    with open(os.path.join(results, name)) as f:
        return list(csv.DictReader(f))


sessions = []
members = collections.defaultdict(list)
for row in rows("timeline.csv"):
    t = float(row["t_s"])
    if row["source"] == "sessions":
        sessions.append((t, int(row["value1"])))
    else:
        members[row["source"]].append((t, int(row["value1"])))
strikes = rows("strikes.csv")
failures = collections.Counter(int(float(row["t_s"])) for row in rows("failures.csv"))

fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
for strike in strikes:
    for axis in (top, bottom):
        axis.axvspan(float(strike["start_s"]), max(float(strike["end_s"]), float(strike["start_s"]) + 0.5),
                     color=COLORS[strike["fault"]], alpha=0.25, lw=0)
top.plot([t for t, _ in sessions], [n for _, n in sessions], color="black", lw=0.8,
         label="application sessions on the server")
top.axhline(BUDGET, color="red", ls="--", lw=1, label=f"service budget ({BUDGET})")
for name in sorted(members):
    top.step([t for t, _ in members[name]], [n for _, n in members[name]], where="post", lw=0.8,
             label=name.replace("member", "member ") + " pool maximum (allocation)")
top.set_ylabel("connections")
top.set_ylim(0, BUDGET + 6)
handles, labels = top.get_legend_handles_labels()
for fault, color in COLORS.items():
    if any(s["fault"] == fault for s in strikes):
        handles.append(plt.Rectangle((0, 0), 1, 1, color=color, alpha=0.25))
        labels.append(fault.lower().replace("_", " "))
top.legend(handles, labels, fontsize=7, ncol=3, loc="upper right")
top.set_title(f"Chaos soak, seed {seed}, {minutes} min of faults: 4 coordinated members, 6 threads each")
seconds = range(0, int(max(t for t, _ in sessions)) + 1)
bottom.bar(list(seconds), [failures.get(s, 0) for s in seconds], width=1.0, color="black")
bottom.set_ylabel("failed ops / s")
bottom.set_xlabel("seconds since the first sample")
fig.tight_layout()
fig.savefig(os.path.join(docs, f"chaos-{seed}.png"), dpi=90)

with open(os.path.join(results, "report.md")) as f:
    report = f.read()
with open(os.path.join(docs, f"chaos-{seed}.md"), "w") as f:
    f.write(f"Seed {seed}, {minutes} minutes of faults, {len(strikes)} faults.\n\n{report}")
print(report)
