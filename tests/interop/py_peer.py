#!/usr/bin/python3
"""A small BitTorrent seeder of the project's own, for tests that need a peer
misbehaving on purpose or many peers at once (asyncio, one process).

  py_peer.py TORRENT DATA_PARENT --count N [--ip-base 127.0.3.] [--port P]
             [--corrupt-every K] [--random-data] [--push N] [--unchoke-delay S]
             [--fast] [--allowed-fast N] [--reject-all] [--stall-after N]
             [--block-delay S] [--squat] [--peer-id ID]
             [--connect HOST:PORT [--reconnect]]

Serves every piece from the files under DATA_PARENT on N addresses
(ip-base + 1..N). With --corrupt-every K, pieces whose index is a multiple
of K are served with flipped bytes. --fast negotiates BEP 6 (HAVE_ALL,
REJECT for requests it will not serve) and --allowed-fast N sends
ALLOWED_FAST for pieces 0..N-1 and serves them while choking. --stall-after N
stops answering requests after N blocks on a connection (keeping it open, with
keep-alives). --block-delay S sleeps S seconds before each block (a slow
peer).

Hostile modes: --random-data answers every request with random bytes (a
liar); --push N sends N blocks of garbage nobody asked for after each block
it serves; --reject-all (with --fast) unchokes and rejects every request;
--squat completes the handshake and then sends only a keep-alive every 20 s;
--peer-id ID (20 characters) instead of a random id. --connect HOST:PORT dials
that peer from each address instead of listening (--reconnect: again, from a
new port, whenever the connection ends).

Prints "seeder IP:PORT" lines (or "peer IP" with --connect), then "ready";
exits when stdin closes. Reports on stderr at exit: "connections N" (peak
concurrent), "accepted N" (plain handshakes for our torrent received: this
peer has no MSE, so an encrypted attempt is not counted), "dialled N" (connections made with
--connect), "requests N"
(requests received).
"""
import argparse
import asyncio
import os
import struct
import sys

import libtorrent as lt

PSTR = b"\x13BitTorrent protocol"


class Payload:
    def __init__(self, torrent, parent):
        ti = lt.torrent_info(torrent)
        self.info_hash = bytes.fromhex(str(ti.info_hashes().v1))
        self.piece_length = ti.piece_length()
        self.num_pieces = ti.num_pieces()
        fs = ti.files()
        self.files = [(os.path.join(parent, fs.file_path(i)), fs.file_offset(i), fs.file_size(i))
                      for i in range(fs.num_files())]
        self.total = ti.total_size()
        self.handles = {}

    def read(self, offset, length):
        out = bytearray()
        for path, start, size in self.files:
            if size == 0 or offset + length <= start or offset >= start + size:
                continue
            lo = max(offset, start)
            hi = min(offset + length, start + size)
            f = self.handles.get(path)
            if f is None:
                f = self.handles[path] = open(path, "rb")
            f.seek(lo - start)
            out += f.read(hi - lo)
        return bytes(out)


