// recvmmsg/sendmmsg for the UDP workers. They are GNU extensions that the Glibc module does not
// export, so the structure is mirrored here (layout checked in the .c file) and the calls wrapped.
#ifndef C_FORM_SOCKET_H
#define C_FORM_SOCKET_H
#include <sys/socket.h>

typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} CFormSocket_mmsghdr;

int CFormSocket_recvmmsg(int fd, CFormSocket_mmsghdr *msgs, unsigned int vlen, int flags);
int CFormSocket_sendmmsg(int fd, CFormSocket_mmsghdr *msgs, unsigned int vlen, int flags);
#endif
