#!/usr/bin/python3
"""How soon a libtorrent leecher with libtorrent's default settings (an
encrypted handshake first, plain retried after a delay) gets its first block
from a seeder: fluxo (--encryption prefer, the default), fluxo with
--encryption off (what fluxo was before MSE), and a libtorrent seeder.

  /usr/bin/python3 tools/bench_first_block.py [--size BYTES] [--rounds 3]
        [--leecher default|plain] [--fluxo build/release/tools/fluxo]

Each round runs one fresh leecher against each seeder in turn (the order
rotates), on loopback addresses 127.0.64.x. Prints one line per leech and a
median per seeder. Needs nothing beyond loopback.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def wait_line(proc, want, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        line = proc.stdout.readline()
        if not line:
            break
        if want in line:
            return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=8 << 20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--leecher", choices=("default", "plain"), default="default",
                    help="the leecher's encryption settings (plain: no encrypted handshake, a baseline)")
    ap.add_argument("--fluxo", default=os.path.join(HERE, "..", "build", "release", "tools", "fluxo"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="fluxo-first-block-")
    procs = []
    try:
        data = os.path.join(work, "data")
        os.makedirs(data)
        with open(os.path.join(data, "payload.bin"), "wb") as f:
            f.write(os.urandom(args.size))
        torrent = os.path.join(work, "payload.torrent")
        subprocess.run([args.fluxo, "create", os.path.join(data, "payload.bin"), "-o", torrent, "-q"], check=True)
        seeders = {}
        for name, ip, extra in (("fluxo prefer", "127.0.64.1", []), ("fluxo off", "127.0.64.2", ["--encryption", "off"])):
            p = subprocess.Popen([args.fluxo, "seed", torrent, "-d", data, "--listen", ip, "--port", "7501",
                                  "--no-trackers", "--json"] + extra, stdout=subprocess.PIPE, text=True)
            procs.append(p)
            if not wait_line(p, '"listening"'):
                sys.exit(name + " did not start")
            seeders[name] = ip + ":7501"
        lt = subprocess.Popen([sys.executable, os.path.join(HERE, "lt_swarm.py"), "seed", torrent, data, "--count", "1",
                               "--ip-base", "127.0.64.3", "--port", "7501", "--encryption", "default"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(lt)
        if not wait_line(lt, "ready"):
            sys.exit("libtorrent seeder did not start")
        seeders["libtorrent"] = "127.0.64.31:7501"
        results = {k: [] for k in seeders}
        names = list(seeders)
        for r in range(args.rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                out = os.path.join(work, "leech")
                shutil.rmtree(out, ignore_errors=True)
                res = subprocess.run([sys.executable, os.path.join(HERE, "lt_swarm.py"), "leech", torrent, out,
                                      "--ip", "127.0.64.9", "--peer", seeders[name], "--encryption", args.leecher,
                                      "--timeout", "60"], capture_output=True, text=True)
                rep = json.loads(res.stdout)
                print("round %d %-13s first block %.3f s, all %.3f s, ok %s" %
                      (r + 1, name, rep["first_block_seconds"] or -1, rep["seconds"], rep["ok"]), flush=True)
                if rep["ok"] and rep["first_block_seconds"] is not None:
                    results[name].append(rep["first_block_seconds"])
        for name in names:
            if results[name]:
                print("median %-13s first block %.3f s" % (name, statistics.median(results[name])))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
