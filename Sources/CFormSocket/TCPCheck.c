#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <errno.h>
#include <unistd.h>
#include "CFormSocket.h"

int CFormSocket_tcp_check_start(int epfd, const struct sockaddr *address, socklen_t length, unsigned long long tag) {
    int fd = socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    // A reset at close: no FIN exchange and no TIME_WAIT per check (HAProxy closes its checks so).
    struct linger reset = { .l_onoff = 1, .l_linger = 0 };
    struct epoll_event event = { .events = EPOLLOUT | EPOLLONESHOT, .data.u64 = tag };
    int problem = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)) != 0) problem = errno;
    else if (connect(fd, address, length) != 0 && errno != EINPROGRESS) problem = errno;
    else if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event) != 0) problem = errno;
    if (problem != 0) {
        close(fd);
        return -problem;
    }
    return fd;
}

int CFormSocket_epoll_wait_tags(int epfd, unsigned long long *tags, unsigned int *events, int capacity, int timeoutMs) {
    struct epoll_event ready[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epfd, ready, capacity, timeoutMs);
    for (int i = 0; i < count; i++) {
        tags[i] = ready[i].data.u64;
        events[i] = ready[i].events;
    }
    return count;
}

int CFormSocket_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int CFormSocket_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

int CFormSocket_epoll_add_reader(int epfd, int fd, unsigned long long tag) {
    struct epoll_event event = { .events = EPOLLIN, .data.u64 = tag };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

int CFormSocket_socket_error(int fd) {
    int error = 0;
    socklen_t length = sizeof(error);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
    return error;
}
