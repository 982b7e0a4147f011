#!/usr/bin/env python3
"""Replays issue 16's attacks at full scale against a shale-server binary and measures
what a normal client sees meanwhile: its GetItem latency (p50, p99, max over 500
requests on one keep-alive connection), and the server's RSS, threads and open files.

    python3 bench-harness/scripts/hostile_clients.py target/release/shale-server

Scenarios (each on a fresh server):
  slow_body  4,200 connections that send full headers and one byte of a 200-byte body
  silent     4,200 connections that send nothing
  dribble    500 connections dribbling a declared 17 MB body a byte per TCP segment
             (20,000 bytes in all)
  disk_load  200 keep-alive connections doing PutItem/GetItem on --data-dir for 20 s

Not a test (it times things); the integration tests replay the same attacks at a small
scale (server/tests/server_hostile_clients.rs). Needs `ulimit -n` above 9,000.
"""

import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time

HEAD = ("POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.{op}\r\n"
        "Content-Type: application/x-amz-json-1.0\r\nContent-Length: {n}\r\n\r\n")


def start(binary, args):
    p = subprocess.Popen([binary, "--port", "0", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    host, port = line.strip().rsplit("/", 1)[1].split(":")
    return p, (host, int(port))


def proc_figures(pid):
    status = open(f"/proc/{pid}/status").read()
    rss = int([l for l in status.splitlines() if l.startswith("VmRSS:")][0].split()[1])
    threads = int([l for l in status.splitlines() if l.startswith("Threads:")][0].split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return {"rss_mb": round(rss / 1024, 1), "threads": threads, "fds": fds}


class Client:
    """A keep-alive DynamoDB JSON client on a raw socket."""

    def __init__(self, addr, timeout=10):
        self.s = socket.create_connection(addr, timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def call(self, op, body):
        data = json.dumps(body).encode()
        self.s.sendall(HEAD.format(op=op, n=len(data)).encode() + data)
        while b"\r\n\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0]
                .split(b":")[1])
        while len(rest) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            rest += chunk
        self.buf = rest[n:]
        status = int(head.split(b" ")[1])
        return status, rest[:n]


def setup_table(addr):
    c = Client(addr)
    c.call("CreateTable", {
        "TableName": "Users",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"})
    for i in range(100):
        c.call("PutItem", {"TableName": "Users",
                           "Item": {"pk": {"S": f"k{i}"}, "v": {"S": "x" * 1000}}})


def latency(addr, n=500):
    """A new client's GetItem latencies, ms: connecting is part of the first. A client
    that gets no answer within 10 s reports that instead."""
    try:
        return measure(addr, n)
    except OSError as e:
        return {"error": f"no answer: {e!r}"}


def measure(addr, n):
    t0 = time.perf_counter()
    c = Client(addr)
    out = []
    for i in range(n):
        t = time.perf_counter()
        status, _ = c.call("GetItem", {"TableName": "Users", "Key": {"pk": {"S": f"k{i % 100}"}}})
        assert status == 200, status
        out.append((time.perf_counter() - t) * 1000)
    out.sort()
    return {"connect_and_first_ms": round((time.perf_counter() - t0) * 1000 / n, 3),
            "p50_ms": round(out[n // 2], 3), "p99_ms": round(out[int(n * 0.99)], 3),
            "max_ms": round(out[-1], 3)}


def attack_connections(addr, n, payload):
    socks = []
    for _ in range(n):
        s = socket.create_connection(addr)
        if payload:
            s.sendall(payload)
        socks.append(s)
    return socks


def scenario(binary, name):
    args = ["--in-memory"]
    tmp = None
    if name == "disk_load":
        tmp = tempfile.mkdtemp(prefix="shale-hostile-")
        args = ["--data-dir", tmp]
    p, addr = start(binary, args)
    try:
        setup_table(addr)
        result = {"scenario": name, "before": {**latency(addr), **proc_figures(p.pid)}}
        socks = []
        stop = threading.Event()
        workers = []
        if name == "slow_body":
            socks = attack_connections(addr, 4200, HEAD.format(op="GetItem", n=200).encode() + b"x")
        elif name == "silent":
            socks = attack_connections(addr, 4200, None)
        elif name == "dribble":
            socks = attack_connections(addr, 500, HEAD.format(op="PutItem", n=17_000_000).encode())
            for s in socks:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for _ in range(40):
                for s in socks:
                    try:
                        s.sendall(b" ")
                    except OSError:
                        pass
                time.sleep(0.002)
        elif name == "disk_load":
            def work(i):
                c = Client(addr, timeout=30)
                j = 0
                while not stop.is_set():
                    j += 1
                    c.call("PutItem", {"TableName": "Users",
                                       "Item": {"pk": {"S": f"w{i}-{j % 50}"}, "v": {"S": "y" * 1000}}})
                    c.call("GetItem", {"TableName": "Users", "Key": {"pk": {"S": f"w{i}-{j % 50}"}}})
            for i in range(200):
                t = threading.Thread(target=work, args=(i,), daemon=True)
                t.start()
                workers.append(t)
        time.sleep(2)
        peak = proc_figures(p.pid)
        during = latency(addr)
        if name == "disk_load":
            for _ in range(15):
                time.sleep(1)
                f = proc_figures(p.pid)
                peak = {k: max(peak[k], f[k]) for k in peak}
        result["during"] = {**during, **proc_figures(p.pid)}
        result["peak_during"] = peak
        stop.set()
        for t in workers:
            t.join(timeout=30)
        for s in socks:
            s.close()
        time.sleep(2)
        result["after"] = {**latency(addr), **proc_figures(p.pid)}
        return result
    finally:
        p.terminate()
        p.wait(timeout=30)


def main():
    binary = sys.argv[1]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20000), hard))
    names = sys.argv[2:] or ["slow_body", "silent", "dribble", "disk_load"]
    for name in names:
        print(json.dumps(scenario(binary, name)), flush=True)


if __name__ == "__main__":
    main()
