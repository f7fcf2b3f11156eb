#!/usr/bin/python3
"""An HTTP tracker that answers every request with the same body, for tests of
what fluxo does with a tracker's reply (failure reasons, warnings).

  canned_tracker.py IP PORT BODY_HEX

Prints "ready" once listening; exits when stdin closes.
"""
import http.server
import sys
import threading


def main():
    ip, port, body = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            sys.stderr.write(fmt % args + "\n")

    server = http.server.ThreadingHTTPServer((ip, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
