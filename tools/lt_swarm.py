#!/usr/bin/python3
"""Loopback swarms of libtorrent-rasterbar peers, for tests and benchmarks.

Run with Debian's /usr/bin/python3 (python3-libtorrent). Every peer gets its
own 127.x.y.z address; uTP, DHT, LSD, UPnP, NAT-PMP and outgoing protocol
encryption are off.

  lt_swarm.py seed TORRENT DATA_PARENT --count N [--ip-base 127.0.1.] [--port P] [--also T2 ...]
        [--encryption plain|default|forced]
        Seeds TORRENT (and every --also torrent) from DATA_PARENT (the
        directory holding each torrent's top-level file or folder) with N
        sessions. Prints one line per seeder,
        "seeder IP:PORT", then "ready", and runs until stdin closes or
        --lifetime seconds pass.
        A line "stats" on stdin prints "uploaded BYTES" (payload sent so far).
        Seeders start in libtorrent's seed mode, which hashes each piece the
        first time a peer asks for it; with --checked they check all data
        first instead (slower to be ready, and then no hashing while serving,
        so the first downloader does not pay for it).
  lt_swarm.py leech TORRENT SAVE_DIR [--peer IP:PORT ...] [--also T2 ...] [--clients]
        [--encryption plain|default|forced]
        Downloads TORRENT (and every --also torrent, all at once) with one
        libtorrent session; prints JSON with seconds (and first_block_seconds:
        until the first payload byte), bytes and peak RSS when every one is done (with --clients also each peer's client name, how
        it was learned and its encryption: "rc4", "plaintext" after an
        encrypted handshake, or "none").

--encryption (MSE/PE): plain (the default here) sends plain handshakes
and accepts both; default is libtorrent's own default (encrypted handshake
first, plain retried after a delay; both accepted); forced accepts and
makes only encrypted connections, RC4 throughout.
  lt_swarm.py recheck TORRENT SAVE_DIR [--threads N]
        Times libtorrent's full recheck of the data (hashing_threads = N,
        default: the cores); prints JSON with seconds and whether complete.
"""
import argparse
import json
import os
import resource
import select
import sys
import time

import libtorrent as lt

ALERTS = lt.alert.category_t.error_notification | lt.alert.category_t.status_notification


def base_settings(ip, port, encryption="plain"):
    s = lt.high_performance_seed()
    s.update({
        "listen_interfaces": "%s:%d" % (ip, port),
        "outgoing_interfaces": ip,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "alert_mask": ALERTS,
        "announce_ip": ip,
        "allow_multiple_connections_per_ip": True,
        "user_agent": "lt-swarm",
        # Plain BitTorrent handshakes: libtorrent otherwise opens every
        # outgoing connection with an encrypted (MSE) handshake and, to a peer
        # without it (fluxo, aria2c without --bt-require-crypto), retries in
        # plain only after a delay. Encryption is not what is measured here.
        "out_enc_policy": int(lt.enc_policy.disabled),
    })
    if encryption == "default":
        for k in ("out_enc_policy", "in_enc_policy", "allowed_enc_level", "prefer_rc4"):
            s[k] = lt.default_settings()[k]
    elif encryption == "forced":
        s.update({
            "out_enc_policy": int(lt.enc_policy.forced),
            "in_enc_policy": int(lt.enc_policy.forced),
            "allowed_enc_level": int(lt.enc_level.rc4),
            "prefer_rc4": True,
        })
    return s


