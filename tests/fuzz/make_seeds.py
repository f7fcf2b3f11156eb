#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets whose inputs are structured
(parameters, then a stream or a list of operations): wire_stream and
upload_requests. Run from anywhere; rewrites tests/fuzz/corpus/<target>/seed-*.
Crash inputs kept as regressions are named otherwise and left alone."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def u32(v):
    return struct.pack(">I", v)


# --- wire_stream: [flags][piece count u32][seed u32][small buffer], stream --
def msg(mid, payload=b""):
    return u32(1 + len(payload)) + bytes([mid]) + payload


def block_ref(mid, piece, begin, length):
    return msg(mid, u32(piece) + u32(begin) + u32(length))


def piece(index, begin, data):
    return u32(9 + len(data)) + bytes([7]) + u32(index) + u32(begin) + data


def handshake(fast=True):
    reserved = bytearray(8)
    if fast:
        reserved[7] |= 0x04
    return bytes([19]) + b"BitTorrent protocol" + bytes(reserved) + bytes(range(20)) + b"-FX0001-" + b"x" * 12


def wire_params(pieces, handshake_first=False, session_buffer=False, seed=1, small=0):
    flags = (1 if handshake_first else 0) | (2 if session_buffer else 0)
    return bytes([flags]) + u32(pieces - 1) + u32(seed) + bytes([small])


def wire_stream_seeds():
    every = (u32(0) + msg(0) + msg(1) + msg(2) + msg(3) + msg(4, u32(3)) + msg(5, bytes([0xA5, 0x80]))
             + block_ref(6, 2, 16384, 16384) + piece(1, 0, bytes(range(64))) + block_ref(8, 2, 0, 16384)
             + block_ref(16, 9, 0, 1) + msg(13, u32(0)) + msg(17, u32(8)) + msg(14) + msg(15)
             + msg(9, b"\x1a\xe1") + msg(20, b"\x00d1:md11:ut_metadatai1eee") + msg(99, b"?"))
    yield "seed-every-message", wire_params(10, seed=7) + every
    yield "seed-handshake-bitfield", (wire_params(8, handshake_first=True, session_buffer=True, seed=3)
                                      + handshake() + msg(5, b"\xff") + msg(1)
                                      + piece(7, 16384, bytes(i % 251 for i in range(16384))) + u32(0))
    yield "seed-big-block-small-buffer", (wire_params(4, seed=11, small=0)
                                          + piece(3, 0, bytes(i % 13 for i in range(20000)))
                                          + piece(0, 0, b"\x01" * 300) + msg(4, u32(1)))
    yield "seed-block-past-end", wire_params(2, seed=5) + msg(1) + piece(1, 0, b"z" * 100)[:60]
    yield "seed-spare-bit", wire_params(1, seed=2) + msg(5, b"\xc0")
    yield "seed-huge-prefix", wire_params(50) + u32(0xFFFFFFFF) + b"\x07"
    yield "seed-piece-out-of-range", wire_params(3) + piece(3, 0, b"abc")
    yield "seed-zero-block", wire_params(3) + u32(9) + bytes([7]) + u32(0) + u32(0)
    yield "seed-many-pieces", (wire_params(100000, session_buffer=True, seed=9)
                               + msg(5, bytes([0xff] * 12500)) + msg(4, u32(99999)) + msg(4, u32(100000)))
    yield "seed-bad-handshake", wire_params(5, handshake_first=True) + b"\x13BitTorrent protocoX" + bytes(48)


# --- upload_requests ---------------------------------------------------------
# Upload mode: [0][flags][pieces-1][piece length-1 u16][last-1 u16][corrupt u32][cache], operations.
def upload_params(pieces, piece_length, last, fast=True, no_cache=False, corrupt=0, cache=2):
    flags = (1 if fast else 0) | (2 if no_cache else 0)
    return (bytes([0, flags, pieces - 1]) + struct.pack(">HH", piece_length - 1, last - 1) + u32(corrupt)
            + bytes([cache]))


def req(piece, block, op=0):  # begin = block x 16 KiB, length 16 KiB
    return bytes([op, 2, piece, block])


def req_raw(piece, begin, length, op=0):  # any begin and length
    return bytes([op, 1 | (2 << 2), piece]) + u32(begin) + u32(length)


def cancel(piece, block):
    return req(piece, block, op=1)


def cancel_queued(i):
    return bytes([0x81, i])


