#!/usr/bin/env python3
"""A DNS proxy on loopback (UDP and TCP) that forwards queries to an upstream server and rewrites the answers,
as an on-path attacker or a hostile resolver would. dnspython parses and writes the messages, so the
tampering does not go through form-dns's own codec.

usage: dns-tamper-proxy.py LISTEN_PORT UPSTREAM_PORT MODE [ARG]
  pass                 forward unchanged
  corrupt-rrsig        flip a bit in the signature of every RRSIG in the answer section
  strip-rrsig          drop every RRSIG (and NSEC) from all sections
  swap-a ADDRESS       replace the address of every A record in the answer (signatures kept)
  swap-txt TEXT        replace every TXT record's text in the answer (signatures kept)
  block-dnskey         never answer DNSKEY queries (an attacker hiding the keys); others pass
  replay FILE          record the first answer for each (name, type) in FILE (mode 'record') or
                       answer from FILE (mode 'replay'): an old signed answer served again
The proxy prints "ready" once bound, and runs until killed.
"""
import json
import socket
import struct
import sys
import threading

import dns.flags
import dns.message
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset


def tamper(wire, mode, arg):
    msg = dns.message.from_wire(wire)
    if mode == "corrupt-rrsig":
        for rrset in msg.answer:
            if rrset.rdtype == dns.rdatatype.RRSIG:
                items = list(rrset)
                rrset.clear()
                for sig in items:
                    bad = bytearray(sig.signature)
                    bad[len(bad) // 2] ^= 0x01
                    rrset.add(sig.replace(signature=bytes(bad)))
    elif mode == "strip-rrsig":
        drop = (dns.rdatatype.RRSIG, dns.rdatatype.NSEC)
        msg.answer = [r for r in msg.answer if r.rdtype not in drop]
        msg.authority = [r for r in msg.authority if r.rdtype not in drop]
        msg.additional = [r for r in msg.additional if r.rdtype not in drop]
    elif mode in ("swap-a", "swap-txt"):
        rdtype = dns.rdatatype.A if mode == "swap-a" else dns.rdatatype.TXT
        text = arg if mode == "swap-a" else '"%s"' % arg
        for rrset in msg.answer:
            if rrset.rdtype == rdtype:
                ttl = rrset.ttl
                rrset.clear()
                rrset.add(dns.rdata.from_text(dns.rdataclass.IN, rdtype, text), ttl)
    return msg.to_wire(max_size=65535)


def read_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve_tcp(listen, upstream, answer):
    """TCP (RFC 7766): each framed query answered by `answer`, which asks upstream over TCP."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen))
    server.listen(16)

    def ask_tcp(query):
        with socket.create_connection(("127.0.0.1", upstream), timeout=3) as up:
            up.sendall(struct.pack("!H", len(query)) + query)
            length = read_exactly(up, 2)
            return read_exactly(up, struct.unpack("!H", length)[0]) if length else None

    def handle(conn):
        with conn:
            conn.settimeout(10)
            while True:
                length = read_exactly(conn, 2)
                if not length:
                    return
                query = read_exactly(conn, struct.unpack("!H", length)[0])
                reply = answer(query, ask_tcp) if query else None
                if reply is None:
                    return
                conn.sendall(struct.pack("!H", len(reply)) + reply)

    while True:
        conn, _ = server.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def main():
    listen, upstream, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    arg = sys.argv[4] if len(sys.argv) > 4 else None
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", listen))
    recorded = {}
    if mode == "replay":
        with open(arg) as f:
            recorded = {k: bytes.fromhex(v) for k, v in json.load(f).items()}
    lock = threading.Lock()

    def answer(query, ask):
        """The reply to one query: recorded, tampered with, or as upstream gave it."""
        try:
            q = dns.message.from_wire(query)
            key = "%s/%d" % (q.question[0].name.to_text().lower(), q.question[0].rdtype) if q.question else ""
            if mode == "block-dnskey" and q.question and q.question[0].rdtype == dns.rdatatype.DNSKEY:
                return None
            if mode == "replay" and key in recorded:
                old = dns.message.from_wire(recorded[key])
                old.id = q.id
                return old.to_wire(max_size=65535)
            reply = ask(query)
            if reply is None:
                return None
            if mode == "record" and key:
                with lock:
                    if key not in recorded:
                        recorded[key] = reply.hex()
                        with open(arg, "w") as f:
                            json.dump(recorded, f)
            if mode not in ("pass", "record", "replay", "block-dnskey"):
                reply = tamper(reply, mode, arg)
            return reply
        except Exception as error:  # a bad packet must not stop the proxy
            print("proxy: %s" % error, file=sys.stderr, flush=True)
            return None

    def ask_udp(query):
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.settimeout(2)
        try:
            up.sendto(query, ("127.0.0.1", upstream))
            return up.recvfrom(65535)[0]
        finally:
            up.close()

    threading.Thread(target=serve_tcp, args=(listen, upstream, answer), daemon=True).start()
    print("ready", flush=True)
    while True:
        query, client = sock.recvfrom(65535)
        reply = answer(query, ask_udp)
        if reply is not None:
            sock.sendto(reply, client)


if __name__ == "__main__":
    main()
