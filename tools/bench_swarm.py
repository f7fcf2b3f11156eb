#!/usr/bin/python3
"""Loopback swarm benchmark: fluxo against libtorrent-rasterbar and aria2c.

Makes a payload and torrent, starts opentracker and N libtorrent seeders
(uTP off, each on its own 127.x address), then downloads the same torrent
with fluxo, with libtorrent's own downloader (python3-libtorrent) and with
aria2c, one after another in one run. Every download is checked byte for
byte. Prints wall seconds, MiB/s, CPU seconds per GiB, peak RSS, what the
seeders sent per byte of payload, and the ratios to fluxo.

  /usr/bin/python3 tools/bench_swarm.py [--size 1GiB] [--seeders 4 16]
        [--fluxo build/release/tools/fluxo] [--clients fluxo,libtorrent,aria2c] [--json]
        [--torrents N] [--rounds R] [--fluxo-args "--max-active 50"] [--encryption plain|default]

The seeders check their data before any client runs (not libtorrent's seed
mode, which hashes each piece the first time a peer asks for it: a cost the
first client alone would pay). The downloaders open connections alike: plain handshakes by default (fluxo
--encryption off, libtorrent's outgoing encryption disabled), or with
--encryption default each client's own default (both try MSE first: a
Diffie-Hellman exchange per connection on each side, which libtorrent's
seeders compute in about 1.8 ms of CPU each; 200 connections to fetch 50
torrents from 4 seeders cost them some 0.37 CPU s).

WAN-like: --wan puts every seeder behind a TCP proxy that delays each
direction by half of --delay-ms (100 ms round trip by default) and limits each
seeder's upload to --seed-rate (4 MiB/s); the clients are given the proxies'
addresses (no tracker), so request pipelining, slow start and end-game decide
the time. aria2c takes no peer addresses and is left out.

Bulk fetching: --torrents N makes N payloads of --size each, the seeders seed
them all, and each client fetches them all in one process (fluxo: all on the
command line; libtorrent: one session, all added, its queue off; aria2c: -i
LIST -j N). With --rounds R the clients run R times, the order rotated each
round so no client always goes first; one untimed fetch comes before the
rounds (--warmup 0: none), so no measured client meets seeders that have
served nobody yet.

With --upload it measures the other direction instead: one fluxo seeder, then
one libtorrent seeder (high_performance_seed, seed mode), each serving one
libtorrent leecher with the same settings; it prints the leecher's wall
seconds and MiB/s, and the seeder's CPU seconds per GiB uploaded and peak RSS.
"""
import argparse
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_size(text):
    m = re.fullmatch(r"(\d+)\s*(B|KiB|MiB|GiB|K|M|G)?", text)
    if not m:
        raise SystemExit("bad size " + text)
    mult = {"B": 1, None: 1, "K": 1 << 10, "KiB": 1 << 10, "M": 1 << 20, "MiB": 1 << 20,
            "G": 1 << 30, "GiB": 1 << 30}[m.group(2)]
    return int(m.group(1)) * mult


def make_payload(path, size):
    chunk = 16 << 20
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(chunk, left)
            f.write(os.urandom(n))
            left -= n


def drain(stream):
    """Reads a child's output to its end on a thread of its own. A fluxo seeder
    with --json prints a progress line every second: a pipe nobody reads fills
    within minutes, and the seeder then blocks in write() and never sees its
    SIGTERM."""
    def run():
        while stream.read(65536):
            pass
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


class Seeders:
    def __init__(self, torrents, parent, count, ip_base, log, upload_limit=0):
        torrents = [torrents] if isinstance(torrents, str) else torrents
        also = [a for t in torrents[1:] for a in ("--also", t)]
        limit = ["--upload-limit", str(upload_limit)] if upload_limit else []
        self.p = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(HERE, "lt_swarm.py"), "seed", torrents[0], parent,
             "--count", str(count), "--ip-base", ip_base, "--lifetime", "3600", "--checked"] + also + limit,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise SystemExit("seeders failed to start")
            if line.startswith("ready"):
                break

    def uploaded(self):
        self.p.stdin.write("stats\n")
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline()
            if line.startswith("uploaded"):
                return int(line.split()[1])

    def cpu_seconds(self):
        """User + system CPU seconds the seeders' process has used so far."""
        return proc_cpu(self.p.pid)

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


