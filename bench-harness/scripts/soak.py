#!/usr/bin/env python3
"""The soak test (issue 16; not in CI): shale-server on disk under YCSB A (50% reads,
50% updates of 1 KB items, so memtables flush and compactions run) at 80% of its
measured saturation, for an hour, sampling every minute the server's RSS, threads, open
files, and the p99 of its requests (from /metrics' latency histograms, per minute).

    cargo build --release -p shale-server -p shale-bench
    python3 bench-harness/scripts/soak.py --minutes 60 --out docs/soak

Writes <out>/soak.csv (one row a minute), <out>/soak.svg (RSS, threads and p99 over
time) and prints a summary with each figure's trend over the run's second half (the
least-squares slope per hour, against the mean). The acceptance is no upward trend in
memory or tail latency.
"""

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

RECORDS = 100_000
THREADS = 8


def start_server(binary, data_dir):
    p = subprocess.Popen([binary, "--port", "0", "--data-dir", data_dir],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = p.stdout.readline().strip().rsplit(" ", 1)[1]
    return p, url


def bench(bench_bin, url, extra, out_dir):
    cmd = [bench_bin, "ycsb", "a", "--targets", f"http:{url}", "--records", str(RECORDS),
           "--threads", str(THREADS), "--out", out_dir, *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def ops_per_sec(output):
    """The `(all)` row's ops/s from shale-bench's terminal table."""
    for line in output.splitlines():
        if "(all)" in line:
            cols = line.split()
            i = cols.index("(all)")
            return float(cols[i + 2])
    raise RuntimeError("no (all) row in:\n" + output)


def proc(pid):
    status = open(f"/proc/{pid}/status").read()
    field = lambda name: int(re.search(rf"^{name}:\s+(\d+)", status, re.M).group(1))
    return field("VmRSS") / 1024, field("Threads"), len(os.listdir(f"/proc/{pid}/fd"))


BUCKET = re.compile(r'^shale_request_duration_seconds_bucket\{operation="(\w+)",.*le="([^"]+)"\} (\d+)', re.M)


def histogram(url):
    """Cumulative counts per `le` bound, summed over the item operations."""
    text = urllib.request.urlopen(url + "/metrics", timeout=30).read().decode()
    counts = {}
    for op, le, n in BUCKET.findall(text):
        if op in ("GetItem", "PutItem", "UpdateItem"):
            bound = float("inf") if le == "+Inf" else float(le)
            counts[bound] = counts.get(bound, 0) + int(n)
    return counts


def p99(before, after):
    """The p99 (a bucket's upper bound, ms) of the requests between two scrapes."""
    bounds = sorted(after)
    total = after[bounds[-1]] - before.get(bounds[-1], 0)
    if total <= 0:
        return 0.0, 0
    for b in bounds:
        if after[b] - before.get(b, 0) >= 0.99 * total:
            return b * 1000, total
    return float("inf"), total


def slope_per_hour(xs, ys):
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    return 0.0 if var == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var * 60


def svg(rows, path):
    """Three stacked line charts: RSS MB, threads, p99 ms, against minutes."""
    w, h, pad = 720, 180, 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{3 * h + 20}" '
             'font-family="sans-serif" font-size="11">']
    for i, (key, label) in enumerate([("rss_mb", "RSS (MB)"), ("threads", "threads"),
                                      ("p99_ms", "p99 of GetItem/PutItem/UpdateItem (ms)")]):
        top = i * h + 10
        ys = [r[key] for r in rows]
        xs = [r["minute"] for r in rows]
        ymax = max(ys + [1]) * 1.15
        xmax = max(xs + [1])
        pts = " ".join(f"{pad + (x / xmax) * (w - 2 * pad):.1f},"
                       f"{top + h - 25 - (y / ymax) * (h - 45):.1f}" for x, y in zip(xs, ys))
        parts.append(f'<text x="{pad}" y="{top + 12}">{label}: min {min(ys):.1f}, '
                     f'max {max(ys):.1f}, last {ys[-1]:.1f}</text>')
        parts.append(f'<line x1="{pad}" y1="{top + h - 25}" x2="{w - pad}" y2="{top + h - 25}" '
                     'stroke="#999"/>')
        parts.append(f'<text x="{w - pad}" y="{top + h - 12}" text-anchor="end">'
                     f'{xmax} min</text>')
        parts.append(f'<polyline fill="none" stroke="#2a6" stroke-width="1.5" points="{pts}"/>')
    parts.append("</svg>")
    open(path, "w").write("\n".join(parts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="target/release/shale-server")
    ap.add_argument("--bench", default="target/release/shale-bench")
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--fraction", type=float, default=0.8)
    ap.add_argument("--out", default="docs/soak")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    data = tempfile.mkdtemp(prefix="shale-soak-")
    scratch = tempfile.mkdtemp(prefix="shale-soak-bench-")
    server, url = start_server(args.server, data)
    try:
        # Saturation: a closed-loop minute (the load phase fills the table first).
        sat = bench(args.bench, url, ["--operations", "100000000", "--duration", "60"], scratch)
        out, _ = sat.communicate()
        saturation = ops_per_sec(out)
        rate = saturation * args.fraction
        print(f"saturation {saturation:.0f} ops/s; soaking at {rate:.0f} ops/s "
              f"({args.fraction:.0%}) for {args.minutes} min", flush=True)
        load = bench(args.bench, url, ["--operations", "1000000000", "--duration",
                                       str(args.minutes * 60), "--target-ops", f"{rate:.0f}",
                                       "--load-durability", "buffered"], scratch)
        rows = []
        prev = histogram(url)
        started = time.time()
        for minute in range(1, args.minutes + 1):
            time.sleep(max(0.0, started + minute * 60 - time.time()))
            now = histogram(url)
            p, n = p99(prev, now)
            prev = now
            rss, threads, fds = proc(server.pid)
            row = {"minute": minute, "requests": n, "p99_ms": p, "rss_mb": round(rss, 1),
                   "threads": threads, "fds": fds}
            rows.append(row)
            print(row, flush=True)
        out, _ = load.communicate(timeout=600)
        print(out)
    finally:
        server.terminate()
        server.wait(timeout=60)
    with open(os.path.join(args.out, "soak.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    svg(rows, os.path.join(args.out, "soak.svg"))
    half = rows[len(rows) // 2:]
    xs = [r["minute"] for r in half]
    for key in ("rss_mb", "threads", "fds", "p99_ms"):
        ys = [r[key] for r in half]
        mean = sum(ys) / len(ys)
        s = slope_per_hour(xs, ys)
        print(f"{key}: mean {mean:.2f} over the second half, trend {s:+.2f}/hour "
              f"({(s / mean * 100) if mean else 0:+.1f}% of the mean per hour)")


if __name__ == "__main__":
    sys.exit(main())
