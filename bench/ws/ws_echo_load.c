// WebSocket echo load: C connections to 127.0.0.1:PORT PATH, each keeping
// one masked text message of SIZE bytes in flight and sending the next as
// soon as its echo is back, for SECONDS; prints messages/s.
// Usage: ws_echo_load PORT PATH CONNECTIONS SIZE SECONDS
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int connect_ws(int port, const char* path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) { perror("connect"); exit(1); }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char req[512];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   path, port);
  if (write(fd, req, n) != n) { perror("write"); exit(1); }
  char buf[2048];
  int got = 0;
  while (got < (int)sizeof buf - 1) {
    int r = read(fd, buf + got, sizeof buf - 1 - got);
    if (r <= 0) { fprintf(stderr, "handshake: connection closed\n"); exit(1); }
    got += r;
    buf[got] = 0;
    if (strstr(buf, "\r\n\r\n")) break;
  }
  if (strncmp(buf, "HTTP/1.1 101", 12) != 0) { fprintf(stderr, "handshake refused: %.40s\n", buf); exit(1); }
  return fd;
}

int main(int argc, char** argv) {
  if (argc != 6) { fprintf(stderr, "usage: ws_echo_load PORT PATH CONNECTIONS SIZE SECONDS\n"); return 2; }
  int port = atoi(argv[1]), conns = atoi(argv[3]), size = atoi(argv[4]);
  double seconds = atof(argv[5]);
  if (size < 1 || size > 125 || conns < 1 || conns > 1000) { fprintf(stderr, "SIZE 1-125, CONNECTIONS 1-1000\n"); return 2; }
  unsigned char frame[131];
  frame[0] = 0x81;
  frame[1] = 0x80 | (unsigned char)size;
  memcpy(frame + 2, "\x12\x34\x56\x78", 4);
  for (int i = 0; i < size; ++i) frame[6 + i] = (unsigned char)('a' + i % 26) ^ frame[2 + i % 4];
  int flen = 6 + size, elen = 2 + size;
  struct pollfd* p = calloc(conns, sizeof *p);
  int* pending = calloc(conns, sizeof *pending);
  for (int i = 0; i < conns; ++i) {
    p[i].fd = connect_ws(port, argv[2]);
    p[i].events = POLLIN;
    if (write(p[i].fd, frame, flen) != flen) { perror("write"); return 1; }
  }
  long messages = 0;
  double start = now(), end = start + seconds;
  unsigned char buf[4096];
  while (now() < end) {
    if (poll(p, conns, 100) <= 0) continue;
    for (int i = 0; i < conns; ++i) {
      if (!(p[i].revents & POLLIN)) continue;
      int r = read(p[i].fd, buf, sizeof buf);
      if (r <= 0) { fprintf(stderr, "connection %d closed\n", i); return 1; }
      pending[i] += r;
      while (pending[i] >= elen) {  // one echo back: send the next
        pending[i] -= elen;
        ++messages;
        if (write(p[i].fd, frame, flen) != flen) { perror("write"); return 1; }
      }
    }
  }
  double took = now() - start;
  printf("%ld messages in %.2f s: %.0f messages/s\n", messages, took, messages / took);
  return 0;
}
