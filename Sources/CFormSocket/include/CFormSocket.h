// Linux socket calls for the UDP workers that the Glibc module does not export (recvmmsg and
// sendmmsg are GNU extensions, the reuseport BPF program needs <linux/filter.h>), wrapped in C.
#ifndef C_FORM_SOCKET_H
#define C_FORM_SOCKET_H
#include <sys/socket.h>

typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} CFormSocket_mmsghdr;

int CFormSocket_recvmmsg(int fd, CFormSocket_mmsghdr *msgs, unsigned int vlen, int flags);
int CFormSocket_sendmmsg(int fd, CFormSocket_mmsghdr *msgs, unsigned int vlen, int flags);

/// Attaches to the SO_REUSEPORT group of `fd` a classic BPF program that picks socket
/// `cpu % groupSize` for each datagram: the socket bound in that position of the group.
int CFormSocket_steer_by_cpu(int fd, unsigned int groupSize);
/// Restricts the calling thread to one CPU. Returns 0 or an errno value.
int CFormSocket_pin_current_thread(int cpu);
/// The CPUs this process may run on, in ascending order; the count, or -1.
int CFormSocket_allowed_cpus(int *cpus, int capacity);
/// Path MTU handling for a DNS server's UDP socket: IP(V6)_PMTUDISC_OMIT, and IPv6 fragments at 1280.
int CFormSocket_ignore_path_mtu(int fd, int isIPv6);
/// Asks the scheduler for a short time slice for the calling thread (EEVDF custom slice, Linux
/// 6.12+, via sched_setattr's sched_runtime): a woken thread with a shorter slice may preempt the
/// running one at once instead of waiting out its slice. Policy and nice value are kept. Older
/// kernels ignore the runtime for normal threads. Returns 0 or -1 with errno.
int CFormSocket_request_short_slice(unsigned long long nanoseconds);
#endif
