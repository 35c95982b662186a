#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the RESULT and PROFILE lines of a `make bench` run into the
report: a CSV of medians, a markdown table with ratios, and PNG charts
drawn by gnuplot."""
import csv
import os
import statistics
import subprocess
import sys
from collections import defaultdict

mode, out = sys.argv[1], sys.argv[2]
SERVERS = ["khttpd", "uring-httpd", "nginx"]
COLS = ["scenario", "server", "conns", "cpus", "rep", "rps", "p50", "p90",
        "p99", "p999", "errors", "busy", "usr", "sys", "sirq"]
LABEL = {
    "ka13": "keep-alive, 13 B body, 64 conns",
    "ka16k": "keep-alive, 16 KiB body, 64 conns",
    "file1m": "keep-alive, 1 MiB body, 16 conns",
    "pipe16": "pipelined, 16 requests per write, 64 conns",
    "churn": "Connection: close, 64 conns",
    "sweep": "keep-alive, 13 B body, connection sweep",
    "scaling": "keep-alive, 13 B body, server vCPUs",
}

rows = []
with open(os.path.join(out, f"raw-{mode}.csv")) as f:
    for r in csv.reader(f):
        d = dict(zip(COLS, r[1:]))
        for k in COLS[2:]:
            if k != "cpus":
                d[k] = float(d[k])
        rows.append(d)

# one point = scenario, conns, server CPUs; its repetitions -> median
points = defaultdict(list)
for r in rows:
    points[(r["scenario"], int(r["conns"]), r["cpus"], r["server"])].append(r)


def med(rs, k):
    return statistics.median(x[k] for x in rs)


summary = []
for (sc, conns, cpus, srv), rs in points.items():
    s = {"scenario": sc, "conns": conns, "cpus": cpus, "server": srv,
         "n": len(rs)}
    for k in ["rps", "p50", "p90", "p99", "p999", "busy", "usr", "sys",
              "sirq", "errors"]:
        s[k] = med(rs, k)
    s["rps_min"] = min(x["rps"] for x in rs)
    s["rps_max"] = max(x["rps"] for x in rs)
    s["cpu_us"] = s["usr"] + s["sys"] + s["sirq"]
    summary.append(s)

order = {k: i for i, k in enumerate(LABEL)}
summary.sort(key=lambda s: (order.get(s["scenario"], 99), s["conns"],
                            s["cpus"], SERVERS.index(s["server"])))

with open(os.path.join(out, f"results-{mode}.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["scenario", "conns", "server_cpus", "server", "runs",
                "rps_median", "rps_min", "rps_max", "p50_us", "p90_us",
                "p99_us", "p999_us", "errors", "server_busy_pct",
                "user_us_per_req", "sys_us_per_req", "softirq_us_per_req"])
    for s in summary:
        w.writerow([s["scenario"], s["conns"], s["cpus"], s["server"], s["n"],
                    round(s["rps"]), round(s["rps_min"]), round(s["rps_max"]),
                    int(s["p50"]), int(s["p90"]), int(s["p99"]),
                    int(s["p999"]), int(s["errors"]), s["busy"], s["usr"],
                    s["sys"], s["sirq"]])


def by(sc, conns=None, cpus="0"):
    return {s["server"]: s for s in summary if s["scenario"] == sc and
            (conns is None or s["conns"] == conns) and s["cpus"] == cpus}


def ms(us):
    # wrk reports 0 for a percentile it could not compute (pipelining)
    return f"{us / 1000:.2f}" if us else "n/a"


# Under -icount every vCPU advances one instruction clock, so guest time
# per request (1/rps) is what a request costs in instructions, server and
# wrk together; with wrk's share the same for every server, the difference
# to khttpd's is the difference in server cost.
lines = []
lines.append("| scenario | server | req/s (median, min-max) | p50 / p90 / p99 / p99.9 ms "
             "| guest µs/req, all vCPUs (vs khttpd) | khttpd's req/s ÷ this "
             "| server vCPU busy | server vCPU µs/req (user + sys + softirq) |")
lines.append("|---|---|---|---|---|---|---|---|")
for s in summary:
    k = by(s["scenario"], s["conns"], s["cpus"]).get("khttpd")
    per = 1e6 / s["rps"] if s["rps"] else 0
    delta = ratio = ""
    if k and s["server"] != "khttpd" and s["rps"] and k["rps"]:
        delta = f" ({per - 1e6 / k['rps']:+.1f})"
        ratio = f"{k['rps'] / s['rps']:.2f}"
    bound = "" if s["busy"] >= 95 else " (not saturated)"
    name = LABEL.get(s["scenario"], s["scenario"])
    if s["scenario"] == "sweep":
        name = f"{name}: {s['conns']}"
    if s["scenario"] == "scaling":
        name = f"{name}: {s['cpus']}"
    lines.append(
        f"| {name} | {s['server']} | {s['rps']:,.0f} ({s['rps_min']:,.0f}-{s['rps_max']:,.0f}) "
        f"| {ms(s['p50'])} / {ms(s['p90'])} / {ms(s['p99'])} / {ms(s['p999'])} "
        f"| {per:.1f}{delta} | {ratio} "
        f"| {s['busy']:.0f}%{bound} | {s['cpu_us']:.1f} ({s['usr']:.1f} + {s['sys']:.1f} + {s['sirq']:.1f}) "
        "|" + (f" errors: {int(s['errors'])}" if s["errors"] else ""))
table = "\n".join(lines)

prof = defaultdict(list)
pf = os.path.join(out, f"profile-{mode}.csv")
if os.path.exists(pf):
    with open(pf) as f:
        for r in csv.reader(f):
            if len(r) >= 4:
                prof[r[1]].append((r[2], ",".join(r[3:])))
plines = []
for srv in SERVERS:
    if prof[srv]:
        plines.append(f"**{srv}** (server vCPU, keep-alive 13 B): " +
                      ", ".join(f"`{sym.strip()}` {pct}" for pct, sym in prof[srv][:10]))
with open(os.path.join(out, f"results-{mode}.md"), "w") as f:
    f.write(table + "\n\n" + "\n\n".join(plines) + "\n")

# --- charts -------------------------------------------------------------
def gp(script):
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


main = [s for s in summary if s["scenario"] in ("ka13", "ka16k", "file1m",
                                                  "pipe16", "churn")]
scen = [sc for sc in LABEL if any(s["scenario"] == sc for s in main)]
dat = os.path.join(out, f"rps-{mode}.dat")
with open(dat, "w") as f:
    f.write("# scenario " + " ".join(SERVERS) + "\n")
    for sc in scen:
        b = by(sc)
        f.write(sc + " " + " ".join(str(b[x]["rps"] if x in b else 0) for x in SERVERS) + "\n")
common = f"""set terminal pngcairo size 900,480 font ",10"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top
set grid ytics
"""
gp(common + f"""set output "{out}/rps-{mode}.png"
set title "Requests per second (median), server on one vCPU"
set logscale y
plot "{dat}" using 2:xtic(1) title "khttpd", "" using 3 title "uring-httpd", "" using 4 title "nginx"
""")

# CPU per request, stacked: small answers and the 1 MiB file apart (scale)
for part, names in [("", [x for x in scen if x != "file1m"]),
                    ("-1m", [x for x in scen if x == "file1m"])]:
    if not names:
        continue
    dat = os.path.join(out, f"cpu{part}-{mode}.dat")
    with open(dat, "w") as f:
        for sc in names:
            b = by(sc)
            for x in SERVERS:
                if x in b:
                    f.write(f"{sc}:{x} {b[x]['usr']} {b[x]['sys']} {b[x]['sirq']}\n")
    gp(common.replace("clustered gap 1", "rowstacked") + f"""set output "{out}/cpu{part}-{mode}.png"
