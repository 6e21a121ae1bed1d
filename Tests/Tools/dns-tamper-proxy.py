#!/usr/bin/env python3
"""A UDP DNS proxy on loopback that forwards queries to an upstream server and rewrites the answers,
as an on-path attacker or a hostile resolver would. dnspython parses and writes the messages, so the
tampering does not go through form-dns's own codec.

usage: dns-tamper-proxy.py LISTEN_PORT UPSTREAM_PORT MODE [ARG]
  pass                 forward unchanged
  corrupt-rrsig        flip a bit in the signature of every RRSIG in the answer section
  strip-rrsig          drop every RRSIG (and NSEC) from all sections
  swap-a ADDRESS       replace the address of every A record in the answer (signatures kept)
  swap-txt TEXT        replace every TXT record's text in the answer (signatures kept)
  replay FILE          record the first answer for each (name, type) in FILE (mode 'record') or
                       answer from FILE (mode 'replay'): an old signed answer served again
The proxy prints "ready" once bound, and runs until killed.
"""
import json
import socket
import sys

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


def main():
    listen, upstream, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    arg = sys.argv[4] if len(sys.argv) > 4 else None
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", listen))
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.settimeout(2)
    recorded = {}
    if mode == "replay":
        with open(arg) as f:
            recorded = {k: bytes.fromhex(v) for k, v in json.load(f).items()}
    print("ready", flush=True)
    while True:
        query, client = sock.recvfrom(65535)
        try:
            q = dns.message.from_wire(query)
            key = "%s/%d" % (q.question[0].name.to_text().lower(), q.question[0].rdtype) if q.question else ""
            if mode == "replay" and key in recorded:
                old = dns.message.from_wire(recorded[key])
                old.id = q.id
                sock.sendto(old.to_wire(max_size=65535), client)
                continue
            up.sendto(query, ("127.0.0.1", upstream))
            answer, _ = up.recvfrom(65535)
            if mode == "record" and key and key not in recorded:
                recorded[key] = answer.hex()
                with open(arg, "w") as f:
                    json.dump(recorded, f)
            if mode not in ("pass", "record", "replay"):
                answer = tamper(answer, mode, arg)
            sock.sendto(answer, client)
        except Exception as error:  # a bad packet must not stop the proxy
            print("proxy: %s" % error, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
