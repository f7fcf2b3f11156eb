#!/usr/bin/python3
"""A peer that offers a torrent's metadata (BEP 9) and lies about it, one
way per process, to check that a magnet downloader drops it and still gets
the metadata from honest peers.

  metadata_peer.py TORRENT IP:PORT MODE

Modes: wrong-hash (every piece of the right size, bytes changed, so the
whole fails the info-hash), oversized (offers 100 MiB of metadata),
long-piece (each piece 100 bytes longer than it should be), silent (offers
the right size, never answers a request). Prints "ready" once listening;
serves every connection until killed. Nothing else of the protocol: no
pieces, no bitfield.
"""
import socket
import struct
import sys
import threading

import libtorrent as lt

PSTR = b"\x13BitTorrent protocol"
OUR_UT_METADATA = 3


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def send_ext(s, ext_id, payload):
    s.sendall(struct.pack(">IBB", len(payload) + 2, 20, ext_id) + payload)


def serve(conn, info, info_hash, mode):
    try:
        hs = recv_exact(conn, 68)
        if hs[:20] != PSTR or hs[28:48] != info_hash:
            return
        reserved = bytearray(8)
        reserved[5] |= 0x10
        conn.sendall(PSTR + bytes(reserved) + info_hash + b"-XX0000-metadatapeer")
        size = 100 << 20 if mode == "oversized" else len(info)
        send_ext(conn, 0, lt.bencode({"m": {"ut_metadata": OUR_UT_METADATA}, "metadata_size": size}))
        their_id = None
        while True:
            (length,) = struct.unpack(">I", recv_exact(conn, 4))
            if length == 0:
                continue
            body = recv_exact(conn, length)
            if body[0] != 20:
                continue
            if body[1] == 0:
                h = lt.bdecode(body[2:])
                their_id = h.get(b"m", {}).get(b"ut_metadata")
                continue
            if body[1] != OUR_UT_METADATA or their_id is None:
                continue
            msg = lt.bdecode(body[2:])
            if msg.get(b"msg_type") != 0 or mode == "silent":
                continue
            piece = msg[b"piece"]
            chunk = info[piece * 16384:(piece + 1) * 16384]
            if mode == "wrong-hash":
                chunk = bytes(b ^ 0x55 for b in chunk)
            elif mode == "long-piece":
                chunk = chunk + b"x" * 100
            head = lt.bencode({"msg_type": 1, "piece": piece, "total_size": len(info)})
            send_ext(conn, their_id, head + chunk)
    except (OSError, ConnectionError):
        pass
    finally:
        conn.close()


def main():
    torrent, addr, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    assert mode in ("wrong-hash", "oversized", "long-piece", "silent"), mode
    with open(torrent, "rb") as f:
        meta = lt.bdecode(f.read())
    info = lt.bencode(meta[b"info"])
    info_hash = bytes.fromhex(str(lt.torrent_info(torrent).info_hash()))
    ip, port = addr.rsplit(":", 1)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((ip, int(port)))
    srv.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, info, info_hash, mode), daemon=True).start()


if __name__ == "__main__":
    main()