UNCHOKE = bytes([0x12])
CHOKE = bytes([0x02])
SYNC = bytes([3])
SERVE = bytes([6])
FLUSH = bytes([7])


def have(piece):
    return bytes([4, piece])


def lose(piece):
    return bytes([5, piece])


def upload_requests_seeds():
    all4 = have(0) + have(1) + have(2) + have(3)
    yield "seed-seeding", (upload_params(4, 40000, 1000) + all4 + UNCHOKE + SYNC + req(0, 0) + req(0, 1)
                           + req_raw(0, 32768, 7232) + req_raw(3, 0, 1000) + FLUSH + SERVE + cancel(1, 0)
                           + req(1, 0) + req(1, 1) + cancel(1, 1) + cancel_queued(0) + SERVE + FLUSH
                           + req(2, 0) + req(2, 1) + CHOKE + SYNC + FLUSH)
    yield "seed-corrupt-not-fast", (upload_params(3, 16384, 16384, fast=False, corrupt=0b010, cache=5)
                                    + have(0) + have(1) + have(2) + UNCHOKE + SYNC + req(1, 0) + req(0, 0)
                                    + req(1, 0) + req(2, 0) + SERVE + req(1, 0) + SERVE + FLUSH)
    yield "seed-choked", upload_params(2, 16384, 100) + have(0) + req(0, 0) + req_raw(1, 0, 100) + FLUSH + SERVE
    yield "seed-lost-while-queued", (upload_params(2, 32768, 32768) + have(0) + have(1) + UNCHOKE + SYNC
                                     + req(0, 0) + req(1, 1) + lose(1) + SERVE + FLUSH)
    yield "seed-too-long", upload_params(1, 32768, 32768) + have(0) + UNCHOKE + SYNC + req_raw(0, 0, 16385)
    yield "seed-past-the-end", (upload_params(3, 5000, 123) + have(2) + UNCHOKE + SYNC
                                + req_raw(2, 0, 123) + req_raw(1, 4999, 1) + SERVE + req_raw(2, 100, 24))
    yield "seed-no-cache", upload_params(2, 1024, 1024, no_cache=True) + have(0) + UNCHOKE + SYNC + req_raw(0, 0, 1024)
    # The limits of upload_queue.cc, one past each: requests while choked
    # (2048 per 10 s), for pieces we lack (64), queued (2048), stray cancels (4096).
    yield "seed-flood-while-choked", upload_params(1, 16384, 16384) + req(0, 0) * 2049
    yield "seed-flood-bad", upload_params(2, 16384, 16384) + have(0) + UNCHOKE + SYNC + req(1, 0) * 65
    yield "seed-flood-queue", (upload_params(2, 16384, 16384) + have(0) + UNCHOKE + SYNC + req(0, 0) * 2040
                               + SERVE + req(0, 0) * 40)
    yield "seed-flood-cancels", upload_params(1, 16384, 16384) + cancel(0, 0) * 4097
    # Choker mode: [1][slots][rechoke s][optimistic s][newcomer s][seed u32], rounds of
    # [advance/4 ms u16][flags][count] then per candidate [id][flags][down u16?][up u16?][age s].
    def cand(i, interested=True, snubbed=False, down=None, up=None, age=0):
        f = (1 if interested else 0) | (2 if snubbed else 0) | (4 if down is not None else 0) | (8 if up is not None else 0)
        out = bytes([i, f])
        if down is not None:
            out += struct.pack(">H", down)
        if up is not None:
            out += struct.pack(">H", up)
        return out + bytes([age])

    def round_(advance_ms, seeding, cands):
        return struct.pack(">H", advance_ms // 4) + bytes([1 if seeding else 0, len(cands)]) + b"".join(cands)

    peers = [cand(i, interested=i % 3 != 0, snubbed=i == 4, down=100 * i, up=7 * i, age=10 * i) for i in range(1, 9)]
    yield "seed-choker", (bytes([1, 4, 10, 30, 60]) + u32(42) + round_(0, False, peers) + round_(1000, False, peers)
                          + round_(10000, False, peers[2:]) + round_(30000, True, peers) + round_(4, True, []))


def write(target, seeds):
    out = os.path.join(HERE, "corpus", target)
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.startswith("seed-"):
            os.remove(os.path.join(out, name))
    for name, data in seeds:
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def main():
    write("wire_stream", wire_stream_seeds())
    write("upload_requests", upload_requests_seeds())
    return 0


if __name__ == "__main__":
    sys.exit(main())
