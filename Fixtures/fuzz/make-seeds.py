#!/usr/bin/env python3
"""Makes the seed corpus of Fixtures/fuzz from real traffic: the queries dig and kdig send (with the
options they are used with: EDNS, DO, cookies, Client Subnet, NSID, padding, TCP), the responses
form-dns and Knot give to them, and the project's own zone files, configurations, bootstrap lists
and GeoIP databases. Run from the package root with form-dns built and knotd, dig and kdig installed:
    python3 Fixtures/fuzz/make-seeds.py
"""
import os, shutil, socket, subprocess, sys, threading, time, hashlib, glob

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Fixtures", "fuzz")
FORM_DNS = os.environ.get("FORM_DNS_BIN", os.path.join(ROOT, ".build", "debug", "form-dns"))

def save(target, data, prefix=b""):
    d = os.path.join(OUT, target, "seeds")
    os.makedirs(d, exist_ok=True)
    blob = prefix + data
    with open(os.path.join(d, hashlib.sha1(blob).hexdigest()[:16]), "wb") as f:
        f.write(blob)

def capture_queries():
    """Runs dig and kdig against a socket that records what they send and answers nothing."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    got = []
    sock.settimeout(0.2)
    stop = threading.Event()
    def listen():
        while not stop.is_set():
            try:
                data, _ = sock.recvfrom(65535)
                got.append(data)
            except socket.timeout:
                pass
    t = threading.Thread(target=listen); t.start()
    name = "entry.formation.test"
    runs = [
        ["dig", "+tries=1", "+timeout=1", name, "A"],
        ["dig", "+tries=1", "+timeout=1", "+dnssec", name, "AAAA"],
        ["dig", "+tries=1", "+timeout=1", "+cookie=2464c4abcf10c957", name, "A"],
        ["dig", "+tries=1", "+timeout=1", "+subnet=203.0.113.0/24", name, "A"],
        ["dig", "+tries=1", "+timeout=1", "+subnet=2001:db8::/56", "+nsid", name, "TXT"],
        ["dig", "+tries=1", "+timeout=1", "+noedns", "formation.test", "SOA"],
        ["dig", "+tries=1", "+timeout=1", "+bufsize=512", "+padding=128", "formation.test", "ANY"],
        ["dig", "+tries=1", "+timeout=1", "_formnet.entry.formation.test", "TXT"],
        ["kdig", "+retry=0", "+time=1", name, "A"],
        ["kdig", "+retry=0", "+time=1", "+dnssec", "+cookie", name, "A"],
        ["kdig", "+retry=0", "+time=1", "+subnet=198.51.100.7/32", name, "AAAA"],
        ["kdig", "+retry=0", "+time=1", "+nsid", "+padding", "www.formation.test", "MX"],
        ["kdig", "+retry=0", "+time=1", "formation.test", "DNSKEY"],
    ]
    procs = [subprocess.Popen([r[0], "@127.0.0.1", "-p", str(port)] + r[1:], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for r in runs]
    for p in procs: p.wait()
    stop.set(); t.join(); sock.close()
    return got

def ask(port, query, tcp=False):
    if tcp:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(len(query).to_bytes(2, "big") + query)
        n = int.from_bytes(s.recv(2), "big"); data = b""
        while len(data) < n: data += s.recv(n - len(data))
        s.close(); return data
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
    s.sendto(query, ("127.0.0.1", port))
    try: return s.recvfrom(65535)[0]
    except socket.timeout: return None
    finally: s.close()

def serve(cmd, port_word):
    log = open("/tmp/form-fuzz-seeds.log", "w")
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        time.sleep(0.1)
        text = open("/tmp/form-fuzz-seeds.log").read()
        for word in text.split():
            if word.startswith(port_word): return p, int(word.rsplit(":", 1)[1])
    p.kill(); sys.exit("server did not start: " + open("/tmp/form-fuzz-seeds.log").read())

def main():
    queries = capture_queries()
    print(f"{len(queries)} queries from dig and kdig")
    demo = os.path.join(ROOT, "Fixtures", "demo", "form-dns.yaml")
    dns, port = serve([FORM_DNS, "serve", "--config", demo, "--listen", "127.0.0.1:0"], "udp://")
    try:
        for i, q in enumerate(queries):
            save("dns-message", q)
            save("response", q, bytes([i % 256]))
            for tcp in (False, True):
                r = ask(port, q, tcp)
                if r:
                    save("dns-message", r)
                    save("stub-reply", r)
    finally:
        dns.kill()
    for f in glob.glob(os.path.join(ROOT, "Fixtures", "**", "*.zone"), recursive=True)[:12]:
        save("zone-file", open(f, "rb").read())
    for f in sorted(glob.glob(os.path.join(ROOT, "Fixtures", "**", "*.yaml"), recursive=True))[:16]:
        save("config", open(f, "rb").read())
    for f in sorted(glob.glob(os.path.join(ROOT, "Fixtures", "**", "*.mmdb"), recursive=True)):
        if os.path.getsize(f) < 64 * 1024: save("mmdb", open(f, "rb").read())
    for f in sorted(glob.glob(os.path.join(ROOT, "Fixtures", "**", "*.json"), recursive=True)):
        text = open(f, "rb").read()
        if b'"peers"' in text: save("bootstrap-list", text)

main()
