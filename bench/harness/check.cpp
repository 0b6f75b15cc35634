#include "harness/check.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include "common/text.hpp"

namespace strata::bench {

namespace {

using text::iequals;
constexpr auto trim = text::trim_ows;

// Printable and short, for an error line.
std::string excerpt(std::string_view s, size_t max = 80) {
  std::string out;
  for (char c : s.substr(0, max)) {
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) out += '?';
    else out += c;
  }
  if (s.size() > max) out += "...";
  return out;
}

// De-chunks a chunked body at the start of `bytes`: bytes taken, 0 for more, -1 on error.
long parse_chunked(std::string_view bytes, std::string& body, std::string& error) {
  size_t pos = 0;
  body.clear();
  for (;;) {
    const size_t eol = bytes.find("\r\n", pos);
    if (eol == std::string_view::npos) return 0;
    std::string_view size_line = bytes.substr(pos, eol - pos);
    size_line = size_line.substr(0, size_line.find(';'));
    size_t size = 0;
    auto [p, ec] = std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
    if (ec != std::errc{} || size_line.empty()) {
      error = "bad chunk size line '" + excerpt(size_line) + "'";
      return -1;
    }
    pos = eol + 2;
    if (size == 0) {
      // Trailers, then an empty line.
      for (;;) {
        const size_t t = bytes.find("\r\n", pos);
        if (t == std::string_view::npos) return 0;
        const bool empty = t == pos;
        pos = t + 2;
        if (empty) return static_cast<long>(pos);
      }
    }
    if (bytes.size() < pos + size + 2) return 0;
    body.append(bytes.substr(pos, size));
    pos += size;
    if (bytes.substr(pos, 2) != "\r\n") {
      error = "chunk not followed by CRLF";
      return -1;
    }
    pos += 2;
  }
}

}  // namespace

std::string request_bytes(const Route& route, std::string_view host_port) {
  std::string r = route.method + " " + route.target + " HTTP/1.1\r\nHost: ";
  r.append(host_port);
  r += "\r\n";
  if (!route.content_type.empty()) r += "Content-Type: " + route.content_type + "\r\n";
  if (!route.body.empty() || route.method == "POST")
    r += "Content-Length: " + std::to_string(route.body.size()) + "\r\n";
  r += "\r\n";
  r += route.body;
  return r;
}

long parse_response(std::string_view bytes, Response& out, std::string& error) {
  const size_t head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (bytes.size() > 65536) {
      error = "response head larger than 64 KiB";
      return -1;
    }
    return 0;
  }
  const std::string_view head = bytes.substr(0, head_end);
  const size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (status_line.substr(0, 7) != "HTTP/1." || status_line.size() < 12 || status_line[8] != ' ') {
    error = "not an HTTP/1.x status line: '" + excerpt(status_line) + "'";
    return -1;
  }
  int status = 0;
  auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
  if (ec != std::errc{} || p != status_line.data() + 12) {
    error = "bad status line '" + excerpt(status_line) + "'";
    return -1;
  }
  out.status = status;
  out.reason = std::string(trim(status_line.substr(12)));

  bool chunked = false, has_length = false;
  size_t length = 0;
  size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = head.size();
    const std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      error = "bad header line '" + excerpt(line) + "'";
      return -1;
    }
    const std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      auto [q, e] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (e != std::errc{} || q != value.data() + value.size() || value.empty()) {
        error = "bad Content-Length '" + excerpt(value) + "'";
        return -1;
      }
      has_length = true;
    } else if (iequals(name, "transfer-encoding") && iequals(value, "chunked")) {
      chunked = true;
    }
  }
  const size_t body_start = head_end + 4;
  if (chunked) {
    long n = parse_chunked(bytes.substr(body_start), out.body, error);
    return n <= 0 ? n : static_cast<long>(body_start) + n;
  }
  if (!has_length) {
    error = "response has neither Content-Length nor chunked encoding (status " + std::to_string(status) + ")";
    return -1;
  }
  if (bytes.size() < body_start + length) return 0;
  out.body = std::string(bytes.substr(body_start, length));
  return static_cast<long>(body_start + length);
}

std::string check_answer(uint16_t port, const Route& route, int pipeline_depth, Millis timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return "cannot connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno);

  const std::string one = request_bytes(route, "127.0.0.1:" + std::to_string(port));
  std::string batch;
  for (int i = 0; i < pipeline_depth; ++i) batch += one;
  const std::string what = route.method + " " + route.target;

  for (int round = 0; round < 2; ++round) {
    for (size_t sent = 0; sent < batch.size();) {
      ssize_t n = send(fd, batch.data() + sent, batch.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return what + ": send failed: " + std::strerror(errno);
      sent += static_cast<size_t>(n);
    }
    std::string in;
    int answered = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (answered < pipeline_depth) {
      Response r;
      std::string error;
      const long used = parse_response(in, r, error);
      if (used < 0) return what + ": " + error;
      if (used > 0) {
        if (r.status != 200 || r.body != route.expected_body)
          return what + " answered " + std::to_string(r.status) + " '" + excerpt(r.body) + "', expected 200 '" +
                 excerpt(route.expected_body) + "'";
        in.erase(0, static_cast<size_t>(used));
        ++answered;
        continue;
      }
      if (std::chrono::steady_clock::now() >= deadline)
        return what + ": no complete answer within " + std::to_string(timeout.count()) + " ms";
      char buf[16384];
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return what + ": no complete answer within " + std::to_string(timeout.count()) + " ms";
      if (n < 0) return what + ": " + std::strerror(errno);
      if (n == 0)
        return what + ": connection closed after " + std::to_string(answered) + " of " +
               std::to_string(pipeline_depth) + " answers" + (round ? " (no keep-alive?)" : "");
      in.append(buf, static_cast<size_t>(n));
    }
    if (!in.empty()) return what + ": " + std::to_string(in.size()) + " unexpected bytes after the answers";
  }
  return {};
}

}  // namespace strata::bench
