#!/usr/bin/python3
"""Runs one scenario under several policy variants and seeds, then compares time to a target
accuracy and final accuracy: a Markdown table (study.md) and accuracy against simulated time
(accuracy.png, accuracy.svg). Campaigns (issue 7) will do this in general; this is the small
version the DISTREAL docs' comparison comes from.

  tools/accuracy-study.py SCENARIO.toml --out DIR --seeds 1 2 3 --target 0.8 \\
      --variant "distreal=policy.name=distreal" \\
      --variant "fedavg (k=10)=policy.name=random policy.random.k=10" [--set KEY=VALUE ...]

A variant is LABEL=SETTINGS, SETTINGS being --set assignments separated by spaces. Runs already in
DIR (their summary.json present) are not run again. Needs python3-matplotlib for the plot.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys


def run_one(binary, scenario, out, seed, sets):
    if os.path.exists(os.path.join(out, "summary.json")):
        return True
    tmp = out + ".partial"
    subprocess.run(["rm", "-rf", tmp], check=True)
    cmd = [binary, "run", scenario, "--out", tmp, "--no-progress", "--seed", str(seed), "--set"] + sets
    with open(out + ".log", "w") as log:
        ok = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode == 0
    if ok:
        subprocess.run(["rm", "-rf", out], check=True)
        os.rename(tmp, out)  # a run is in DIR only once complete
    return ok


def rounds(out):
    with open(os.path.join(out, "rounds.csv")) as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def metrics(rows, target, last):
    reached = [r["end_s"] for r in rows if r["accuracy"] >= target]
    tail = rows[-last:]
    return {
        "time_to_target": reached[0] if reached else float("nan"),
        "rounds_to_target": next((int(r["round"]) for r in rows if r["accuracy"] >= target), None),
        "final_accuracy": statistics.mean(r["accuracy"] for r in tail),
        "sim_time": rows[-1]["end_s"],
        "energy": rows[-1]["energy_total_j"],
        "finished_share": statistics.mean(r["trainers_finished"] / max(1, r["trainers_planned"]) for r in rows),
    }


def mean_sd(values):
    values = [v for v in values if v == v]  # drop NaN (target not reached)
    if not values:
        return "not reached"
    if len(values) == 1:
        return f"{values[0]:.3g}"
    return f"{statistics.mean(values):.3g} ± {statistics.stdev(values):.2g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", nargs="+", type=int, default=[1])
    ap.add_argument("--target", type=float, required=True, help="target test accuracy")
    ap.add_argument("--last", type=int, default=5, help="final accuracy: mean over the last N rounds")
    ap.add_argument("--variant", action="append", required=True)
    ap.add_argument("--set", nargs="*", default=[], dest="sets")
    ap.add_argument("--title", default="")
    ap.add_argument("--edgetrain", default=os.environ.get("EDGETRAIN", "build/edgetrain"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    variants = []
    for v in a.variant:
        label, _, settings = v.partition("=")
        if not settings:
            sys.exit(f"error: --variant {v!r}: expected LABEL=SETTINGS")
        variants.append((label, settings.split()))

    results = {}  # label -> list of (seed, metrics, rows)
    for label, sets in variants:
        slug = "".join(c if c.isalnum() else "-" for c in label).strip("-")
        for seed in a.seeds:
            out = os.path.join(a.out, f"{slug}-seed{seed}")
            print(f"{label}, seed {seed}", file=sys.stderr, flush=True)
            if not run_one(a.edgetrain, a.scenario, out, seed, sets + a.sets):
                print(f"  failed: see {out}.log", file=sys.stderr)
                continue
            rows = rounds(out)
            results.setdefault(label, []).append((seed, metrics(rows, a.target, a.last), rows))

    lines = [
        f"Target accuracy {a.target}; final accuracy is the mean over the last {a.last} rounds; "
        f"seeds {' '.join(map(str, a.seeds))}; mean ± standard deviation over seeds.",
        "",
        "| variant | time to target (s) | rounds to target | final accuracy | simulated time (s) "
        "| energy (J) | updates arriving |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, _ in variants:
        runs = results.get(label, [])
        if not runs:
            lines.append(f"| {label} | failed | | | | | |")
            continue
        m = [r[1] for r in runs]
        rtt = [x["rounds_to_target"] for x in m if x["rounds_to_target"] is not None]
        lines.append(
            f"| {label} | {mean_sd([x['time_to_target'] for x in m])} "
            f"| {mean_sd(rtt) if len(rtt) == len(m) else mean_sd(rtt) + f' ({len(rtt)}/{len(m)} reached)'} "
            f"| {mean_sd([x['final_accuracy'] for x in m])} | {mean_sd([x['sim_time'] for x in m])} "
            f"| {mean_sd([x['energy'] for x in m])} | {mean_sd([x['finished_share'] for x in m])} |"
        )
    lines += ["", "Per seed, time to target (s) / final accuracy:", "", "| variant | " +
              " | ".join(f"seed {s}" for s in a.seeds) + " |", "|---|" + "---|" * len(a.seeds)]
    for label, _ in variants:
        by_seed = {s: m for s, m, _ in results.get(label, [])}
        cells = [f"{by_seed[s]['time_to_target']:.3g} / {by_seed[s]['final_accuracy']:.3f}" if s in by_seed
                 else "failed" for s in a.seeds]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "study.md"), "w") as f:
        f.write(table)
    print(table)

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("no plot: python3-matplotlib is not installed", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(7, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, _) in enumerate(variants):
        for j, (_, _, rows) in enumerate(results.get(label, [])):
            ax.plot([r["end_s"] for r in rows], [r["accuracy"] for r in rows],
                    color=colors[i % len(colors)], lw=1.2, alpha=0.8, label=label if j == 0 else None)
    ax.axhline(a.target, color="grey", ls="--", lw=0.8)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(bottom=max(0.0, a.target - 0.35))
    if a.title:
        ax.set_title(a.title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    for ext in ("png", "svg"):
        # SVGs embed a date unless told not to: keep them byte-identical from run to run.
        fig.savefig(os.path.join(a.out, f"accuracy.{ext}"), dpi=120, metadata={"Date": None} if ext == "svg" else None)


if __name__ == "__main__":
    main()
