/* strata-floor-uring: the io_uring twin of strata-floor (floor.c).
 *
 * The same least server (one thread, requests framed by "\r\n\r\n" plus
 * Content-Length, the same fixed replies, chosen the same way), over
 * io_uring instead of epoll: one multishot accept, one multishot receive
 * per connection from a provided buffer ring, one send per connection per
 * batch of requests, and one io_uring_enter per loop iteration that submits
 * every send and waits for the next completions. What it costs per request
 * is the least the kernel charges through a ring, the floor strata's
 * `--io uring` is measured against, as strata-floor is for libuv.
 *
 * Usage: strata-floor-uring [--host ADDR] [--port N]   (N = 0 picks a free port)
 * Prints "listening on http://HOST:PORT tier=floor-uring" once bound;
 * SIGINT or SIGTERM stop it with exit status 0. Exit 1, with one sentence,
 * when the kernel refuses io_uring.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_CAP 16384
#define OUT_CAP 65536
#define BUFFERS 512
#define BUFFER_SIZE 4096
#define GROUP 0

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

/* Completions name what they belong to by user_data: a tagged pointer. */
enum { TAG_ACCEPT = 1, TAG_SIGNAL = 2, TAG_RECV = 0, TAG_SEND = 3 };

/* One heap object per connection. Replies collect in `out`; `sending` bytes
 * of it are in flight, and what arrives meanwhile goes behind them. */
struct conn {
  int fd;
  int recv_armed, dead;
  size_t in_len, out_len, sending;
  char in[IN_CAP];
  char out[OUT_CAP];
};

static struct io_uring ring;
static struct io_uring_buf_ring *bufs;
static char *buf_mem;

static struct io_uring_sqe *get_sqe(void) {
  struct io_uring_sqe *s = io_uring_get_sqe(&ring);
  if (!s) {
    io_uring_submit(&ring);
    s = io_uring_get_sqe(&ring);
  }
  return s;
}

static int ascii_ieq(const char *a, const char *lower, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != lower[i]) return 0;
  }
  return 1;
}

/* As floor.c: the size of the request at the start of buf[0..len), 0 when
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

static void arm_recv(struct conn *c) {
  struct io_uring_sqe *s = get_sqe();
  io_uring_prep_recv_multishot(s, c->fd, NULL, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = GROUP;
  io_uring_sqe_set_data64(s, (uint64_t)(uintptr_t)c | TAG_RECV);
  c->recv_armed = 1;
}

static void start_send(struct conn *c) {
  if (c->sending || c->out_len == 0) return;
  c->sending = c->out_len;
  struct io_uring_sqe *s = get_sqe();
  io_uring_prep_send(s, c->fd, c->out, c->sending, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(s, (uint64_t)(uintptr_t)c | TAG_SEND);
}

/* Frees the connection once nothing of it is in flight. A connection that
 * must end while its receive is armed is shut down, which ends the receive. */
static void finish_conn(struct conn *c) {
  c->dead = 1;
  if (c->recv_armed) {
    shutdown(c->fd, SHUT_RDWR);
    return;
  }
  if (c->sending) return;
  close(c->fd);
  free(c);
}

static void on_bytes(struct conn *c, const char *data, size_t n) {
  if (c->in_len + n > IN_CAP) return finish_conn(c);
  memcpy(c->in + c->in_len, data, n);
  c->in_len += n;
  size_t used = 0;
  for (;;) {
    long size = frame(c->in + used, c->in_len - used);
    if (size < 0) return finish_conn(c);
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
    if (c->out_len + reply_len > OUT_CAP) return finish_conn(c); /* a client that never reads */
    memcpy(c->out + c->out_len, reply, reply_len);
    c->out_len += reply_len;
    used += (size_t)size;
  }
  if (used) {
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
  }
  start_send(c);
}

static int listen_on(const char *host, int port, int *bound) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

