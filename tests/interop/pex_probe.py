#!/usr/bin/python3
"""Connects to a peer for TORRENT, offers ut_pex (BEP 11) in its extended
handshake, and reports what the peer offers and sends back.

  pex_probe.py TORRENT HOST:PORT [--bind IP] [--wait SECS]

Prints one JSON line: {"m": the peer's extended-handshake 'm' keys,
"added": ["ip:port", ...] from the first ut_pex message (null when the
peer offered no ut_pex, or sent none within --wait seconds)}. Exit 0 once
the peer's extended handshake came, 1 otherwise.
"""
import argparse
import json
import socket
import struct
import sys
import time

import libtorrent as lt

PSTR = b"\x13BitTorrent protocol"
OUR_UT_PEX = 5


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("torrent")
    ap.add_argument("peer")
    ap.add_argument("--bind")
    ap.add_argument("--wait", type=float, default=20)
    args = ap.parse_args()
    info_hash = bytes.fromhex(str(lt.torrent_info(args.torrent).info_hash()))
    s = socket.socket()
    if args.bind:
        s.bind((args.bind, 0))
    host, port = args.peer.rsplit(":", 1)
    s.settimeout(args.wait)
    s.connect((host, int(port)))
    reserved = bytearray(8)
    reserved[5] |= 0x10
    s.sendall(PSTR + bytes(reserved) + info_hash + b"-XX0000-pexprobe0000")
    hs = recv_exact(s, 68)
    if hs[:20] != PSTR or not hs[25] & 0x10:
        print(json.dumps({"m": None, "added": None}))
        sys.exit(1)
    payload = lt.bencode({"m": {"ut_pex": OUR_UT_PEX}, "p": 1})
    s.sendall(struct.pack(">IBB", len(payload) + 2, 20, 0) + payload)
    their_m = None
    deadline = time.time() + args.wait
    try:
        while time.time() < deadline:
            (length,) = struct.unpack(">I", recv_exact(s, 4))
            body = recv_exact(s, length) if length else b""
            if len(body) < 2 or body[0] != 20:
                continue
            if body[1] == 0:
                their_m = sorted(k.decode() for k in lt.bdecode(body[2:]).get(b"m", {}))
                if "ut_pex" not in their_m:
                    break
            elif body[1] == OUR_UT_PEX:
                msg = lt.bdecode(body[2:])
                added = msg.get(b"added", b"")
                peers = ["%d.%d.%d.%d:%d" % (*added[i:i + 4], added[i + 4] << 8 | added[i + 5])
                         for i in range(0, len(added) - len(added) % 6, 6)]
                print(json.dumps({"m": their_m, "added": peers}))
                return
    except (OSError, ConnectionError):
        pass
    print(json.dumps({"m": their_m, "added": None}))
    sys.exit(0 if their_m is not None else 1)


if __name__ == "__main__":
    main()
