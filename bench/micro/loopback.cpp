// What the kernel charges for the I/O of one loopback request (Catch2
// benchmarks, `bench_loopback`): one write of seed 003's request on a
// connected TCP socket over 127.0.0.1 and one read of it at the other end,
// both from this thread, the system calls every strata tier makes per
// request (docs/where-the-time-goes.md, "the kernel as a layer"). The write
// runs the whole loopback path (TCP output, the loopback device, TCP input
// into the peer's receive queue) inside the call; the read copies the bytes
// out. A 1-byte write and read show the fixed part; epoll_wait with a
// ready socket shows the readiness check a loop adds.
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace {

// A connected pair of loopback TCP sockets, as a server's accepted
// connection and its client see it (TCP_NODELAY on both, as strata sets).
struct Pair {
  int client = -1, server = -1;
  Pair() {
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener, 1) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error(std::string("loopback listener: ") + std::strerror(errno));
    client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (client < 0 || ::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error(std::string("loopback connect: ") + std::strerror(errno));
    server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    ::close(listener);
    if (server < 0) throw std::runtime_error(std::string("loopback accept: ") + std::strerror(errno));
    const int one = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Pair() {
    ::close(client);
    ::close(server);
  }
};

const std::string kRequest =
    "POST /user HTTP/1.1\r\nHost: localhost:8000\r\nContent-Type: application/json\r\nContent-Length: 52\r\n\r\n"
    "{\"id\": 1, \"name\": \"user\", \"email\": \"user@email.com\"}";

// Sends `n` bytes one way and reads them back out: a write and a read.
size_t round(const Pair& p, const char* bytes, size_t n, char* buf, size_t cap) {
  if (::write(p.client, bytes, n) != static_cast<ssize_t>(n)) throw std::runtime_error("short write");
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(p.server, buf + got, cap - got);
    if (r <= 0) throw std::runtime_error("read failed");
    got += static_cast<size_t>(r);
  }
  return got;
}

}  // namespace

TEST_CASE("loopback write + read") {
  Pair p;
  char buf[4096];
  BENCHMARK("seed 003's request (" + std::to_string(kRequest.size()) + " bytes)") {
    return round(p, kRequest.data(), kRequest.size(), buf, sizeof buf);
  };
  BENCHMARK("1 byte") { return round(p, "x", 1, buf, sizeof buf); };
}

TEST_CASE("epoll_wait with one ready socket") {
  Pair p;
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = p.server;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, p.server, &ev);
  ::write(p.client, "x", 1);  // stays queued: the socket stays ready
  epoll_event out[16];
  BENCHMARK("epoll_wait(timeout 0)") { return ::epoll_wait(ep, out, 16, 0); };
  ::close(ep);
}
