#!/usr/bin/python3
"""A leecher that breaks the peer-wire rules on purpose, one scenario per
connection, to check that a seeder drops it (and keeps serving others).

  hostile_peer.py TORRENT HOST:PORT [--bind IP] SCENARIO...

Scenarios: oversized (a 32 KiB request), zero-length, past-end (a request
crossing the end of a piece), bad-index (a piece past the last), choked-flood
(5000 requests without being unchoked), cancel-flood (5000 cancels for
nothing), keepalive-flood (5000 keep-alives), ext-garbage (an extended
handshake that is not bencode), ext-huge (an extended message of 1 MiB),
metadata-flood (5000 ut_metadata requests for piece 0: the outcome is then
"data=N rejects=M", what came back before the seeder went quiet for 2 s).
For each it prints one line, "SCENARIO OUTCOME":

  closed            we connected, the handshake completed (the seeder answered
                    for our info-hash), the attack was sent, and then the
                    seeder closed or reset the connection within 10 s
  open              the same, but the connection was still open after 10 s
  unreachable       the connection itself failed (refused, timed out): no
                    seeder was there to judge
  handshake-failed  the seeder closed before or during the handshake, or
                    answered with another protocol or info-hash
  never-unchoked    the seeder never unchoked us (or dropped us first), so a
                    request-based attack could not be sent

Only "closed" means the seeder dropped a hostile peer. Exit status 0 in every
case: the test judges.
"""
import argparse
import os
import socket
import struct
import time

import libtorrent as lt

PSTR = b"\x13BitTorrent protocol"


class Outcome(Exception):
    """Ends a scenario early with an outcome other than closed/open."""


def connect(args, info_hash):
    s = socket.socket()
    try:
        if args.bind:
            s.bind((args.bind, 0))
        host, port = args.peer.rsplit(":", 1)
        s.settimeout(10)
        s.connect((host, int(port)))
    except OSError as e:
        s.close()
        raise Outcome("unreachable (%s)" % (e.strerror or e.__class__.__name__))
    try:
        # The fast extension and the extension protocol (BEP 10).
        s.sendall(PSTR + bytes(5) + b"\x10\x00\x04" + info_hash + b"-HO0001-" + os.urandom(12))
        got = b""
        while len(got) < 68:
            chunk = s.recv(68 - len(got))
            if not chunk:
                break
            got += chunk
    except OSError:
        got = b""
    if len(got) < 68 or got[:20] != PSTR or got[28:48] != info_hash:
        s.close()
        raise Outcome("handshake-failed")
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
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            return True
    return False


def read_messages(s, seconds, stop_at):
    """Reads whole messages for up to `seconds`; returns the first value
    stop_at(body) gives that is not None (None on timeout or close)."""
    end = time.time() + seconds
    buf = b""
    s.settimeout(0.5)
    while time.time() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            return None
        buf += chunk
        while len(buf) >= 4:
            (n,) = struct.unpack(">I", buf[:4])
            if len(buf) < 4 + n:
                break
            body, buf = buf[4:4 + n], buf[4 + n:]
            found = stop_at(body)
            if found is not None:
                return found
    return None


def wait_unchoke(s, seconds=10):
    """Reads messages until an UNCHOKE; False if none comes."""
    return read_messages(s, seconds, lambda body: True if body[:1] == b"\x01" else None) is True


def request(index, begin, length):
    return struct.pack(">IBIII", 13, 6, index, begin, length)


def send_attack(s, msg):
    """Sends the attack and returns the outcome: a seeder that closes part way
    through a flood (a reset or broken pipe) has dropped us, which is what it
    should do; one that stops reading without closing keeps us open."""
    try:
        s.sendall(msg)
    except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
        return "closed"
    except socket.timeout:
        return "open"
    return "closed" if wait_closed(s) else "open"


def attack(s, ti, scenario):
    plen = ti.piece_length()
    if scenario in ("oversized", "zero-length", "past-end", "bad-index"):
        try:
            s.sendall(struct.pack(">IB", 1, 2))  # interested
            if not wait_unchoke(s):
                return "never-unchoked"
        except OSError:
            return "never-unchoked"
        return send_attack(s, {
            "oversized": request(0, 0, 32768),
            "zero-length": request(0, 0, 0),
            "past-end": request(0, plen - 8192, 16384),
            "bad-index": request(ti.num_pieces(), 0, 16384),
        }[scenario])
    if scenario == "choked-flood":
        return send_attack(s, b"".join(request(i % ti.num_pieces(), 0, 16384) for i in range(5000)))
    if scenario == "cancel-flood":
        return send_attack(s, b"".join(struct.pack(">IBIII", 13, 8, 0, i * 16, 16384) for i in range(5000)))
    if scenario == "keepalive-flood":
        return send_attack(s, bytes(4 * 5000))
    if scenario == "ext-garbage":
        return send_attack(s, struct.pack(">IBB", 2 + 9, 20, 0) + b"not bcode")
    if scenario == "ext-huge":
        return send_attack(s, struct.pack(">IBB", 2 + (1 << 20), 20, 0) + bytes(1 << 20))
    if scenario == "metadata-flood":
        theirs = their_extension_id(s, b"ut_metadata")
        if theirs is None:
            return "no-ut_metadata"
        hs = lt.bencode({"m": {"ut_metadata": 3}})
        req = lt.bencode({"msg_type": 0, "piece": 0})
        msg = struct.pack(">IBB", 2 + len(hs), 20, 0) + hs
        msg += (struct.pack(">IBB", 2 + len(req), 20, theirs) + req) * 5000
        return metadata_replies(s, msg)
    raise SystemExit("unknown scenario " + scenario)


def their_extension_id(s, name, seconds=10):
    """Reads messages until the peer's extended handshake; the id it gives
    `name` in its 'm' (None if it gives none or sends no handshake)."""
    def handshake(body):
        if body[:2] == b"\x14\x00":
            return lt.bdecode(body[2:]).get(b"m", {}).get(name, 0)
        return None
    return read_messages(s, seconds, handshake) or None


def metadata_replies(s, msg):
    """Sends `msg` and counts ut_metadata data and reject messages that come
    back (under our id 3) until nothing comes for 2 s or the seeder closes."""
    data = rejects = 0
    try:
        s.sendall(msg)
    except OSError:
        return "closed"
    buf = b""
    s.settimeout(2)
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 4:
            (n,) = struct.unpack(">I", buf[:4])
            if len(buf) < 4 + n:
                break
            body, buf = buf[4:4 + n], buf[4 + n:]
            if n >= 2 and body[0] == 20 and body[1] == 3:
                head = body[2:]
                if b"8:msg_typei1e" in head[:40]:
                    data += 1
                elif b"8:msg_typei2e" in head[:40]:
                    rejects += 1
    return "data=%d rejects=%d" % (data, rejects)


def run(args, ti, info_hash, scenario):
    try:
        s = connect(args, info_hash)
    except Outcome as o:
        return str(o)
    try:
        return attack(s, ti, scenario)
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
