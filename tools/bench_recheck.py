#!/usr/bin/python3
"""Recheck benchmark: fluxo verify against libtorrent's recheck and a
single-threaded SHA-1 baseline, on the same file with a hot page cache.

  /usr/bin/python3 tools/bench_recheck.py [--size 1GiB] [--fluxo build/release/tools/fluxo]

Prints wall seconds, GiB/s and the ratios for: fluxo verify (every core),
fluxo verify --hash-threads 1, libtorrent's force_recheck (hashing_threads =
cores), and sha1sum over the file (one thread, the SHA-1 floor per core).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_swarm import make_payload, parse_size  # noqa: E402


def wall(argv):
    t = time.time()
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return time.time() - t, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1GiB")
    ap.add_argument("--fluxo", default=os.path.join(HERE, "..", "build", "release", "tools", "fluxo"))
    args = ap.parse_args()
    size = parse_size(args.size)
    work = tempfile.mkdtemp(prefix="fluxo-recheck-")
    try:
        data = os.path.join(work, "data")
        os.makedirs(data)
        payload = os.path.join(data, "payload.bin")
        print("# making a %d MiB payload" % (size >> 20), file=sys.stderr)
        make_payload(payload, size)
        torrent = os.path.join(work, "r.torrent")
        subprocess.check_call([args.fluxo, "create", payload, "-o", torrent, "-q"])
        subprocess.check_call(["cat", payload], stdout=subprocess.DEVNULL)  # hot cache
        rows = []
        s, out = wall([args.fluxo, "verify", torrent, "-d", data, "-q"])
        rows.append(("fluxo verify", s, out.returncode == 0))
        s, out = wall([args.fluxo, "verify", torrent, "-d", data, "-q", "--hash-threads", "1"])
        rows.append(("fluxo verify --hash-threads 1", s, out.returncode == 0))
        _, out = wall(["/usr/bin/python3", os.path.join(HERE, "lt_swarm.py"), "recheck", torrent, data])
        lt = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else {"seconds": 0, "complete": False}
        rows.append(("libtorrent recheck (%d threads)" % os.cpu_count(), lt["seconds"], lt["complete"]))
        s, out = wall(["sha1sum", payload])
        rows.append(("sha1sum (one thread)", s, out.returncode == 0))
        base = rows[0][1]
        print("| check | ok | wall s | GiB/s | fluxo speed-up |")
        print("| --- | --- | --- | --- | --- |")
        for name, secs, ok in rows:
            print("| %s | %s | %.2f | %.2f | %.2fx |" % (name, "yes" if ok else "NO", secs,
                                                       size / secs / (1 << 30) if secs else 0,
                                                       secs / base if base else 0))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
