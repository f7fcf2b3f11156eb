#!/usr/bin/python3
"""An initiator of encrypted connections (MSE/PE) written from the spec, for
tests of a responder: one honest handshake and the ones an attacker sends.

  mse_peer.py INFO_HASH_HEX HOST:PORT [--bind IP] [--provide N] SCENARIO...

Scenarios, one connection each:
  honest     the whole handshake offering --provide (1 plaintext, 2 RC4,
             3 both; default 2), our BitTorrent handshake as the initial
             payload; outcome "ok rc4" / "ok plaintext" when the responder's
             BitTorrent handshake for INFO_HASH comes back through it
  stall      our key and pad, then silence: the responder must give up
  bad-vc     a correct sync, then an enciphered verification constant that
             is not eight zeros
  big-pad    a correct start whose PadC claims 600 bytes (the limit is 512)
  no-sync    our key, then 700 random bytes and never HASH('req1', S)
  unknown    a correct handshake for a torrent the responder does not have
  no-rc4     the whole handshake offering plaintext only (a responder that
             requires RC4 hangs up)

Outcome lines "SCENARIO OUTCOME": "ok ...", "closed SECONDS" (the responder
closed the connection SECONDS after our last byte), "open" (still open 15 s
after it), "unreachable". Exit status 0: the test judges.
"""
import argparse
import hashlib
import os
import socket
import sys
import time

P = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563", 16)
PSTR = b"\x13BitTorrent protocol"


class RC4:
    def __init__(self, key):
        s = list(range(256))
        j = 0
        for i in range(256):
            j = (j + s[i] + key[i % len(key)]) & 0xff
            s[i], s[j] = s[j], s[i]
        self.s, self.i, self.j = s, 0, 0
        self.crypt(bytes(1024))  # MSE discards the first 1 KiB

    def crypt(self, data):
        s, i, j = self.s, self.i, self.j
        out = bytearray(len(data))
        for k, b in enumerate(data):
            i = (i + 1) & 0xff
            j = (j + s[i]) & 0xff
            s[i], s[j] = s[j], s[i]
            out[k] = b ^ s[(s[i] + s[j]) & 0xff]
        self.i, self.j = i, j
        return bytes(out)


def sha1(*parts):
    return hashlib.sha1(b"".join(parts)).digest()


def recv_some(s, timeout):
    s.settimeout(timeout)
    try:
        return s.recv(65536)
    except socket.timeout:
        return None


def wait_closed(s, seconds=15):
    """Seconds until the peer closes or resets, None if it did not."""
    start = time.time()
    end = start + seconds
    while time.time() < end:
        try:
            chunk = recv_some(s, max(0.01, end - time.time()))
        except OSError:
            return time.time() - start
        if chunk == b"":
            return time.time() - start
    return None


def closed_outcome(s):
    t = wait_closed(s)
    return "open" if t is None else "closed %.2f" % t


def run(args, scenario):
    skey = bytes.fromhex(args.info_hash)
    if scenario == "unknown":
        skey = bytes(19) + b"\x01"
    s = socket.socket()
    try:
        if args.bind:
            s.bind((args.bind, 0))
        host, port = args.peer.rsplit(":", 1)
        s.settimeout(10)
        s.connect((host, int(port)))
    except OSError as e:
        return "unreachable (%s)" % e
    try:
        x = int.from_bytes(os.urandom(20), "big")
        ya = pow(2, x, P).to_bytes(96, "big")
        s.sendall(ya + os.urandom(17))
        if scenario == "no-sync":
            s.sendall(os.urandom(700))
            return closed_outcome(s)
        got = b""
        while len(got) < 96:
            chunk = recv_some(s, 10)
            if not chunk:
                return "closed before its key"
            got += chunk
        yb, rest = int.from_bytes(got[:96], "big"), got[96:]
        secret = pow(yb, x, P).to_bytes(96, "big")
        if scenario == "stall":
            return closed_outcome(s)
        enc = RC4(sha1(b"keyA", secret, skey))
        dec = RC4(sha1(b"keyB", secret, skey))
        provide = 1 if scenario == "no-rc4" else args.provide
        vc = b"\x01" * 8 if scenario == "bad-vc" else bytes(8)
        pad_c = 600 if scenario == "big-pad" else 0
        ours = PSTR + bytes(7) + b"\x04" + bytes.fromhex(args.info_hash) + b"-MP0001-" + os.urandom(12)
        ia = b"" if scenario == "big-pad" else ours
        msg = vc + provide.to_bytes(4, "big") + pad_c.to_bytes(2, "big")
        msg += bytes(pad_c) + len(ia).to_bytes(2, "big") + ia
        s.sendall(sha1(b"req1", secret) + bytes(a ^ b for a, b in zip(sha1(b"req2", skey), sha1(b"req3", secret)))
                  + enc.crypt(msg))
        if scenario != "honest":
            return closed_outcome(s)
        # ENCRYPT(VC) marks the end of PadB.
        marker = RC4(sha1(b"keyB", secret, skey)).crypt(bytes(8))
        deadline = time.time() + 10
        while marker not in rest and time.time() < deadline:
            chunk = recv_some(s, 1)
            if chunk == b"":
                return "closed during the handshake"
            rest += chunk or b""
        at = rest.find(marker)
        if at < 0:
            return "no verification constant"
        rest = rest[at:]
        while len(rest) < 14:
            chunk = recv_some(s, 10)
            if not chunk:
                return "closed during the handshake"
            rest += chunk
        head = dec.crypt(rest[:14])
        select = int.from_bytes(head[8:12], "big")
        pad_d = int.from_bytes(head[12:14], "big")
        rest = rest[14:]
        while len(rest) < pad_d + 68:
            chunk = recv_some(s, 10)
            if not chunk:
                return "closed before its handshake (select %d)" % select
            rest += chunk
        dec.crypt(rest[:pad_d])
        theirs = rest[pad_d:pad_d + 68]
        if select == 2:
            theirs = dec.crypt(theirs)
        if theirs[:20] != PSTR or theirs[28:48] != bytes.fromhex(args.info_hash):
            return "bad handshake back (select %d)" % select
        return "ok " + ("rc4" if select == 2 else "plaintext")
    except OSError as e:
        return "closed (%s)" % e
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("info_hash")
    ap.add_argument("peer")
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--bind")
    ap.add_argument("--provide", type=int, default=2)
    args = ap.parse_args()
    for sc in args.scenarios:
        print(sc, run(args, sc), flush=True)


if __name__ == "__main__":
    sys.exit(main())
