#!/usr/bin/python3
"""edgetrain report: figures and a Markdown summary of a campaign folder (runs.csv, rounds.csv,
nodes.csv, as `edgetrain campaign` merges them).

Runs that differ only by seed form a group, named by the values of the campaign's axes. Writes,
as PNG and SVG: loss against simulated time, accuracy against energy, time and energy to the
target per group with 95% confidence intervals over seeds, and the energy of each node; then
report.md with the tables. Called by `edgetrain report DIR`; uses Debian's python3-matplotlib.
"""
import csv
import io
import math
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Student's t, two-sided 95%, by degrees of freedom (1..30); 1.96 beyond.
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
       2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
       2.045, 2.042]


def fail(msg):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(2)


def read_csv(path, columns):
    """The rows of a campaign table, refused with its name when it is not one: not a file, not
    UTF-8 text, not CSV, or without the columns the report reads."""
    if not os.path.exists(path):
        fail(f"{path}: missing (is this a campaign folder? run `edgetrain campaign` first)")
    if not os.path.isfile(path):
        fail(f"{path}: not a file")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        fail(f"{path}: cannot read: {e.strerror}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        fail(f"{path}:{line}: not UTF-8 text: not a table edgetrain wrote")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = list(reader)
        header = reader.fieldnames or []
    except csv.Error as e:
        fail(f"{path}: not CSV: {e}")
    missing = [c for c in columns if c not in header]
    if missing:
        fail(f"{path}:1: no column {', '.join(missing)}: not a table edgetrain wrote (merge it again with "
             "`edgetrain campaign ... --merge-only`)")
    for n, row in enumerate(rows, start=2):
        if None in row or any(v is None for v in row.values()):
            fail(f"{path}:{n}: {len(header)} fields expected")
    return rows


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def mean_ci(values):
    """Mean and half-width of the 95% confidence interval (NaN values left out)."""
    v = [x for x in values if not math.isnan(x)]
    if not v:
        return float("nan"), float("nan"), 0
    if len(v) == 1:
        return v[0], float("nan"), 1
    t = T95[len(v) - 2] if len(v) - 1 <= len(T95) else 1.96
    return statistics.mean(v), t * statistics.stdev(v) / math.sqrt(len(v)), len(v)


def fmt(m, h):
    if math.isnan(m):
        return "-"
    return f"{m:.4g}" if math.isnan(h) else f"{m:.4g} ± {h:.2g}"


def save(fig, out, name):
    fig.tight_layout()
    paths = []
    for ext in ("png", "svg"):
        p = os.path.join(out, f"{name}.{ext}")
        # No dates, a fixed id salt: the same campaign gives the same files.
        fig.savefig(p, dpi=110, metadata={"Date": None} if ext == "svg" else {"Software": None})
        paths.append(p)
    plt.close(fig)
    return paths


def main():
    if len(sys.argv) != 2:
        fail("usage: edgetrain report CAMPAIGN_DIR")
    root = sys.argv[1]
    if not os.path.isdir(root):
        fail(f"{root}: not a folder")
    plt.rcParams["svg.hashsalt"] = "edgetrain"
    runs = read_csv(os.path.join(root, "runs.csv"), ["run_id", "seed", "status"])
    rounds = read_csv(os.path.join(root, "rounds.csv"), ["run_id", "end_s", "loss", "energy_total_j", "accuracy"])
    nodes = read_csv(os.path.join(root, "nodes.csv"), ["run_id", "node", "energy_j"])
    if not runs:
        fail(f"{root}/runs.csv: no runs")
    header = list(runs[0].keys())
    axes = header[header.index("run_id") + 1: header.index("seed")]
    ok = [r for r in runs if r["status"] == "ok"]
    if not ok:
        fail(f"{root}: no complete run to report on")

    def group_of(r):
        return ", ".join(f"{a.rsplit('.', 1)[-1]}={r[a]}" for a in axes) if axes else "all runs"

    groups = []
    for r in ok:
        if group_of(r) not in groups:
            groups.append(group_of(r))
    by_group = {g: [r for r in ok if group_of(r) == g] for g in groups}
    rounds_of = {}
    for row in rounds:
        rounds_of.setdefault(row["run_id"], []).append(row)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    color = {g: colors[i % len(colors)] for i, g in enumerate(groups)}
    images = []

    def curves(x_key, y_key, xlabel, ylabel, title, name, hline=None):
        """One line per run of y against x, coloured by group."""
        fig, ax = plt.subplots(figsize=(7.5, 4.5))
        for g in groups:
            for j, r in enumerate(by_group[g]):
                rs = rounds_of.get(r["run_id"], [])
                ax.plot([num(x[x_key]) for x in rs], [num(x[y_key]) for x in rs], color=color[g], lw=1,
                        alpha=0.8, label=g if j == 0 else None)
        if hline is not None:
            ax.axhline(hline, color="grey", ls="--", lw=0.8, label="target")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(f"{title} (one line per run)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        images.append((title, save(fig, root, name)))

    targets = {num(r.get("target_loss")) for r in ok}
    target = next(iter(targets)) if len(targets) == 1 and not math.isnan(next(iter(targets))) else None
    curves("end_s", "loss", "simulated time (s)", "training loss", "Loss against simulated time", "loss_time",
           target)
    curves("energy_total_j", "accuracy", "energy so far (J)", "test accuracy", "Accuracy against energy",
           "accuracy_energy")

    stats = {}
    for g in groups:
        rs = by_group[g]
        stats[g] = {
            "n": len(rs),
            "reached": sum(r.get("reached_target") == "true" for r in rs),
            "time": mean_ci([num(r.get("time_to_target_s")) for r in rs]),
            "energy": mean_ci([num(r.get("energy_to_target_j")) for r in rs]),
            "loss": mean_ci([num(r.get("final_loss")) for r in rs]),
            "acc": mean_ci([num(r.get("final_accuracy")) for r in rs]),
            "total": mean_ci([num(r.get("energy_j")) for r in rs]),
            "sim": mean_ci([num(r.get("sim_time_s")) for r in rs]),
        }

    fig, axs = plt.subplots(1, 2, figsize=(9.5, max(3.0, 0.45 * len(groups) + 1.5)))
    for ax, key, label in ((axs[0], "time", "time to target (s)"), (axs[1], "energy", "energy to target (J)")):
        ys = list(range(len(groups)))
        ms = [stats[g][key][0] for g in groups]
        hs = [0 if math.isnan(stats[g][key][1]) else stats[g][key][1] for g in groups]
        ax.barh(ys, [0 if math.isnan(m) else m for m in ms], xerr=hs, color=[color[g] for g in groups],
                capsize=3)
        for y, m in zip(ys, ms):
            if math.isnan(m):
                ax.text(0, y, " not reached", va="center", fontsize=7)
        ax.set_yticks(ys)
        ax.set_yticklabels(groups if ax is axs[0] else [], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(label)
        ax.grid(alpha=0.3, axis="x")
    fig.suptitle("To the target: mean over seeds that reached it, 95% confidence interval")
    images.append(("Time and energy to the target", save(fig, root, "to_target")))

    fig, ax = plt.subplots(figsize=(7.5, max(3.0, 0.45 * len(groups) + 1.5)))
    per_group = []
    for g in groups:  # each node's energy per run, averaged over the group's runs (seeds)
        ids = {r["run_id"] for r in by_group[g]}
        per_node = {}
        for n in nodes:
            if n["run_id"] in ids and not math.isnan(num(n["energy_j"])):
                per_node.setdefault(n["node"], []).append(num(n["energy_j"]))
        per_group.append([statistics.mean(v) for v in per_node.values()] or [float("nan")])
    ax.boxplot(per_group, vert=False, labels=groups)
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("energy of a node in a run (J), averaged over the group's seeds")
    ax.set_title("Energy of each node (aggregator included)")
    ax.grid(alpha=0.3, axis="x")
    images.append(("Energy of each node", save(fig, root, "node_energy")))

    lines = [f"# Campaign report: {os.path.basename(os.path.abspath(root))}", "",
             f"{len(runs)} runs: {len(ok)} complete, {sum(r['status'] == 'failed' for r in runs)} failed, "
             f"{sum(r['status'] == 'missing' for r in runs)} not run. Groups are runs that differ only by seed; "
             "figures are mean ± half-width of the 95% confidence interval over seeds (Student's t).", "",
             "| group | runs | reached target | time to target (s) | energy to target (J) | final loss "
             "| final accuracy | energy (J) | simulated time (s) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for g in groups:
        s = stats[g]
        lines.append(f"| {g} | {s['n']} | {s['reached']}/{s['n']} | {fmt(*s['time'][:2])} | "
                     f"{fmt(*s['energy'][:2])} | {fmt(*s['loss'][:2])} | {fmt(*s['acc'][:2])} | "
                     f"{fmt(*s['total'][:2])} | {fmt(*s['sim'][:2])} |")
    failed = [r for r in runs if r["status"] == "failed"]
    if failed:
        lines += ["", "Failed runs (details in runs/RUN_ID.failed):", ""]
        lines += [f"- run {r['run']} ({r['run_id']}): {r['failure']}" for r in failed]
    for title, paths in images:
        lines += ["", f"## {title}", "", f"![{title}]({os.path.basename(paths[0])})"]
    with open(os.path.join(root, ".report.md.partial"), "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(os.path.join(root, ".report.md.partial"), os.path.join(root, "report.md"))
    print(f"report: {os.path.join(root, 'report.md')} and {len(images)} figures (PNG, SVG)")


if __name__ == "__main__":
    main()
