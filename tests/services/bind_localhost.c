/* LD_PRELOAD shim for the test SGE (sge.sh): sge_qmaster and sge_execd have no setting for
 * the address they listen on and bind INADDR_ANY; this makes a wildcard IPv4 bind use
 * 127.0.0.1 and refuses to listen on any socket not bound to loopback, so the daemons can
 * only ever be reached from this machine. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  int (*real_bind)(int, const struct sockaddr *, socklen_t) =
      (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
  if (addr && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    struct sockaddr_in in;
    memcpy(&in, addr, sizeof in);
    if (in.sin_addr.s_addr == htonl(INADDR_ANY)) in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return real_bind(fd, (const struct sockaddr *)&in, sizeof in);
  }
  return real_bind(fd, addr, len);
}

int listen(int fd, int backlog) {
  int (*real_listen)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
    int loopback = 1; /* unix sockets and the like */
    if (ss.ss_family == AF_INET) {
      loopback = ((const struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
    } else if (ss.ss_family == AF_INET6) {
      loopback = memcmp(&((const struct sockaddr_in6 *)&ss)->sin6_addr, &in6addr_loopback, sizeof in6addr_loopback) == 0;
    }
    if (!loopback) {
      errno = EADDRNOTAVAIL;
      return -1;
    }
  }
  return real_listen(fd, backlog);
}
