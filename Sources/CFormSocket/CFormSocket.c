#define _GNU_SOURCE
#include <sys/socket.h>
#include <stddef.h>
#include "CFormSocket.h"

_Static_assert(sizeof(CFormSocket_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout differs");
_Static_assert(offsetof(CFormSocket_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout differs");

int CFormSocket_recvmmsg(int fd, CFormSocket_mmsghdr *msgs, unsigned int vlen, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)msgs, vlen, flags, NULL);
}

int CFormSocket_sendmmsg(int fd, CFormSocket_mmsghdr *msgs, unsigned int vlen, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)msgs, vlen, flags);
}
