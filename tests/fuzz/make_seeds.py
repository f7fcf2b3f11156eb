#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets whose inputs are structured
(parameters, then a stream or a list of operations): wire_stream. Run from
anywhere; rewrites tests/fuzz/corpus/<target>/seed-*.
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
