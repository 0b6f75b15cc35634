// Proves the steady-state claim: after a warm-up, thousands of keep-alive
// requests (single, pipelined, every workload endpoint) through tiers 1 and
// 2 make no heap allocation on the server's thread, with the probes off and
// with them on.
//
// malloc, calloc and realloc are interposed for the whole test binary, and
// counted only on the server thread while counting is switched on. That is
// why this test is not built under the sanitizers, which own malloc.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "common/ablation.hpp"
#include "common/probe.hpp"
#include "loop/raw.hpp"
#include "parser/bare_app.hpp"
#include "parser/http_server.hpp"
#include "parser/task.hpp"

extern "C" void* __libc_malloc(size_t);
extern "C" void* __libc_calloc(size_t, size_t);
extern "C" void* __libc_realloc(void*, size_t);

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
thread_local bool t_server_thread = false;
inline void count() {
  if (t_server_thread && g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
}
}  // namespace

extern "C" void* malloc(size_t n) {
  count();
  return __libc_malloc(n);
}
extern "C" void* calloc(size_t n, size_t m) {
  count();
  return __libc_calloc(n, m);
}
extern "C" void* realloc(void* p, size_t n) {
  count();
  return __libc_realloc(p, n);
}

namespace {

using namespace strata;

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Sends `req` and reads until `replies` copies of `marker` have arrived.
bool exchange(int fd, const std::string& req, std::string_view marker, int replies) {
  if (::send(fd, req.data(), req.size(), 0) != static_cast<ssize_t>(req.size())) return false;
  std::string got;
  char buf[16384];
  int seen = 0;
  size_t scan = 0;
  while (seen < replies) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    got.append(buf, static_cast<size_t>(n));
    for (size_t at; (at = got.find(marker, scan)) != std::string::npos; scan = at + marker.size()) ++seen;
  }
  return true;
}

const std::string kPost =
    "POST /user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 52\r\n\r\n"
    R"({"id": 1, "name": "user", "email": "user@email.com"})";
const std::string kHello = "GET /index?name=J%C3%BCrgen HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kRoot = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

// One round per connection: a POST, a GET /index, and a pipelined batch of
// 16 mixed requests (18 requests).
void rounds(const int (&fds)[4], int n) {
  std::string batch;
  for (int i = 0; i < 8; ++i) batch += kPost + kRoot;
  for (int r = 0; r < n; ++r) {
    for (int fd : fds) {
      ASSERT_TRUE(exchange(fd, kPost, "\"email\":\"user@email.com\"}", 1));
      ASSERT_TRUE(exchange(fd, kHello, "Hello Jürgen", 1));
      ASSERT_TRUE(exchange(fd, batch, "HTTP/1.1 200 OK", 16));
    }
  }
}

// Serves the warm-up and then 36,000 requests; returns the heap
// allocations the server thread made during those.
long steady_state_allocations(loop::Worker& worker) {
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", 0, &addr);
  std::string err;
  EXPECT_EQ(worker.listen(reinterpret_cast<sockaddr*>(&addr), false, err), 0) << err;
  if (!err.empty()) return -1;
  std::thread server([&] {
    t_server_thread = true;
    worker.run();
  });
  // A new connection allocates by design (one object and its buffers), so
  // the same four keep-alive connections serve the warm-up and the count.
  int fds[4];
  for (int& fd : fds) fd = connect_to(worker.bound_port());
  rounds(fds, 50);  // warm-up: buffers, frame pool and codecs reach their size
  g_allocations = 0;
  g_counting = true;
  rounds(fds, 500);
  g_counting = false;
  const long counted = g_allocations.load();
  for (int fd : fds) ::close(fd);
  worker.request_stop();
  server.join();
  EXPECT_EQ(worker.close_loop(), 0);
  return counted;
}

void expect_no_allocations(loop::Worker& worker) {
  EXPECT_EQ(steady_state_allocations(worker), 0) << "heap allocations on the server thread over 36,000 requests";
}

TEST(Allocations, RawTierSteadyStateAllocatesNothing) {
  loop::raw::RawWorker worker(0, loop::ServerConfig{});
  expect_no_allocations(worker);
}

TEST(Allocations, HttpTierSteadyStateAllocatesNothing) {
  http::HttpWorker worker(0, loop::ServerConfig{}, http::Options{}, [](http::AppHost&) { return http::make_bare_app(); });
  expect_no_allocations(worker);
}

// alloc=per-request (parser/ablations.hpp) gives every coroutine frame back
// to the heap: the same requests now allocate at least one frame each.
TEST(Allocations, HttpTierWithAllocPerRequestAllocatesForEveryRequest) {
  ablation::set_active({{"alloc", "per-request"}});
  http::HttpWorker worker(0, loop::ServerConfig{}, http::Options{}, [](http::AppHost&) { return http::make_bare_app(); });
  ablation::set_active({});
  const long counted = steady_state_allocations(worker);
  set_frame_pooling(true);
  EXPECT_GE(counted, 36000);
}

// The same over the io_uring transport: received bytes are copied from the
// ring's buffers into the connection's read buffer, sends are queued, and
// neither allocates.
loop::ServerConfig uring_config() {
  loop::ServerConfig c;
  c.io = loop::ServerConfig::Io::uring;
  return c;
}

TEST(Allocations, RawTierOverIoUringSteadyStateAllocatesNothing) {
  loop::raw::RawWorker worker(0, uring_config());
  expect_no_allocations(worker);
}

TEST(Allocations, HttpTierOverIoUringSteadyStateAllocatesNothing) {
  http::HttpWorker worker(0, uring_config(), http::Options{}, [](http::AppHost&) { return http::make_bare_app(); });
  expect_no_allocations(worker);
}

// The same with every probe on and a Server-Timing header on each response:
// per-request phase records live in the connection, each thread's
// aggregates are allocated once, during the warm-up.
class ProbesOn {
 public:
  ProbesOn() {
    strata::probe::set_server_timing(true);
    strata::probe::clear_totals();
  }
  ~ProbesOn() { strata::probe::set_enabled(false); }
};

TEST(Allocations, RawTierWithProbesOnAllocatesNothing) {
  if (!probe::compiled_in()) GTEST_SKIP() << "probes compiled out";
  ProbesOn on;
  loop::raw::RawWorker worker(0, loop::ServerConfig{});
  expect_no_allocations(worker);
  EXPECT_GE(probe::read_totals().requests, 36000u);
}

TEST(Allocations, HttpTierWithProbesOnAllocatesNothing) {
  if (!probe::compiled_in()) GTEST_SKIP() << "probes compiled out";
  ProbesOn on;
  http::HttpWorker worker(0, loop::ServerConfig{}, http::Options{}, [](http::AppHost&) { return http::make_bare_app(); });
  expect_no_allocations(worker);
  EXPECT_GE(probe::read_totals().requests, 36000u);
}

TEST(Allocations, CounterSeesServerThreadAllocations) {
  // Guards the guard: the interposed malloc must really count.
  g_allocations = 0;
  t_server_thread = true;
  g_counting = true;
  void* volatile p = std::malloc(64);
  std::free(p);
  g_counting = false;
  t_server_thread = false;
  EXPECT_EQ(g_allocations.load(), 1);
}

}  // namespace
