#!/usr/bin/python3
"""UDP trackers that misbehave (BEP 15), for the net tests.

  udp_tracker.py IP PORT MODE [--forward HOST:PORT] [--drop N] [--other-ip IP]

Prints "ready" once it listens on IP:PORT (UDP), then serves until stdin
closes. MODE:
  drop         forwards datagrams to --forward (opentracker) and back,
               dropping the first --drop requests it receives
  silent       never answers
  wrong-source answers every request correctly, but from --other-ip
  wrong-tid    answers with a transaction id that was not asked
  error        answers an error whose message carries terminal escapes
  flood        answers a connect, then an announce with 5000 IPv4 peers
               (more than any client should take) in one 30,000-byte datagram
  ipv6         (IP is an IPv6 address) answers a connect, then an announce
               with two IPv6 peers (18 bytes each, as BEP 15 has it over IPv6)
"""
import argparse
import select
import socket
import struct
import sys

PROTOCOL_ID = 0x41727101980


def reply_for(data, tid_shift=0):
    """A correct reply to a connect or announce request (no peers)."""
    if len(data) < 16:
        return None
    action, tid = struct.unpack(">II", data[8:16])
    tid = (tid + tid_shift) & 0xFFFFFFFF
    if action == 0:
        return struct.pack(">IIQ", 0, tid, 0x1122334455667788)
    if action == 1:
        return struct.pack(">IIIII", 1, tid, 1800, 0, 1)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ip")
    ap.add_argument("port", type=int)
    ap.add_argument("mode")
    ap.add_argument("--forward")
    ap.add_argument("--drop", type=int, default=0)
    ap.add_argument("--other-ip")
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET6 if ":" in a.ip else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.ip, a.port))
    other = None
    if a.other_ip:
        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        other.bind((a.other_ip, 0))
    upstream = None
    if a.forward:
        host, port = a.forward.rsplit(":", 1)
        upstream = (host, int(port))
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.bind((a.ip, 0))
    clients = {}  # upstream replies go back to the last client
    dropped = 0
    print("ready", flush=True)
    sockets = [s, sys.stdin] + ([up] if upstream else [])
    while True:
        r, _, _ = select.select(sockets, [], [], 1.0)
        if sys.stdin in r:
            if not sys.stdin.readline():
                return
        if upstream and up in r:
            data, _ = up.recvfrom(65536)
            if "last" in clients:
                s.sendto(data, clients["last"])
        if s not in r:
            continue
        data, peer = s.recvfrom(65536)
        if a.mode == "silent":
            continue
        if a.mode == "drop":
            if dropped < a.drop:
                dropped += 1
                print("dropped", dropped, flush=True)
                continue
            clients["last"] = peer
            up.sendto(data, upstream)
        elif a.mode == "wrong-source":
            out = reply_for(data)
            if out:
                other.sendto(out, peer)
        elif a.mode == "wrong-tid":
            out = reply_for(data, tid_shift=1)
            if out:
                s.sendto(out, peer)
        elif a.mode == "error":
            tid = struct.unpack(">I", data[12:16])[0] if len(data) >= 16 else 0
            s.sendto(struct.pack(">II", 3, tid) + b"go away \x1b[2J\x1b]0;owned\x07", peer)
        elif a.mode == "ipv6":
            action, tid = struct.unpack(">II", data[8:16])
            if action == 0:
                s.sendto(reply_for(data), peer)
            else:
                peers = (socket.inet_pton(socket.AF_INET6, "::1") + struct.pack(">H", 6881) +
                         socket.inet_pton(socket.AF_INET6, "2001:db8::7") + struct.pack(">H", 51413))
                s.sendto(struct.pack(">IIIII", 1, tid, 1800, 0, 2) + peers, peer)
        elif a.mode == "flood":
            action, tid = struct.unpack(">II", data[8:16])
            if action == 0:
                s.sendto(reply_for(data), peer)
            else:
                peers = b"".join(struct.pack(">BBBBH", 10, (i >> 8) & 255, i & 255, 1, 6881) for i in range(5000))
                s.sendto(struct.pack(">IIIII", 1, tid, 1800, 0, 5000) + peers, peer)


if __name__ == "__main__":
    main()
