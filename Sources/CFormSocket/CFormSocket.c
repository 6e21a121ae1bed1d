#define _GNU_SOURCE
#include <sys/socket.h>
#include <stddef.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <linux/filter.h>
#include "CFormSocket.h"

_Static_assert(sizeof(CFormSocket_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout differs");
_Static_assert(offsetof(CFormSocket_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout differs");

int CFormSocket_recvmmsg(int fd, CFormSocket_mmsghdr *msgs, unsigned int vlen, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)msgs, vlen, flags, NULL);
}

int CFormSocket_sendmmsg(int fd, CFormSocket_mmsghdr *msgs, unsigned int vlen, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)msgs, vlen, flags);
}

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

int CFormSocket_steer_by_cpu(int fd, unsigned int groupSize) {
    if (groupSize == 0) { errno = EINVAL; return -1; }
    // A = the CPU the datagram is being processed on; A %= groupSize; return A (a socket index).
    struct sock_filter code[] = {
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, (unsigned int)(SKF_AD_OFF + SKF_AD_CPU) },
        { BPF_ALU | BPF_MOD | BPF_K, 0, 0, groupSize },
        { BPF_RET | BPF_A, 0, 0, 0 },
    };
    struct sock_fprog program = { .len = sizeof(code) / sizeof(code[0]), .filter = code };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof(program));
}

int CFormSocket_pin_current_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int CFormSocket_allowed_cpus(int *cpus, int capacity) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return -1;
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && count < capacity; cpu++) {
        if (CPU_ISSET(cpu, &set)) cpus[count++] = cpu;
    }
    return count;
}

int CFormSocket_ignore_path_mtu(int fd, int isIPv6) {
    // IP_PMTUDISC_OMIT (Linux 3.15+): no DF bit, and ICMP "fragmentation needed" is ignored, so a
    // forged one cannot shrink our packets into fragments (the DNS fragmentation attacks).
    int omit = 5;
    if (isIPv6) {
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &omit, sizeof(omit)) != 0) return -1;
        // Fragment large responses at the IPv6 minimum MTU rather than rely on path MTU discovery.
        int minimum = 1280;
        return setsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &minimum, sizeof(minimum));
    }
    return setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit, sizeof(omit));
}

#include <stdint.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

// struct sched_attr (SCHED_ATTR_SIZE_VER0); glibc has no wrapper for sched_setattr.
struct CFormSocket_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

int CFormSocket_request_short_slice(unsigned long long nanoseconds) {
#ifdef SYS_sched_setattr
    struct CFormSocket_sched_attr attr = {0};
    attr.size = sizeof(attr);
    // Keep whatever policy the operator gave the process (chrt) and its nice value: only the
    // slice changes.
    attr.sched_flags = 0x08; // SCHED_FLAG_KEEP_POLICY
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0); // the calling thread on Linux
    if (nice == -1 && errno != 0) return -1;
    attr.sched_nice = nice;
    attr.sched_runtime = nanoseconds;
    return (int)syscall(SYS_sched_setattr, 0, &attr, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}
