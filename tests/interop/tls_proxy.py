#!/usr/bin/python3
"""A TLS endpoint in front of a plain TCP service (opentracker), for the
HTTPS tracker tests.

  tls_proxy.py LISTEN_IP LISTEN_PORT TARGET_IP TARGET_PORT CERT KEY

Prints "ready" once listening; exits when stdin closes.
"""
import asyncio
import ssl
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def main():
    lip, lport, tip, tport, cert, key = sys.argv[1:7]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    async def handle(creader, cwriter):
        try:
            treader, twriter = await asyncio.open_connection(tip, int(tport))
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(pipe(creader, twriter), pipe(treader, cwriter))

    server = await asyncio.start_server(handle, lip, int(lport), ssl=ctx)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
