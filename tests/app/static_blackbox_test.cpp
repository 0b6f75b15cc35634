// `strata serve --static DIR` as a client sees it, with curl: ranges,
// conditional requests, HEAD, traversal attempts, and a 50 MiB file whose
// download leaves the server's memory where it was. Every test runs on the
// app and typed tiers; CTest runs them all again over io_uring (uring.*).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"

#ifndef STRATA_BIN
#error "STRATA_BIN must name the strata binary"
#endif

namespace strata::test {
namespace {

namespace fs = std::filesystem;

// Varied bytes, the same for a given size.
std::string bytes_of(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 99;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

// One read of the file's size, not a character at a time: this code is built
// at -O0, where an istreambuf_iterator spends 2 s on the 50 MiB download.
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::string s(in ? static_cast<size_t>(in.tellg()) : 0, '\0');
  in.seekg(0);
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  s.resize(static_cast<size_t>(in.gcount()));
  return s;
}

// Peak resident set (VmHWM) and current (VmRSS) of a process, KiB.
size_t status_kib(pid_t pid, std::string_view field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind(field, 0) == 0) return std::stoul(line.substr(field.size()));
  return 0;
}

class StaticBlackbox : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata-static-bb-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    char out[] = "/tmp/strata-static-out-XXXXXX";
    ASSERT_NE(mkdtemp(out), nullptr);
    outside_ = out;
    std::ofstream(root_ + "/hello.txt") << "hello, world\n";
    std::ofstream(root_ + "/style.css") << "body{}\n";
    std::ofstream(root_ + "/data.bin", std::ios::binary) << bytes_of(100000);
    std::ofstream(outside_ + "/secret.txt") << "secret\n";
    fs::create_symlink(outside_ + "/secret.txt", root_ + "/escape.txt");
    fs::create_directories(root_ + "/sub");
    std::ofstream(root_ + "/sub/index.html") << "<p>index</p>\n";
    SpawnOptions o;
    o.capture_stderr = true;
    std::string error;
    server_ = ServerProcess::start(STRATA_BIN, {"--tier", GetParam(), "--workers", "1", "--static", root_}, o, &error);
    ASSERT_TRUE(server_) << error;
  }
  void TearDown() override {
    if (server_) {
      server_->send_signal(SIGTERM);
      std::string out, err;
      server_->process().read_outputs_until_eof(out, err, 8000ms);
      auto st = server_->wait_exit(5000ms);
      EXPECT_TRUE(st && st->exited && st->code == 0) << (st ? st->describe() : "no exit") << "\n" << printable(err, 4000);
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
    fs::remove_all(outside_, ec);
  }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }
  // curl with `args`, the body in out and the head (lower-cased) in head.
  struct Got {
    int status = 0;
    std::string head, lower_head, body;
  };
  Got curl(std::vector<std::string> args) {
    const std::string head_file = outside_ + "/head";
    std::vector<std::string> all = {"-sS", "--path-as-is", "-D", head_file};
    all.insert(all.end(), args.begin(), args.end());
    auto run = run_command("/usr/bin/curl", all, 30000ms);
    Got g;
    EXPECT_TRUE(run.ok()) << run.error << run.err;
    g.body = run.out;
    g.head = read_file(head_file);
    fs::remove(head_file);
    // "HTTP/1.1 200 OK": the code after the first space.
    const size_t sp = g.head.find(' ');
    if (sp != std::string::npos) g.status = std::atoi(g.head.c_str() + sp + 1);
    g.lower_head = g.head;
    for (char& ch : g.lower_head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return g;
  }
  static std::string header(const Got& g, std::string_view name) {
    const std::string key = "\n" + std::string(name) + ": ";
    const size_t at = g.lower_head.find(key);  // names in any case, values as sent
    if (at == std::string::npos) return {};
    const size_t from = at + key.size();
    return g.head.substr(from, g.head.find('\r', from) - from);
  }

  std::string root_, outside_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_P(StaticBlackbox, ServesFilesWithTypesAndValidators) {
  auto g = curl({url("/static/hello.txt")});
  EXPECT_EQ(g.status, 200) << g.head;
  EXPECT_EQ(g.body, "hello, world\n");
  EXPECT_EQ(header(g, "content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(header(g, "content-length"), "13");
  EXPECT_EQ(header(g, "accept-ranges"), "bytes");
  EXPECT_FALSE(header(g, "etag").empty());
  EXPECT_FALSE(header(g, "last-modified").empty());
  EXPECT_EQ(header(curl({url("/static/style.css")}), "content-type"), "text/css; charset=utf-8");
  auto bin = curl({url("/static/data.bin")});
  EXPECT_EQ(bin.body, bytes_of(100000));
  EXPECT_EQ(header(bin, "content-type"), "application/octet-stream");
}

TEST_P(StaticBlackbox, RangesWithCurl) {
  const std::string all = bytes_of(100000);
  auto g = curl({"-r", "100-199", url("/static/data.bin")});
  EXPECT_EQ(g.status, 206);
  EXPECT_EQ(g.body, all.substr(100, 100));
  EXPECT_EQ(header(g, "content-range"), "bytes 100-199/100000");
  g = curl({"-r", "-10", url("/static/data.bin")});
  EXPECT_EQ(g.status, 206);
  EXPECT_EQ(g.body, all.substr(99990));
  g = curl({"-r", "99000-", url("/static/data.bin")});
  EXPECT_EQ(g.status, 206);
  EXPECT_EQ(g.body, all.substr(99000));
  g = curl({"-r", "100000-", url("/static/data.bin")});
  EXPECT_EQ(g.status, 416);
  EXPECT_EQ(header(g, "content-range"), "bytes */100000");
  EXPECT_EQ(g.body, "");
  g = curl({"-H", "Range: bytes=-0", url("/static/data.bin")});
  EXPECT_EQ(g.status, 416);
  g = curl({"-r", "0-1,5-6", url("/static/data.bin")});  // several: the whole file
  EXPECT_EQ(g.status, 200);
  EXPECT_EQ(g.body.size(), all.size());
  g = curl({"-H", "Range: bytes=99999999999999999999999-", url("/static/data.bin")});
  EXPECT_EQ(g.status, 416);
  g = curl({"-H", "Range: bytes=zz", url("/static/data.bin")});  // malformed: ignored
  EXPECT_EQ(g.status, 200);
  EXPECT_EQ(g.body.size(), all.size());
  // Resuming a download, as curl -C does.
  const std::string part = root_ + "/../partial-" + std::to_string(getpid());
  std::ofstream(part, std::ios::binary) << all.substr(0, 40000);
  auto run = run_command("/usr/bin/curl", {"-sS", "-C", "-", "-o", part, url("/static/data.bin")}, 30000ms);
  EXPECT_TRUE(run.ok()) << run.err;
  EXPECT_EQ(read_file(part), all);
  fs::remove(part);
}

TEST_P(StaticBlackbox, ConditionalRequestsAndHead) {
  auto g = curl({url("/static/hello.txt")});
  const std::string etag = header(g, "etag");
  const std::string lm = header(g, "last-modified");
  ASSERT_FALSE(etag.empty());
  auto nm = curl({"-H", "If-None-Match: " + etag, url("/static/hello.txt")});
  EXPECT_EQ(nm.status, 304);
  EXPECT_EQ(nm.body, "");
  auto ims = curl({"-H", "If-Modified-Since: " + lm, url("/static/hello.txt")});
  EXPECT_EQ(ims.status, 304);
  auto old = curl({"-H", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT", url("/static/hello.txt")});
  EXPECT_EQ(old.status, 200);
  auto other = curl({"-H", "If-None-Match: \"something-else\"", url("/static/hello.txt")});
  EXPECT_EQ(other.status, 200);
  // curl -z: a time condition from the date given.
  auto z = curl({"-z", lm, url("/static/hello.txt")});
  EXPECT_EQ(z.status, 304);
  auto head = curl({"-I", url("/static/data.bin")});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(header(head, "content-length"), "100000");
  EXPECT_EQ(head.body, head.head);  // -I prints the head: nothing follows it
  auto post = curl({"-X", "POST", url("/static/hello.txt")});
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(header(post, "allow"), "GET, HEAD");
  // After all of that, the connection and server still serve.
  EXPECT_EQ(curl({url("/static/hello.txt")}).body, "hello, world\n");
}

TEST_P(StaticBlackbox, TraversalAttemptsAre404) {
  for (const char* path : {"/static/../../../../etc/passwd", "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                           "/static/..%2f..%2f..%2fetc%2fpasswd", "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                           "/static//etc/passwd", "/static/escape.txt", "/static/hello.txt%00.css",
                           "/static/..%5c..%5cetc%5cpasswd", "/static/sub/", "/static/nope"}) {
    auto g = curl({url(path)});
    EXPECT_EQ(g.status, 404) << path;
    EXPECT_EQ(g.body.find("root:"), std::string::npos) << path;
    EXPECT_EQ(g.body.find("secret"), std::string::npos) << path;
  }
}

// 50 MiB through sendfile/splice: the bytes arrive intact and the server's
// peak RSS barely moves (reading the file into memory would add 50 MiB).
TEST_P(StaticBlackbox, A50MiBFileKeepsServerMemoryBounded) {
  constexpr size_t kSize = 50u << 20;
  const std::string big = root_ + "/big.bin";
  {
    std::ofstream out(big, std::ios::binary);
    const std::string block = bytes_of(1 << 20);
    for (size_t n = 0; n < kSize; n += block.size()) out << block;
  }
  // Warm up: one small file through the same path first.
  EXPECT_EQ(curl({url("/static/hello.txt")}).status, 200);
  const size_t before = status_kib(server_->process().pid(), "VmHWM:");
  ASSERT_GT(before, 0u);
  const std::string got = root_ + "/../got-" + std::to_string(getpid());
  auto run = run_command("/usr/bin/curl", {"-sS", "--limit-rate", "200M", "-o", got, url("/static/big.bin")}, 60000ms);
  ASSERT_TRUE(run.ok()) << run.err;
  EXPECT_EQ(fs::file_size(got), kSize);
  EXPECT_TRUE(read_file(got) == read_file(big)) << "the downloaded bytes differ";
  fs::remove(got);
  const size_t after = status_kib(server_->process().pid(), "VmHWM:");
  std::cout << "server peak RSS (VmHWM): " << before << " KiB before, " << after << " KiB after a 50 MiB download\n";
  EXPECT_LT(after - before, 8u * 1024) << "the download raised the peak RSS by " << (after - before) << " KiB";
}

INSTANTIATE_TEST_SUITE_P(Tiers, StaticBlackbox, ::testing::Values("app", "typed"));

}  // namespace
}  // namespace strata::test
