#!/usr/bin/python3
"""A WAN-like link for loopback swarms: TCP proxies that add a delay each way.

  delay_proxy.py --map LISTEN_IP:PORT=TARGET_IP:PORT [--map ...] --delay-ms 50
                 [--max-buffer 4MiB]

Each --map listens on LISTEN_IP:PORT and forwards every connection to
TARGET_IP:PORT. Bytes are held for --delay-ms in each direction (a round trip
of twice that), in order; a direction stops reading while more than
--max-buffer bytes are held, so TCP's flow control still reaches the sender.
Rate limits are the seeders' own (lt_swarm.py --upload-limit). Prints "ready"
once every map listens, and runs until stdin closes.
"""
import argparse
import asyncio
import collections
import re
import sys
import time


def parse_size(text):
    m = re.fullmatch(r"(\d+)\s*(B|KiB|MiB|GiB)?", text)
    if not m:
        raise SystemExit("bad size " + text)
    return int(m.group(1)) * {None: 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[m.group(2)]


async def pump(reader, writer, delay, max_buffer):
    """Copies reader to writer, each chunk `delay` seconds late."""
    held = collections.deque()
    held_bytes = 0
    more = asyncio.Event()
    room = asyncio.Event()
    room.set()
    done = False

    async def read_side():
        nonlocal held_bytes, done
        try:
            while True:
                await room.wait()
                data = await reader.read(65536)
                if not data:
                    break
                held.append((time.monotonic() + delay, data))
                held_bytes += len(data)
                if held_bytes > max_buffer:
                    room.clear()
                more.set()
        except (ConnectionError, OSError):
            pass
        done = True
        more.set()

    async def write_side():
        nonlocal held_bytes
        try:
            while True:
                if not held:
                    if done:
                        break
                    more.clear()
                    await more.wait()
                    continue
                due, data = held[0]
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                held.popleft()
                held_bytes -= len(data)
                if held_bytes <= max_buffer:
                    room.set()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        try:
            writer.close()
        except Exception:
            pass

    await asyncio.gather(read_side(), write_side())


async def serve(listen, target, delay, max_buffer):
    lip, lport = listen.rsplit(":", 1)
    tip, tport = target.rsplit(":", 1)

    async def on_client(creader, cwriter):
        try:
            sreader, swriter = await asyncio.open_connection(tip, int(tport))
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(pump(creader, swriter, delay, max_buffer), pump(sreader, cwriter, delay, max_buffer))

    return await asyncio.start_server(on_client, lip, int(lport))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--map", action="append", required=True, help="LISTEN_IP:PORT=TARGET_IP:PORT")
    ap.add_argument("--delay-ms", type=float, default=50)
    ap.add_argument("--max-buffer", default="4MiB")
    args = ap.parse_args()
    servers = []
    for m in args.map:
        listen, target = m.split("=")
        servers.append(await serve(listen, target, args.delay_ms / 1000, parse_size(args.max_buffer)))
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    for s in servers:
        s.close()


if __name__ == "__main__":
    asyncio.run(main())