set title "Server vCPU time per request (µs), by kind (includes waits for wrk vCPU turns)"
set xtics rotate by -40
plot "{dat}" using 2:xtic(1) title "user", "" using 3 title "system", "" using 4 title "softirq"
""")

b = by("ka13")
dat = os.path.join(out, f"latency-{mode}.dat")
with open(dat, "w") as f:
    f.write("# percentile " + " ".join(SERVERS) + "\n")
    for p in ["p50", "p90", "p99", "p999"]:
        f.write(p + " " + " ".join(str(b[x][p] / 1000 if x in b else 0) for x in SERVERS) + "\n")
gp(common + f"""set output "{out}/latency-{mode}.png"
set title "Latency percentiles (ms), keep-alive 13 B, 64 connections"
plot "{dat}" using 2:xtic(1) title "khttpd", "" using 3 title "uring-httpd", "" using 4 title "nginx"
""")

for sc, key, xlabel in [("sweep", "conns", "connections"),
                        ("scaling", "cpus", "server vCPUs")]:
    pts = [s for s in summary if s["scenario"] == sc or
           (s["scenario"] == "ka13" and (sc == "sweep" or True))]
    series = defaultdict(dict)
    for s in summary:
        if sc == "sweep" and s["scenario"] in ("sweep", "ka13") and s["cpus"] == "0":
            series[s["server"]][s["conns"]] = s["rps"]
        if sc == "scaling" and s["scenario"] in ("scaling", "ka13") and s["conns"] == 64:
            n = 1 if s["cpus"] == "0" else int(s["cpus"].split("-")[1]) + 1
            series[s["server"]][n] = s["rps"]
    if not any(len(v) > 1 for v in series.values()):
        continue
    dat = os.path.join(out, f"{sc}-{mode}.dat")
    with open(dat, "w") as f:
        for i, x in enumerate(SERVERS):
            f.write(f"# {x}\n")
            for k in sorted(series[x]):
                f.write(f"{k} {series[x][k]}\n")
            f.write("\n\n")
    gp(f"""set terminal pngcairo size 900,480 font ",10"
set output "{out}/{sc}-{mode}.png"
set title "Requests per second by {xlabel}"
set xlabel "{xlabel}"
set grid
set key top left
{"set logscale x 2" if sc == "sweep" else ""}
plot for [i=0:2] "{dat}" index i using 1:2 with linespoints lw 2 title word("khttpd uring-httpd nginx", i + 1)
""")
print(f"bench_report: {len(rows)} runs, {len(summary)} points")
