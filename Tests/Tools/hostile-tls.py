#!/usr/bin/env python3
"""Hostile servers for form-join's encrypted DNS (a test tool; loopback only).

  hostile-tls.py MODE PORT [CERT KEY]

  stall        accept TCP connections and never answer: the TLS handshake never ends
  dot-garbage  complete a TLS handshake (ALPN "dot"), then answer every query with bytes that are
               not DNS (a length prefix announcing a 5-octet message, then noise)
  doh-html     complete a TLS handshake (ALPN "h2"), speak HTTP/2, and answer every request with
               200 and an HTML page (a captive portal, a proxy's error page)
  doh-404      the same, answering 404

Prints "listening on 127.0.0.1:PORT" once ready. Runs until killed.
"""
import signal
import socket
import ssl
import sys
import threading

import h2.config
import h2.connection
import h2.events

# The test runner's children inherit its blocked signals: take SIGTERM again, so stopping is quick.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
mode, port = sys.argv[1], int(sys.argv[2])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(16)
context = None
if mode != "stall":
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    context.set_alpn_protocols(["dot"] if mode == "dot-garbage" else ["h2"])
print(f"listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
held = []


def dot_garbage(conn):
    while conn.recv(65535):
        conn.sendall(b"\x00\x05" + b"\xff\xfe\xfd\xfc\xfb" + b"garbage after the handshake")


def doh(conn):
    h2c = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
    h2c.initiate_connection()
    conn.sendall(h2c.data_to_send())
    while True:
        data = conn.recv(65535)
        if not data:
            return
        for event in h2c.receive_data(data):
            if isinstance(event, h2.events.DataReceived):
                h2c.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            if isinstance(event, h2.events.StreamEnded):
                status = "404" if mode == "doh-404" else "200"
                body = b"<html><body><h1>Please log in to use this network</h1></body></html>"
                h2c.send_headers(event.stream_id, [(":status", status), ("content-type", "text/html; charset=utf-8"),
                                                   ("content-length", str(len(body)))])
                h2c.send_data(event.stream_id, body, end_stream=True)
        conn.sendall(h2c.data_to_send())


def serve(raw):
    try:
        conn = context.wrap_socket(raw, server_side=True)
        (dot_garbage if mode == "dot-garbage" else doh)(conn)
    except (OSError, ssl.SSLError, h2.exceptions.ProtocolError):
        pass


while True:
    raw, _ = listener.accept()
    if mode == "stall":
        held.append(raw)  # kept open, never read or written
        continue
    threading.Thread(target=serve, args=(raw,), daemon=True).start()
