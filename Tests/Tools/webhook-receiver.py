#!/usr/bin/env python3
"""A webhook receiver for the alert tests: records every POST as a JSON line and answers as told.

  webhook-receiver.py --port P --log FILE [--fail N] [--hang]

--fail N answers the first N requests 500 (then 200), so retries can be counted; --hang accepts
connections and never answers (an unreachable receiver that still takes the TCP handshake).
Each line: {"time": unix seconds, "path": ..., "headers": {...}, "body": "..." , "status": 200}.
Prints "listening on 127.0.0.1:P" once ready. Loopback only.
"""
import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--log", required=True)
parser.add_argument("--fail", type=int, default=0)
parser.add_argument("--hang", action="store_true")
options = parser.parse_args()
lock = threading.Lock()
seen = [0]


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        if options.hang:
            time.sleep(3600)
            return
        with lock:
            seen[0] += 1
            status = 500 if seen[0] <= options.fail else 200
            line = {"time": time.time(), "path": self.path, "headers": dict(self.headers.items()),
                    "body": body, "status": status}
            with open(options.log, "a") as f:
                f.write(json.dumps(line) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", options.port), Receiver)
server.daemon_threads = True
print(f"listening on 127.0.0.1:{options.port}", flush=True)
server.serve_forever()
