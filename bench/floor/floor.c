/* strata-floor: the floor row of `strata bench`.
 *
 * The least a server can do and still answer the benchmark's requests: one
 * thread, one epoll loop, requests framed crudely by "\r\n\r\n" plus
 * Content-Length, and a fixed reply whose bytes are exactly what the strata
 * raw tier answers for the same request. No parsing beyond that, no JSON,
 * no allocation per request. What it costs per request is the kernel's
 * share (accept once, then one read and one write per batch), which is
 * what every tier above pays too.
 *
 * Replies, chosen by the request line (fixed bytes, nothing is computed):
 *   POST ...            -> the seed 003 User  {"id":1,"name":"user","email":"user@email.com"}
 *   GET /index...       -> "Hello strata"      (seed 002, the bench's name=strata)
 *   anything else       -> "Hello ASGI World!" (seed 002 GET /)
 *
 * Usage: strata-floor [--host ADDR] [--port N]   (N = 0 picks a free port)
 * Prints "listening on http://HOST:PORT tier=floor" once bound; SIGINT or
 * SIGTERM stop it with exit status 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_CAP 16384
#define MAX_EVENTS 256

static const char reply_user[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 47\r\nContent-Type: application/json\r\n"
    "Connection: keep-alive\r\n\r\n"
    "{\"id\":1,\"name\":\"user\",\"email\":\"user@email.com\"}";
static const char reply_index[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Connection: keep-alive\r\n\r\n"
    "Hello strata";
static const char reply_root[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 17\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Connection: keep-alive\r\n\r\n"
    "Hello ASGI World!";

/* One heap object per connection: the socket, the read buffer and the
 * pending output. Output that the socket did not take stays in `out` and is
 * flushed on EPOLLOUT; reading pauses meanwhile. */
struct conn {
  int fd;
  size_t in_len;
  char in[IN_CAP];
  char *out;
  size_t out_len, out_cap, out_off;
};

static int ascii_ieq(const char *a, const char *lower, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != lower[i]) return 0;
  }
  return 1;
}

/* Frames one request at the start of buf[0..len): returns its size, 0 when
 * incomplete, -1 when it cannot be framed. */
static long frame(const char *buf, size_t len) {
  const char *end = memmem(buf, len, "\r\n\r\n", 4);
  if (!end) return len >= IN_CAP ? -1 : 0;
  size_t head = (size_t)(end - buf) + 4;
  size_t body = 0;
  for (const char *p = buf; p < end;) {
    const char *eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
    if (!eol) break;
    if ((size_t)(eol - p) > 15 && ascii_ieq(p, "content-length:", 15)) {
      const char *v = p + 15;
      while (v < eol && (*v == ' ' || *v == '\t')) ++v;
      if (v == eol) return -1;
      for (; v < eol && *v >= '0' && *v <= '9'; ++v) body = body * 10 + (size_t)(*v - '0');
      if (body > IN_CAP) return -1;
    }
    p = eol + 2;
  }
  if (head + body > IN_CAP) return -1;
  if (len < head + body) return 0;
  return (long)(head + body);
}

static int append_out(struct conn *c, const char *bytes, size_t n) {
  if (c->out_len + n > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap * 2 : 4096;
    while (cap < c->out_len + n) cap *= 2;
    char *p = realloc(c->out, cap);
    if (!p) return -1;
    c->out = p;
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, bytes, n);
  c->out_len += n;
  return 0;
}

static void close_conn(int ep, struct conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->out);
  free(c);
}

/* Writes what is pending. Returns 1 when all is out, 0 when the socket is
 * full, -1 on error. */
static int flush_out(struct conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return 0;
      return -1;
    }
    c->out_off += (size_t)n;
  }
  c->out_off = c->out_len = 0;
  return 1;
}

static void set_events(int ep, struct conn *c, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Reads once, answers every complete request in the buffer with one write. */
static void on_readable(int ep, struct conn *c) {
  ssize_t n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return close_conn(ep, c);
  if (n < 0) return;
  c->in_len += (size_t)n;
  size_t used = 0;
  for (;;) {
    long size = frame(c->in + used, c->in_len - used);
    if (size < 0) return close_conn(ep, c);
    if (size == 0) break;
    const char *req = c->in + used;
    const char *reply = reply_root;
    size_t reply_len = sizeof reply_root - 1;
    if (req[0] == 'P') {
      reply = reply_user;
      reply_len = sizeof reply_user - 1;
    } else if (c->in_len - used > 10 && memcmp(req, "GET /index", 10) == 0) {
      reply = reply_index;
      reply_len = sizeof reply_index - 1;
    }
    if (append_out(c, reply, reply_len) < 0) return close_conn(ep, c);
    used += (size_t)size;
  }
  if (used) {
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
  }
  int r = flush_out(c);
  if (r < 0) return close_conn(ep, c);
  if (r == 0) set_events(ep, c, EPOLLOUT);
}

static int listen_on(const char *host, int port, int *bound) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    errno = EINVAL;
    close(fd);
    return -1;
  }
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1024) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  *bound = ntohs(a.sin_port);
  return fd;
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  int port = 8000;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char *end;
      long p = strtol(argv[++i], &end, 10);
      if (*end || p < 0 || p > 65535) {
        fprintf(stderr, "strata-floor: --port wants 0..65535, got %s\n", argv[i]);
        return 2;
      }
      port = (int)p;
    } else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      host = argv[++i];
    } else {
      fprintf(stderr, "usage: strata-floor [--host IPV4] [--port N]\n");
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop, NULL);
  int sfd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);

  int bound = 0;
  int lfd = listen_on(host, port, &bound);
  if (lfd < 0) {
    fprintf(stderr, "strata-floor: cannot listen on %s:%d: %s\n", host, port, strerror(errno));
    return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.ptr = &sfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
  printf("listening on http://%s:%d tier=floor\n", host, bound);
  fflush(stdout);

  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(ep, events, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("strata-floor: epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      void *p = events[i].data.ptr;
      if (p == &sfd) return 0; /* SIGINT/SIGTERM: the kernel closes what is left */
      if (p == &lfd) {
        for (;;) {
          int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          struct conn *c = calloc(1, sizeof *c);
          if (!c) {
            close(fd);
            continue;
          }
          c->fd = fd;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      struct conn *c = p;
      if (events[i].events & EPOLLOUT) {
        int r = flush_out(c);
        if (r < 0) close_conn(ep, c);
        else if (r == 1) set_events(ep, c, EPOLLIN);
      } else if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        on_readable(ep, c);
      }
    }
  }
}
