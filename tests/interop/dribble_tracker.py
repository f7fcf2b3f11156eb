#!/usr/bin/python3
"""A tracker that never finishes its reply, for the announce deadline tests.

  dribble_tracker.py IP PORT MODE [--interval S] [--tls CERT KEY] [--location URL]

MODE
  dribble   reads the request, sends a valid-looking HTTP header (with a
            Content-Length it will never reach), then one body byte every
            --interval seconds (default 2)
  silent    accepts the connection and sends nothing (with --tls: not even
            the TLS handshake)
  redirect  answers 302 at once, to --location URL with the request's query

Prints "ready" once listening, and "answering" each time a dribbled reply
has begun; exits when stdin closes.
"""
import argparse
import socket
import ssl
import sys
import threading
import time

HEADER = (b"HTTP/1.1 200 OK\r\n"
          b"Content-Type: text/plain\r\n"
          b"Content-Length: 100000\r\n"
          b"\r\n")


def read_request(conn):
    """The request's target ("/announce?..."), once its header is in."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    parts = data.split(b"\r\n", 1)[0].split(b" ")
    return parts[1] if len(parts) > 1 else b"/"


def serve(conn, args, tls):
    try:
        if args.mode == "silent":
            # Hold the connection open without a word until the client goes.
            while conn.recv(4096):
                pass
            return
        if tls is not None:
            conn = tls.wrap_socket(conn, server_side=True)
        target = read_request(conn)
        if args.mode == "redirect":
            query = target.partition(b"?")[2]
            location = args.location.encode() + (b"?" + query if query else b"")
            conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: " + location +
                         b"\r\nContent-Length: 0\r\n\r\n")
            return
        conn.sendall(HEADER)
        print("answering", flush=True)  # a reply is under way: tests may act now
        while True:
            time.sleep(args.interval)
            conn.sendall(b"d")
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ip")
    p.add_argument("port", type=int)
    p.add_argument("mode", choices=["dribble", "silent", "redirect"])
    p.add_argument("--interval", type=float, default=2.0)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--location", default="")
    args = p.parse_args()

    tls = None
    if args.tls:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(*args.tls)

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((args.ip, args.port))
    server.listen(16)

    def accept_loop():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn, args, tls), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
