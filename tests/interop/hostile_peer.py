#!/usr/bin/python3
"""A leecher that breaks the peer-wire rules on purpose, one scenario per
connection, to check that a seeder drops it (and keeps serving others).

  hostile_peer.py TORRENT HOST:PORT [--bind IP] SCENARIO...

Scenarios: oversized (a 32 KiB request), zero-length, past-end (a request
crossing the end of a piece), bad-index (a piece past the last), choked-flood
(5000 requests without being unchoked), cancel-flood (5000 cancels for
nothing), keepalive-flood (5000 keep-alives). For each it prints
"SCENARIO closed" when the seeder closed the connection within 10 s, else
"SCENARIO open". Exit status 0 either way: the test judges.
"""
import argparse
import os
import socket
import struct
import time

import libtorrent as lt

PSTR = b"\x13BitTorrent protocol"


def connect(args, info_hash):
    s = socket.socket()
    if args.bind:
        s.bind((args.bind, 0))
    host, port = args.peer.rsplit(":", 1)
    s.settimeout(10)
    s.connect((host, int(port)))
    s.sendall(PSTR + bytes(7) + b"\x04" + info_hash + b"-HO0001-" + os.urandom(12))
    got = b""
    while len(got) < 68:
        chunk = s.recv(68 - len(got))
        if not chunk:
            raise ConnectionError("closed during the handshake")
        got += chunk
    return s


def wait_closed(s, seconds=10):
    """True when the peer closes the connection (or resets it) in time."""
    end = time.time() + seconds
    s.settimeout(0.5)
    while time.time() < end:
        try:
            if not s.recv(65536):
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def wait_unchoke(s, seconds=10):
    """Reads messages until an UNCHOKE; False if none comes."""
    end = time.time() + seconds
    buf = b""
    s.settimeout(0.5)
    while time.time() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            return False
        buf += chunk
        while len(buf) >= 4:
            (n,) = struct.unpack(">I", buf[:4])
            if len(buf) < 4 + n:
                break
            if n >= 1 and buf[4] == 1:
                return True
            buf = buf[4 + n:]
    return False


def request(index, begin, length):
    return struct.pack(">IBIII", 13, 6, index, begin, length)


def run(args, ti, info_hash, scenario):
    s = connect(args, info_hash)
    try:
        plen = ti.piece_length()
        if scenario in ("oversized", "zero-length", "past-end", "bad-index"):
            s.sendall(struct.pack(">IB", 1, 2))  # interested
            if not wait_unchoke(s):
                return "never unchoked"
            msg = {
                "oversized": request(0, 0, 32768),
                "zero-length": request(0, 0, 0),
                "past-end": request(0, plen - 8192, 16384),
                "bad-index": request(ti.num_pieces(), 0, 16384),
            }[scenario]
            s.sendall(msg)
        elif scenario == "choked-flood":
            s.sendall(b"".join(request(i % ti.num_pieces(), 0, 16384) for i in range(5000)))
        elif scenario == "cancel-flood":
            s.sendall(b"".join(struct.pack(">IBIII", 13, 8, 0, i * 16, 16384) for i in range(5000)))
        elif scenario == "keepalive-flood":
            s.sendall(bytes(4 * 5000))
        return "closed" if wait_closed(s) else "open"
    except OSError:
        return "closed"
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("torrent")
    ap.add_argument("peer")
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--bind")
    args = ap.parse_args()
    ti = lt.torrent_info(args.torrent)
    info_hash = bytes.fromhex(str(ti.info_hashes().v1))
    for sc in args.scenarios:
        print(sc, run(args, ti, info_hash, sc), flush=True)


if __name__ == "__main__":
    main()