def wait_for_seeding(handles, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        states = [h.status() for h in handles]
        if all(st.is_seeding for st in states):
            return True
        time.sleep(0.1)
    return False


def unmanaged(p):
    """All torrents of a session run at once (libtorrent's queue would
    otherwise hold all but a few seeds and downloads back)."""
    p.flags &= ~lt.torrent_flags.auto_managed
    p.flags &= ~lt.torrent_flags.paused
    return p


def seed(args):
    infos = [lt.torrent_info(t) for t in [args.torrent] + (args.also or [])]
    sessions, handles, addrs = [], [], []
    for i in range(args.count):
        ip = "%s%d" % (args.ip_base, i + 1)
        settings = base_settings(ip, args.port, args.encryption)
        if args.upload_limit:
            settings["upload_rate_limit"] = args.upload_limit
        ses = lt.session(settings)
        if args.upload_limit:
            # Loopback peers are in libtorrent's unlimited local class by default.
            for cls in (lt.session.global_peer_class_id, lt.session.local_peer_class_id):
                pc = ses.get_peer_class(cls)
                pc["upload_limit"] = args.upload_limit
                ses.set_peer_class(cls, pc)
        for info in infos:
            p = unmanaged(lt.add_torrent_params())
            p.ti = lt.torrent_info(info)
            p.save_path = args.data_parent
            if not args.checked:
                p.flags |= lt.torrent_flags.seed_mode
            handles.append(ses.add_torrent(p))
        sessions.append(ses)
        addrs.append("%s:%d" % (ip, args.port))
    if not wait_for_seeding(handles):
        sys.exit("seeders did not start")
    for a in addrs:
        print("seeder", a, flush=True)
    print("ready", flush=True)
    end = time.time() + args.lifetime
    while time.time() < end:
        r, _, _ = select.select([sys.stdin], [], [], 0.5)
        if r:
            line = sys.stdin.readline()
            if not line:
                break
            if line.strip() == "stats":
                # Payload bytes sent by all seeders since they started.
                up = sum(h.status().total_payload_upload for h in handles)
                print("uploaded", up, flush=True)
    for ses in sessions:
        ses.pause()


def leech(args):
    ses = lt.session(base_settings(args.ip, 0 if args.port is None else args.port, args.encryption))
    s = ses.get_settings()
    s.update({"connections_limit": 500})
    ses.apply_settings(s)
    start = time.time()
    handles = []
    for t in [args.torrent] + (args.also or []):
        if t.startswith("magnet:"):
            # The metadata comes from the peers (BEP 9).
            p = unmanaged(lt.parse_magnet_uri(t))
        else:
            p = unmanaged(lt.add_torrent_params())
            p.ti = lt.torrent_info(t)
        p.save_path = args.save_dir
        h = ses.add_torrent(p)
        for peer in args.peer or []:
            ip, port = peer.rsplit(":", 1)
            h.connect_peer((ip, int(port)))
        handles.append(h)
    deadline = start + args.timeout
    clients = {}  # peer address -> client name (BEP 10 'v', else from the peer id)
    sources = {}  # peer address -> how libtorrent learned of it (peer_info.source bits, or-ed)
    encryption = {}  # peer address -> "rc4", "plaintext" (encrypted handshake only) or "none"

    def sample_clients():
        for h in handles:
            for p in h.get_peer_info():
                name = p.client.decode("utf-8", "replace") if isinstance(p.client, bytes) else p.client
                if name or "%s:%d" % p.ip not in clients:
                    clients["%s:%d" % p.ip] = name
                addr = "%s:%d" % p.ip
                sources[addr] = sources.get(addr, 0) | int(p.source)
                if p.flags & lt.peer_info.rc4_encrypted:
                    encryption[addr] = "rc4"
                elif p.flags & lt.peer_info.plaintext_encrypted:
                    encryption[addr] = "plaintext"
                else:
                    encryption.setdefault(addr, "none")

    first_block = None  # seconds from the start until the first payload byte arrived
    while time.time() < deadline:
        if args.clients:
            sample_clients()
        states = [h.status() for h in handles]
        if first_block is None and any(st.total_payload_download > 0 for st in states):
            first_block = time.time() - start
        if all(st.is_seeding for st in states):
            break
        time.sleep(0.01 if first_block is None else 0.05)
    if args.clients:
        sample_clients()
    elapsed = time.time() - start
    states = [h.status() for h in handles]
    done = all(st.is_seeding for st in states)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "ok": done,
        "seconds": elapsed,
        "first_block_seconds": first_block,
        "bytes": sum(st.total_wanted_done for st in states),
        "peak_rss_kib": usage.ru_maxrss,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }
    if args.clients:
        report["clients"] = clients
        report["sources"] = sources
        report["encryption"] = encryption
    print(json.dumps(report), flush=True)
    ses.pause()
    sys.exit(0 if done else 1)


def recheck(args):
    """Times libtorrent's full check of existing data (no resume data)."""
    settings = base_settings("127.0.2.1", 0)
    settings.update({"hashing_threads": args.threads, "listen_interfaces": "127.0.2.1:0"})
    ses = lt.session(settings)
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(args.torrent)
    p.save_path = args.save_dir
    p.flags &= ~lt.torrent_flags.auto_managed
    p.flags |= lt.torrent_flags.paused
    h = ses.add_torrent(p)
    start = time.time()
    h.force_recheck()
    h.resume()
    while True:
        st = h.status()
        if st.state not in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data) and \
                time.time() - start > 0.2:
            break
        time.sleep(0.01)
    elapsed = time.time() - start
    st = h.status()
    print(json.dumps({"seconds": elapsed, "complete": bool(st.is_seeding), "pieces": st.num_pieces}), flush=True)
    ses.pause()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed")
    s.add_argument("torrent")
    s.add_argument("data_parent")
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--ip-base", default="127.0.1.")
    s.add_argument("--port", type=int, default=6881)
    s.add_argument("--lifetime", type=float, default=600)
    s.add_argument("--upload-limit", type=int, default=0, help="bytes per second per seeder, 0 = none")
    s.add_argument("--also", action="append", help="another torrent to seed from DATA_PARENT")
    s.add_argument("--encryption", choices=("plain", "default", "forced"), default="plain")
    s.add_argument("--checked", action="store_true", help="check the data at start instead of seed mode")
    l = sub.add_parser("leech")
    l.add_argument("torrent", help="a .torrent file or a magnet link")
    l.add_argument("save_dir")
    l.add_argument("--peer", action="append")
    l.add_argument("--also", action="append", help="another torrent to download into SAVE_DIR")
    l.add_argument("--ip", default="127.0.2.1")
    l.add_argument("--encryption", choices=("plain", "default", "forced"), default="plain")
    l.add_argument("--port", type=int)
    l.add_argument("--timeout", type=float, default=600)
    l.add_argument("--clients", action="store_true",
                   help="report each peer's client name (BEP 10 'v', else libtorrent's guess from its peer id) "
                        "and how it was learned ('sources': peer_info.source bits, 4 = peer exchange)")
    r = sub.add_parser("recheck")
    r.add_argument("torrent")
    r.add_argument("save_dir")
    r.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    {"seed": seed, "leech": leech, "recheck": recheck}[args.cmd](args)


if __name__ == "__main__":
    main()
