"""Medians and ratios of benchmarks/load/run.sh's runs, as the Markdown of docs/benchmarks/oversubscription.md."""
import json
import statistics
import sys
from collections import defaultdict

runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = defaultdict(list)
for run in runs:
    shape = 200 if run["config"].startswith("pgbench") else run["threads"]
    by[(shape, run["config"])].append(run)


def median(shape, config, field):
    values = [run[field] for run in by[(shape, config)] if field in run]
    return statistics.median(values) if values else None


def rounds(shape, config, field):
    return " / ".join(f"{run[field]:.0f}" for run in by[(shape, config)])


print("| threads | configuration | tx/s (median; each round) | p99 ms (median) | max ms | errors | longest wait for a connection / bound |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for (shape, config), group in sorted(by.items(), key=lambda item: (item[0][0], item[0][1])):
    errors = sum(run.get("errors", 0) for run in group)
    if config.startswith("pgbench"):
        print(f"| {shape} (pgbench: 10 clients) | `{config}` | {median(shape, config, 'txPerSecond'):.0f} ({rounds(shape, config, 'txPerSecond')}) | | | {errors} | |")
        continue
    longest = max(run["longestAcquireMs"] for run in group)
    bound = group[0]["boundMs"]
    print(f"| {shape} | `{config}` | {median(shape, config, 'txPerSecond'):.0f} ({rounds(shape, config, 'txPerSecond')}) "
          f"| {median(shape, config, 'p99Ms'):.1f} | {max(run['maxMs'] for run in group):.0f} | {errors} "
          f"| {longest:.0f} ms / {bound} ms |")

print()
print("| ratio | value | per round |")
print("| --- | --- | --- |")


def ratio(label, shape_a, config_a, shape_b, config_b, field="txPerSecond"):
    a = median(shape_a, config_a, field)
    b = median(shape_b, config_b, field)
    if a is None or b is None:
        return
    per_round = []
    for run_a in by[(shape_a, config_a)]:
        for run_b in by[(shape_b, config_b)]:
            if run_a["round"] == run_b["round"]:
                per_round.append(f"{run_a[field] / run_b[field]:.2f}")
    print(f"| {label} | **{a / b:.2f}x** | {' / '.join(per_round)} |")


for shape in sorted({shape for shape, config in by if not config.startswith("pgbench")}):
    ratio(f"{shape} threads: starter / plain, tx/s", shape, "starter", shape, "plain")
    ratio(f"{shape} threads: starter / plain, p99", shape, "starter", shape, "plain", "p99Ms")
ratio("200 threads: starter without the gate / plain, tx/s", 200, "starter-no-gate", 200, "plain")
ratio("200 threads: starter / `pgbench -S -c 10`, tx/s", 200, "starter", 200, "pgbench-S")
ratio("200 threads: starter / `pgbench -S -M prepared -c 10`, tx/s", 200, "starter", 200, "pgbench-S-prepared")
ratio("200 threads: plain / `pgbench -S -c 10`, tx/s", 200, "plain", 200, "pgbench-S")
