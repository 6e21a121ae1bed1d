# Shared by the benchmark scripts (sourced): free ports, a server's process tree and its CPU time.
# Every function reads SERVER_PID, the PID of the server started.

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# The PID and all its descendants (NSD forks its server processes).
tree() { echo "$1"; local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null || true); do tree "$c"; done; }
# utime+stime (fields 14, 15) of the server's processes; the command name (field 2) may hold
# spaces ("nsd: server 1"), so fields are counted after its closing parenthesis.
ticks() {
    local t=0 p v
    for p in $(tree "$SERVER_PID"); do
        v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12+$13}' || true)
        t=$((t + ${v:-0}))
    done
    echo $t
}
# Busy time of the whole machine: user nice system irq softirq steal (guest time is inside user).
machine_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
stop_server() { # SIGTERM to the server's processes, SIGKILL after 3 s
    local all; all=$(tree "$SERVER_PID")
    kill $all 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL $all 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
# Waits until the server on port $1 answers the bench zone's SOA (10 s at most).
wait_up() {
    for _ in $(seq 100); do
        dig @127.0.0.1 -p "$1" bench.test SOA +short +time=1 +tries=1 2>/dev/null | grep -q hostmaster && return 0
        sleep 0.1
    done
    echo "server on $1 did not start" >&2; return 1
}
