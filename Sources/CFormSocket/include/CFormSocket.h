// Linux socket calls that the Glibc module does not export or imports awkwardly, wrapped in C: for
// the UDP workers (recvmmsg and sendmmsg are GNU extensions, the reuseport BPF program needs
// <linux/filter.h>) and for the TCP health checks (struct epoll_event is packed on x86-64).
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

/// Health checks (TCPCheckLoop): starts a non-blocking TCP connect to `address` on a new socket
/// that closes with a reset (SO_LINGER 0), registered with epoll `epfd` for writability (the
/// connect's end), tagged `tag`. Returns the socket, or -errno if it could not be started.
int CFormSocket_tcp_check_start(int epfd, const struct sockaddr *address, socklen_t length, unsigned long long tag);
/// epoll_wait on `epfd` for at most `timeoutMs`: the tags and events of up to `capacity` ready
/// sockets. Returns their count, or -1 with errno.
int CFormSocket_epoll_wait_tags(int epfd, unsigned long long *tags, unsigned int *events, int capacity, int timeoutMs);
/// A new epoll set (close-on-exec). Returns it, or -1 with errno.
int CFormSocket_epoll_create(void);
/// A new non-blocking eventfd (close-on-exec), to wake an epoll loop. Returns it, or -1 with errno.
int CFormSocket_eventfd(void);
/// Registers `fd` with epoll `epfd` for reading, tagged `tag`. Returns 0 or -1 with errno.
int CFormSocket_epoll_add_reader(int epfd, int fd, unsigned long long tag);
/// The pending error of socket `fd` (SO_ERROR): 0 once a connect succeeded.
int CFormSocket_socket_error(int fd);
#endif