static int setup_ring(void) {
  struct io_uring_params p = {0};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  p.cq_entries = 4096;
  int r = io_uring_queue_init_params(1024, &ring, &p);
  if (r < 0) return r;
  bufs = mmap(NULL, BUFFERS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  buf_mem = aligned_alloc(4096, (size_t)BUFFERS * BUFFER_SIZE);
  if (bufs == MAP_FAILED || !buf_mem) return -ENOMEM;
  struct io_uring_buf_reg reg = {.ring_addr = (uintptr_t)bufs, .ring_entries = BUFFERS, .bgid = GROUP};
  if ((r = io_uring_register_buf_ring(&ring, &reg, 0)) < 0) return r;
  io_uring_buf_ring_init(bufs);
  for (int i = 0; i < BUFFERS; ++i)
    io_uring_buf_ring_add(bufs, buf_mem + (size_t)i * BUFFER_SIZE, BUFFER_SIZE, (unsigned short)i,
                          io_uring_buf_ring_mask(BUFFERS), i);
  io_uring_buf_ring_advance(bufs, BUFFERS);
  return 0;
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  int port = 8000;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char *end;
      long p = strtol(argv[++i], &end, 10);
      if (*end || p < 0 || p > 65535) {
        fprintf(stderr, "strata-floor-uring: --port wants 0..65535, got %s\n", argv[i]);
        return 2;
      }
      port = (int)p;
    } else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      host = argv[++i];
    } else {
      fprintf(stderr, "usage: strata-floor-uring [--host IPV4] [--port N]\n");
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop, NULL);
  int sfd = signalfd(-1, &stop, SFD_CLOEXEC);

  int r = setup_ring();
  if (r < 0) {
    fprintf(stderr, "strata-floor-uring: io_uring is unavailable: %s\n", strerror(-r));
    return 1;
  }
  int bound = 0;
  int lfd = listen_on(host, port, &bound);
  if (lfd < 0) {
    fprintf(stderr, "strata-floor-uring: cannot listen on %s:%d: %s\n", host, port, strerror(errno));
    return 1;
  }
  /* Polled, not read through the ring: a read would run on an io_uring
   * worker thread, which the process's signals do not reach. */
  struct io_uring_sqe *s = get_sqe();
  io_uring_prep_poll_add(s, sfd, POLLIN);
  io_uring_sqe_set_data64(s, TAG_SIGNAL);
  s = get_sqe();
  io_uring_prep_multishot_accept(s, lfd, NULL, NULL, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, TAG_ACCEPT);
  printf("listening on http://%s:%d tier=floor-uring\n", host, bound);
  fflush(stdout);

  for (;;) {
    struct io_uring_cqe *cqe;
    r = io_uring_submit_and_wait(&ring, 1);
    if (r < 0 && r != -EINTR && r != -ETIME) {
      fprintf(stderr, "strata-floor-uring: io_uring_enter: %s\n", strerror(-r));
      return 1;
    }
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      uint64_t ud = cqe->user_data;
      int res = cqe->res;
      int more = (cqe->flags & IORING_CQE_F_MORE) != 0;
      if (ud == TAG_SIGNAL) return 0; /* SIGINT/SIGTERM: the kernel closes what is left */
      if (ud == TAG_ACCEPT) {
        if (res >= 0) {
          struct conn *c = malloc(sizeof *c);
          if (!c) {
            close(res);
          } else {
            c->fd = res;
            c->recv_armed = c->dead = 0;
            c->in_len = c->out_len = c->sending = 0;
            int one = 1;
            setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            arm_recv(c);
          }
        }
        if (!more) {
          s = get_sqe();
          io_uring_prep_multishot_accept(s, lfd, NULL, NULL, SOCK_CLOEXEC);
          io_uring_sqe_set_data64(s, TAG_ACCEPT);
        }
        continue;
      }
      struct conn *c = (struct conn *)(uintptr_t)(ud & ~(uint64_t)3);
      if ((ud & 3) == TAG_SEND) {
        if (res <= 0 || c->dead) {
          c->sending = 0;
          finish_conn(c);
          continue;
        }
        size_t sent = (size_t)res;
        memmove(c->out, c->out + sent, c->out_len - sent);
        c->out_len -= sent;
        c->sending = 0;
        start_send(c);
        continue;
      }
      /* a receive; the connection stays (recv_armed) until it is handled */
      if (cqe->flags & IORING_CQE_F_BUFFER) {
        unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        if (res > 0 && !c->dead) on_bytes(c, buf_mem + (size_t)bid * BUFFER_SIZE, (size_t)res);
        io_uring_buf_ring_add(bufs, buf_mem + (size_t)bid * BUFFER_SIZE, BUFFER_SIZE, (unsigned short)bid,
                              io_uring_buf_ring_mask(BUFFERS), 0);
        io_uring_buf_ring_advance(bufs, 1);
      }
      if (!more) c->recv_armed = 0;
      if (!c->recv_armed) {
        if (c->dead || (res <= 0 && res != -ENOBUFS)) finish_conn(c);
        else arm_recv(c);
      }
    }
    io_uring_cq_advance(&ring, seen);
  }
}