def tracker_lists(ip, port, info_hash, n, timeout=60):
    q = "".join("%%%02X" % b for b in bytes.fromhex(info_hash))
    end = time.time() + timeout
    while time.time() < end:
        try:
            body = urllib.request.urlopen("http://%s:%d/scrape?info_hash=%s" % (ip, port, q), timeout=2).read()
            m = re.search(rb"8:completei(\d+)e", body)
            if m and int(m.group(1)) >= n:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def timed(argv, cwd=None):
    """Runs argv under GNU time; returns (exit code, wall s, cpu s, peak RSS KiB)."""
    fmt = "%e %U %S %M"
    with tempfile.NamedTemporaryFile("r") as t:
        rc = subprocess.call(["/usr/bin/time", "-o", t.name, "-f", fmt] + argv, cwd=cwd,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        fields = t.read().split()[-4:]
    wall, user, sys_, rss = float(fields[0]), float(fields[1]), float(fields[2]), int(fields[3])
    return rc, wall, user + sys_, rss


def run(args):
    work = tempfile.mkdtemp(prefix="fluxo-bench-")
    results = []
    try:
        data = os.path.join(work, "data")
        os.makedirs(data)
        size = parse_size(args.size)
        tip, tport = "127.0.50.250", 6969
        # One torrent of the whole size, or --torrents N of that size each.
        names = ["payload.bin"] if args.torrents == 1 else ["part-%03d.bin" % i for i in range(args.torrents)]
        torrents, hashes = [], []
        print("# making %d payload%s of %d MiB" % (len(names), "s" if len(names) > 1 else "", size >> 20),
              file=sys.stderr)
        for name in names:
            make_payload(os.path.join(data, name), size)
            torrent = os.path.join(work, name + ".torrent")
            # WAN-like: no tracker (it would list the seeders behind the
            # proxies); every client is given the proxies' addresses.
            tracker_args = [] if args.wan else ["-t", "http://%s:%d/announce" % (tip, tport)]
            subprocess.check_call([args.fluxo, "create", os.path.join(data, name), "-o", torrent, "-q"] +
                                  tracker_args)
            torrents.append(torrent)
            hashes.append(json.loads(subprocess.check_output([args.fluxo, "info", "--json", torrent]))["info_hash"])
        total = size * len(names)
        chroot = os.path.join(work, "tracker")
        os.makedirs(chroot)
        os.chmod(chroot, 0o755)
        with open(os.path.join(chroot, "whitelist"), "w") as w:
            w.write("".join(h + "\n" for h in hashes))
        tracker = subprocess.Popen(["opentracker", "-i", tip, "-p", str(tport), "-P", str(tport),
                                    "-d", chroot, "-u", "nobody", "-w", "/whitelist"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log = open(os.path.join(work, "seeders.log"), "w")
        listing = os.path.join(work, "torrents.txt")
        with open(listing, "w") as f:
            f.write("".join(t + "\n" for t in torrents))
        try:
            for n in args.seeders:
                base = "127.0.%d." % (60 + n)
                seeders = Seeders(torrents, data, n, base, log, parse_size(args.seed_rate) if args.wan else 0)
                proxy = None
                try:
                    peers = []
                    if args.wan:
                        maps = []
                        for i in range(n):
                            front = "127.0.%d.%d:6881" % (160 + n, i + 1)
                            maps += ["--map", "%s=%s%d:6881" % (front, base, i + 1)]
                            peers.append(front)
                        proxy = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "delay_proxy.py"),
                                                  "--delay-ms", str(args.delay_ms / 2)] + maps,
                                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
                        if not proxy.stdout.readline().startswith("ready"):
                            raise SystemExit("the delay proxy did not start")
                    else:
                        for h in hashes:
                            if not tracker_lists(tip, tport, h, n):
                                raise SystemExit("the tracker never listed every seeder")
                    if args.warmup:
                        # Untimed: the first fetch of a run meets seeders (and
                        # delay proxies) that have served nobody yet, whichever
                        # client it is; the rotation below starts with fluxo.
                        print("# warm-up fetch (%s, not reported)" % args.clients[0], file=sys.stderr)
                        one_client(args, args.clients[0], n, -1, torrents, listing, names, data, total,
                                   seeders, work, peers)
                    for rnd in range(args.rounds):
                        # Rotating order: no client always meets cold seeders first.
                        k = rnd % len(args.clients)
                        for client in args.clients[k:] + args.clients[:k]:
                            results.append(one_client(args, client, n, rnd, torrents, listing, names, data, total,
                                                      seeders, work, peers))
                finally:
                    if proxy:
                        proxy.stdin.close()
                        proxy.wait(timeout=30)
                    seeders.close()
        finally:
            tracker.kill()
            log.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def one_client(args, client, n, rnd, torrents, listing, names, data, total, seeders, work, peers):
    out = os.path.join(work, "out-" + client)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    if client == "fluxo":
        argv = [args.fluxo, "download"] + torrents + ["-o", out, "-q"] + args.fluxo_args
        if args.encryption == "plain":
            argv += ["--encryption", "off"]
        for p in peers:
            argv += ["--peer", p]
    elif client == "libtorrent":
        argv = ["/usr/bin/python3", os.path.join(HERE, "lt_swarm.py"), "leech", torrents[0], out,
                "--ip", "127.0.52.1", "--encryption", args.encryption]
        for t in torrents[1:]:
            argv += ["--also", t]
        for p in peers:
            argv += ["--peer", p]
    else:
        argv = ["aria2c", "-d", out, "--seed-time=0", "--enable-dht=false",
                "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
                "--file-allocation=none", "--summary-interval=0", "--console-log-level=error",
                "-q", "-j", str(len(torrents)), "-i", listing]
    before = seeders.uploaded()
    seeder_cpu = seeders.cpu_seconds()
    rc, wall, cpu, rss = timed(argv)
    seeder_cpu = seeders.cpu_seconds() - seeder_cpu
    sent = seeders.uploaded() - before
    ok = rc == 0 and all(filecmp.cmp(os.path.join(data, name), os.path.join(out, name), shallow=False)
                         for name in names)
    print("# %s with %d seeders: %.2f s%s" % (client, n, wall, "" if ok else " FAILED (exit %d)" % rc),
          file=sys.stderr)
    shutil.rmtree(out, ignore_errors=True)
    return {
        "seeders": n, "round": rnd, "client": client, "ok": ok, "seconds": wall,
        "mib_per_s": total / wall / (1 << 20) if wall else 0,
        "cpu_s_per_gib": cpu / (total / (1 << 30)),
        "peak_rss_mib": rss / 1024, "sent_per_payload": sent / total,
        "seeders_cpu_s": seeder_cpu,
    }


def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def upload(args):
    work = tempfile.mkdtemp(prefix="fluxo-upbench-")
    results = []
    try:
        data = os.path.join(work, "data")
        os.makedirs(data)
        payload = os.path.join(data, "payload.bin")
        size = parse_size(args.size)
        print("# making a %d MiB payload" % (size >> 20), file=sys.stderr)
        make_payload(payload, size)
        torrent = os.path.join(work, "up.torrent")
        subprocess.check_call([args.fluxo, "create", payload, "-o", torrent, "-q"])
        for kind in ("fluxo", "libtorrent"):
            seed_ip, leech_ip = "127.0.55.1", "127.0.56.1"
            log = open(os.path.join(work, "seed-%s.log" % kind), "w")
            if kind == "fluxo":
                p = subprocess.Popen([args.fluxo, "seed", torrent, "-d", data, "--listen", seed_ip, "--port", "6881",
                                      "--no-trackers", "--json"], stdout=subprocess.PIPE, stderr=log, text=True)
                while True:
                    line = p.stdout.readline()
                    if not line:
                        raise SystemExit("fluxo seed failed to start")
                    if '"listening"' in line:
                        break
                drain(p.stdout)
            else:
                lt_seeder = Seeders(torrent, data, 1, "127.0.55.", log)
                p = lt_seeder.p
            time.sleep(1)
            out = os.path.join(work, "out-" + kind)
            cpu0 = proc_cpu(p.pid)
            rc, wall, _, _ = timed(["/usr/bin/python3", os.path.join(HERE, "lt_swarm.py"), "leech", torrent, out,
                                    "--ip", leech_ip, "--peer", seed_ip + ":6881"])
            cpu = proc_cpu(p.pid) - cpu0
            rss = proc_peak_rss_kib(p.pid)
            ok = rc == 0 and filecmp.cmp(payload, os.path.join(out, "payload.bin"), shallow=False)
            results.append({"seeder": kind, "ok": ok, "seconds": wall,
                            "mib_per_s": size / wall / (1 << 20) if wall else 0,
                            "seeder_cpu_s_per_gib": cpu / (size / (1 << 30)), "seeder_peak_rss_mib": rss / 1024})
            print("# %s seeder: %.2f s%s" % (kind, wall, "" if ok else " FAILED"), file=sys.stderr)
            if kind == "fluxo":
                p.terminate()
                p.wait(timeout=30)
            else:
                lt_seeder.close()
            log.close()
            shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1GiB")
    ap.add_argument("--seeders", type=int, nargs="+", default=[4, 16])
    ap.add_argument("--fluxo", default=os.path.join(HERE, "..", "build", "release", "tools", "fluxo"))
    ap.add_argument("--clients", default="fluxo,libtorrent,aria2c")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--upload", action="store_true", help="measure seeding instead of downloading")
    ap.add_argument("--torrents", type=int, default=1, help="N torrents of --size each (bulk fetching)")
    ap.add_argument("--rounds", type=int, default=1, help="repeat, rotating the order of the clients")
    ap.add_argument("--fluxo-args", default="", help="extra options for fluxo download (one string)")
    ap.add_argument("--wan", action="store_true",
                    help="seeders behind delay proxies (--delay-ms round trip) and rate limits (--seed-rate each); "
                         "peers given directly, no tracker; fluxo and libtorrent only")
    ap.add_argument("--delay-ms", type=float, default=100, help="WAN round-trip time")
    ap.add_argument("--seed-rate", default="4MiB", help="WAN upload limit per seeder")
    ap.add_argument("--warmup", type=int, default=1, choices=[0, 1],
                    help="one untimed fetch before the rounds (default 1), so that no measured client meets "
                         "seeders that have served nobody yet")
    ap.add_argument("--encryption", choices=["plain", "default"], default="plain",
                    help="the downloaders' outgoing handshakes: plain for fluxo and libtorrent both "
                         "(fluxo --encryption off), or each client's default (fluxo prefer, libtorrent enabled: "
                         "MSE first, which costs every seeder a Diffie-Hellman exchange per connection)")
    args = ap.parse_args()
    args.clients = args.clients.split(",")
    args.fluxo_args = args.fluxo_args.split()
    if args.wan:
        args.clients = [c for c in args.clients if c != "aria2c"]  # aria2c takes no peer addresses
    if args.upload:
        results = upload(args)
        if args.json:
            print(json.dumps(results, indent=1))
        else:
            print("| seeder | ok | leecher wall s | MiB/s | seeder CPU s/GiB | seeder peak RSS MiB | fluxo speed-up |")
            print("| --- | --- | --- | --- | --- | --- | --- |")
            f = results[0]
            for r in results:
                print("| %s | %s | %.2f | %.0f | %.2f | %.0f | %.2fx |" % (
                    r["seeder"], "yes" if r["ok"] else "NO", r["seconds"], r["mib_per_s"], r["seeder_cpu_s_per_gib"],
                    r["seeder_peak_rss_mib"], r["seconds"] / f["seconds"] if f["seconds"] else 0))
        sys.exit(0 if all(r["ok"] for r in results) else 1)
    results = run(args)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print("| seeders | round | client | ok | wall s | MiB/s | CPU s/GiB | peak RSS MiB | sent/payload | seeders' CPU s | fluxo speed-up |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        f = next((x for x in results if x["seeders"] == r["seeders"] and x["round"] == r["round"] and
                  x["client"] == "fluxo"), None)
        ratio = "%.2fx" % (r["seconds"] / f["seconds"]) if f and f["seconds"] else "-"
        print("| %d | %d | %s | %s | %.2f | %.0f | %.2f | %.0f | %.3f | %.2f | %s |" % (
            r["seeders"], r["round"] + 1, r["client"], "yes" if r["ok"] else "NO", r["seconds"], r["mib_per_s"],
            r["cpu_s_per_gib"], r["peak_rss_mib"], r["sent_per_payload"], r["seeders_cpu_s"], ratio))
    if not all(r["ok"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