class Server:
    def __init__(self, payload, args):
        self.p = payload
        self.args = args
        self.active = 0
        self.peak = 0
        self.dialled = 0
        self.accepted = 0
        self.requests = 0

    def handshake(self):
        peer_id = self.args.peer_id.encode() if self.args.peer_id else os.urandom(20)
        return PSTR + (bytes(7) + b"\x04" if self.args.fast else bytes(8)) + self.p.info_hash + peer_id

    async def handle(self, reader, writer, outgoing=False):
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            if outgoing:
                writer.write(self.handshake())
            hs = await reader.readexactly(68)
            if hs[:20] != PSTR or hs[28:48] != self.p.info_hash:
                return  # not a plain handshake (an encrypted one: this peer has no MSE)
            if not outgoing:
                self.accepted += 1
            fast = self.args.fast and (hs[27] & 0x04)
            if not outgoing:
                writer.write(self.handshake())
            if self.args.squat:
                await writer.drain()
                while True:
                    try:
                        await asyncio.wait_for(reader.read(65536), timeout=20)
                    except asyncio.TimeoutError:
                        pass
                    if reader.at_eof():
                        return
                    writer.write(bytes(4))
                    await writer.drain()
            if fast:
                writer.write(struct.pack(">IB", 1, 0x0E))  # have all
                for i in range(min(self.args.allowed_fast, self.p.num_pieces)):
                    writer.write(struct.pack(">IBI", 5, 0x11, i))
            else:
                nbytes = (self.p.num_pieces + 7) // 8
                bits = bytearray(b"\xff" * nbytes)
                spare = nbytes * 8 - self.p.num_pieces
                if spare:
                    bits[-1] = (0xff << spare) & 0xff
                writer.write(struct.pack(">IB", 1 + nbytes, 5) + bytes(bits))
            await writer.drain()
            served = 0
            unchoked = False
            unchoke_at = asyncio.get_running_loop().time() + self.args.unchoke_delay
            while True:
                try:
                    head = await asyncio.wait_for(reader.readexactly(4), timeout=0.2)
                except asyncio.TimeoutError:
                    head = None
                now = asyncio.get_running_loop().time()
                if not unchoked and now >= unchoke_at:
                    writer.write(struct.pack(">IB", 1, 1))
                    unchoked = True
                    await writer.drain()
                if head is None:
                    writer.write(bytes(4))  # keep-alive
                    continue
                (length,) = struct.unpack(">I", head)
                if length == 0:
                    continue
                if length > 1 << 20:
                    return
                body = await reader.readexactly(length)
                if body[0] != 6:
                    continue
                index, begin, blen = struct.unpack(">III", body[1:13])
                self.requests += 1
                if fast and self.args.reject_all:
                    writer.write(struct.pack(">IBIII", 13, 0x10, index, begin, blen))
                    await writer.drain()
                    continue
                if self.args.stall_after and served >= self.args.stall_after:
                    continue  # snubbing: the request is never answered
                if unchoked or (fast and index < self.args.allowed_fast):
                    served += 1
                    if self.args.block_delay:
                        await asyncio.sleep(self.args.block_delay)
                    if self.args.random_data:
                        data = os.urandom(blen)
                    else:
                        data = self.p.read(index * self.p.piece_length + begin, blen)
                    k = self.args.corrupt_every
                    if k and index % k == 0:
                        data = bytes(b ^ 0x5A for b in data)
                    writer.write(struct.pack(">IBII", 9 + len(data), 7, index, begin) + data)
                    for j in range(self.args.push):
                        # A block nobody asked for, of garbage, at a plausible place.
                        pi = (index + 1 + j) % self.p.num_pieces
                        plen = min(16384, self.p.piece_length)
                        writer.write(struct.pack(">IBII", 9 + plen, 7, pi, 0) + os.urandom(plen))
                    await writer.drain()
                elif fast:
                    writer.write(struct.pack(">IBIII", 13, 0x10, index, begin, blen))  # reject
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            self.active -= 1
            writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("torrent")
    ap.add_argument("data_parent")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--ip-base", default="127.0.3.")
    ap.add_argument("--port", type=int, default=6881)
    ap.add_argument("--corrupt-every", type=int, default=0)
    ap.add_argument("--unchoke-delay", type=float, default=0)
    ap.add_argument("--fast", action="store_true")
    ap.add_argument("--allowed-fast", type=int, default=0)
    ap.add_argument("--stall-after", type=int, default=0)
    ap.add_argument("--block-delay", type=float, default=0)
    ap.add_argument("--random-data", action="store_true")
    ap.add_argument("--push", type=int, default=0)
    ap.add_argument("--reject-all", action="store_true")
    ap.add_argument("--squat", action="store_true")
    ap.add_argument("--peer-id", default="")
    ap.add_argument("--connect", default="")
    ap.add_argument("--reconnect", action="store_true")
    args = ap.parse_args()
    if args.peer_id and len(args.peer_id) != 20:
        ap.error("--peer-id must be 20 characters")
    server = Server(Payload(args.torrent, args.data_parent), args)
    servers = []
    dialers = []

    async def dial(ip):
        host, port = args.connect.rsplit(":", 1)
        while True:
            try:
                reader, writer = await asyncio.open_connection(host, int(port), local_addr=(ip, 0))
                server.dialled += 1
                await server.handle(reader, writer, outgoing=True)
            except OSError:
                await asyncio.sleep(0.2)  # refused (banned before the handshake) or reset
            if not args.reconnect:
                return
            await asyncio.sleep(0.05)

    for i in range(args.count):
        ip = "%s%d" % (args.ip_base, i + 1)
        if args.connect:
            dialers.append(asyncio.ensure_future(dial(ip)))
            print("peer %s" % ip, flush=True)
        else:
            servers.append(await asyncio.start_server(server.handle, ip, args.port, backlog=64))
            print("seeder %s:%d" % (ip, args.port), flush=True)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    print("connections %d" % server.peak, file=sys.stderr, flush=True)
    print("dialled %d" % server.dialled, file=sys.stderr, flush=True)
    print("accepted %d" % server.accepted, file=sys.stderr, flush=True)
    print("requests %d" % server.requests, file=sys.stderr, flush=True)
    for d in dialers:
        d.cancel()
    for s in servers:
        s.close()


if __name__ == "__main__":
    asyncio.run(main())
