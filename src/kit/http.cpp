#include "kit/http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <thread>

namespace strata::kit {

namespace {

using Clock = std::chrono::steady_clock;


// poll() one descriptor, retrying on EINTR. Returns revents (0 on timeout).
short poll_one(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    return p.revents;
  }
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

void close_socket(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return v;
  return std::nullopt;
}

size_t Response::header_count(std::string_view name) const {
  size_t c = 0;
  for (const auto& h : headers)
    if (iequals(h.first, name)) ++c;
  return c;
}

bool Response::header_has_token(std::string_view name, std::string_view token) const {
  for (const auto& [n, v] : headers) {
    if (!iequals(n, name)) continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      if (iequals(trim(rest.substr(0, comma)), token)) return true;
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  return false;
}

long long decode_chunked(std::string_view bytes, std::string& body) {
  // Framing lines longer than this are refused rather than waited for, so a
  // peer cannot make a caller buffer without end.
  constexpr size_t kMaxLine = 1024;
  body.clear();
  size_t pos = 0;
  for (;;) {
    const size_t eol = bytes.find("\r\n", pos);
    if (eol == std::string_view::npos) return bytes.size() - pos > kMaxLine ? -1 : 0;
    if (eol - pos > kMaxLine) return -1;
    std::string_view line = bytes.substr(pos, eol - pos);
    line = trim(line.substr(0, line.find(';')));
    uint64_t size = 0;
    auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (line.empty() || ec != std::errc{} || ptr != line.data() + line.size()) return -1;
    pos = eol + 2;
    if (size == 0) {
      // trailer fields, then the final empty line
      for (;;) {
        const size_t t = bytes.find("\r\n", pos);
        if (t == std::string_view::npos) return bytes.size() - pos > kMaxLine ? -1 : 0;
        if (t - pos > kMaxLine) return -1;
        const bool empty = t == pos;
        pos = t + 2;
        if (empty) return static_cast<long long>(pos);
      }
    }
    // Compared without adding to `size`, which may be near 2^64.
    const size_t left = bytes.size() - pos;
    if (size > left || left - size < 2) {
      // What is there already must be chunk data; a CRLF cannot come early.
      return 0;
    }
    if (bytes.substr(pos + size, 2) != "\r\n") return -1;
    body.append(bytes.substr(pos, size));
    pos += size + 2;
  }
}

ParseResult parse_response(std::string_view bytes, bool head_request, bool at_eof, Response& out, size_t& consumed,
                           std::string* error) {
  ParseOptions o;
  o.head_request = head_request;
  o.at_eof = at_eof;
  return parse_response(bytes, o, out, consumed, error);
}

ParseResult parse_response(std::string_view bytes, const ParseOptions& options, Response& out, size_t& consumed,
                           std::string* error) {
  auto invalid = [&](const std::string& why) {
    if (error) *error = why + " in: " + printable(bytes, 300);
    return ParseResult::invalid;
  };
  constexpr std::string_view proto = "HTTP/1.";
  const size_t known = std::min(bytes.size(), proto.size());
  if (bytes.substr(0, known) != proto.substr(0, known)) return invalid("response does not start with HTTP/1.");
  const size_t head_end = bytes.find("\r\n\r\n");
  const std::string too_long = "response head larger than " + std::to_string(options.max_head_bytes) + " bytes";
  if (head_end == std::string_view::npos) {
    if (bytes.size() > options.max_head_bytes) return invalid(too_long);
    return ParseResult::incomplete;  // even at EOF: the caller words what an unfinished head means
  }
  if (head_end + 4 > options.max_head_bytes) return invalid(too_long);
  Response r;
  const std::string_view head = bytes.substr(0, head_end + 2);
  const size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  const size_t sp1 = status_line.find(' ');
  if (sp1 == std::string_view::npos || status_line.size() < sp1 + 4) return invalid("malformed status line");
  r.version = std::string(status_line.substr(0, sp1));
  const std::string_view code = status_line.substr(sp1 + 1, 3);
  for (char c : code)
    if (c < '0' || c > '9') return invalid("malformed status code");
  r.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (status_line.size() > sp1 + 4) {
    if (status_line[sp1 + 4] != ' ') return invalid("malformed status line");
    r.reason = std::string(status_line.substr(sp1 + 5));
  }
  for (size_t pos = line_end + 2; pos < head.size();) {
    const size_t eol = head.find("\r\n", pos);
    const std::string_view h = head.substr(pos, eol - pos);
    pos = eol + 2;
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return invalid("malformed header line");
    r.headers.emplace_back(std::string(h.substr(0, colon)), std::string(trim(h.substr(colon + 1))));
  }
  const size_t body_start = head_end + 4;
  const std::string_view rest = bytes.substr(body_start);
  size_t body_size = 0;
  const bool bodiless =
      options.head_request || (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
  if (bodiless) {
    body_size = 0;
  } else if (r.header_has_token("transfer-encoding", "chunked")) {
    r.chunked = true;
    const long long n = decode_chunked(rest, r.body);
    if (n < 0) return invalid("malformed chunked body");
    if (n == 0) {
      if (options.at_eof) return invalid("connection closed inside a chunked body");
      return ParseResult::incomplete;
    }
    body_size = static_cast<size_t>(n);
  } else if (auto cl = r.header("content-length")) {
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
    if (cl->empty() || ec != std::errc{} || ptr != cl->data() + cl->size()) return invalid("malformed Content-Length");
    if (r.header_count("content-length") > 1) return invalid("several Content-Length headers");
    if (rest.size() < n) {
      if (options.at_eof) return invalid("connection closed inside the body");
      return ParseResult::incomplete;
    }
    body_size = static_cast<size_t>(n);
    r.body = std::string(rest.substr(0, body_size));
  } else if (options.require_length) {
    return invalid("response has neither Content-Length nor chunked encoding (status " + std::to_string(r.status) +
                   ")");
  } else {
    // Delimited by the close of the connection.
    if (!options.at_eof) return ParseResult::incomplete;
    body_size = rest.size();
    r.body = std::string(rest);
  }
  consumed = body_start + body_size;
  r.raw = std::string(bytes.substr(0, consumed));
  out = std::move(r);
  return ParseResult::complete;
}

// ------------------------------------------------------------------ client

Client::Client(uint16_t port, Millis timeout) : Client(port, Options{}, timeout) {}

Client::Client(uint16_t port, const Options& options, Millis timeout) { connect_to(port, options, timeout); }

Client::~Client() { close(); }

void Client::close() { close_socket(fd_); }

void Client::connect_to(uint16_t port, const Options& options, Millis timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_code_ = errno;
    error_ = std::string("socket: ") + strerror(errno);
    return;
  }
  if (options.rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &options.rcvbuf, sizeof options.rcvbuf);
  if (options.nodelay) {
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return;
  if (errno != EINPROGRESS) {
    error_code_ = errno;
    error_ = std::string("connect: ") + strerror(errno);
    return;
  }
  const auto deadline = Clock::now() + timeout;
  if (!(poll_one(fd_, POLLOUT, deadline) & (POLLOUT | POLLERR | POLLHUP))) {
    error_code_ = ETIMEDOUT;
    error_ = "connect: timed out";
    return;
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    error_code_ = err;
    error_ = std::string("connect: ") + strerror(err);
  }
}

uint16_t Client::local_port() const {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (fd_ < 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) return 0;
  return ntohs(a.sin_port);
}

bool Client::send(std::string_view bytes, Millis timeout) {
  if (fd_ < 0) {
    last_error_ = "send: not connected";
    return false;
  }
  const auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!(poll_one(fd_, POLLOUT, deadline) & (POLLOUT | POLLERR | POLLHUP))) {
        last_error_ = "send: timed out with " + std::to_string(bytes.size()) + " bytes unsent";
        return false;
      }
      continue;
    }
    last_error_ = std::string("send: ") + strerror(errno);
    return false;
  }
  return true;
}

bool Client::send_pieces(const std::vector<std::string>& pieces, Millis pause, Millis timeout) {
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(pause);
    if (!send(pieces[i], timeout)) return false;
  }
  return true;
}

std::string Client::take_buffered() {
  std::string s(buffered());
  buf_.clear();
  head_ = 0;
  return s;
}

void Client::consume(size_t n) {
  head_ = std::min(buf_.size(), head_ + n);
  // Drop consumed bytes only once they dominate, so consuming many small
  // responses from a large buffer stays linear.
  if (head_ == buf_.size()) {
    buf_.clear();
    head_ = 0;
  } else if (head_ > 64 * 1024 && head_ > buf_.size() / 2) {
    buf_.erase(0, head_);
    head_ = 0;
  }
}

size_t Client::read_available() {
  size_t total = 0;
  while (fd_ >= 0 && peer_ == Peer::open) {
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      buf_.append(buf, static_cast<size_t>(n));
      total += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) {
      peer_ = Peer::closed;
    } else if (errno == EINTR) {
      continue;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
      peer_ = Peer::reset;
      last_error_ = std::string("recv: ") + strerror(errno);
    }
    break;
  }
  return total;
}

size_t Client::read_once(Millis timeout) {
  if (fd_ < 0 || peer_ != Peer::open) return 0;
  const auto deadline = Clock::now() + timeout;
  if (!(poll_one(fd_, POLLIN, deadline) & (POLLIN | POLLHUP | POLLERR))) return 0;
  return read_available();
}

bool Client::read_at_least(size_t n, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (buffered().size() < n && peer_ == Peer::open) {
    if (read_once(Millis(remaining_ms(deadline))) == 0 && Clock::now() >= deadline) break;
  }
  return buffered().size() >= n;
}

std::optional<Response> Client::read_response(bool head_request, Millis timeout) {
  ParseOptions o;
  o.head_request = head_request;
  return read_response(o, timeout);
}

std::optional<Response> Client::read_response(const ParseOptions& options, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  ParseOptions o = options;
  for (;;) {
    Response r;
    size_t consumed = 0;
    std::string why;
    o.at_eof = peer_ != Peer::open;
    switch (parse_response(buffered(), o, r, consumed, &why)) {
      case ParseResult::complete:
        consume(consumed);
        return r;
      case ParseResult::invalid:
        last_error_ = why;
        return std::nullopt;
      case ParseResult::incomplete: break;
    }
    if (peer_ != Peer::open) {
      last_error_ = std::string(peer_ == Peer::closed ? "peer closed (EOF)" : "connection reset") +
                    " before a complete response; got: " + printable(buffered(), 600);
      return std::nullopt;
    }
    if (Clock::now() >= deadline) {
      last_error_ = "timed out waiting for a response; got: " + printable(buffered(), 600);
      return std::nullopt;
    }
    read_once(Millis(remaining_ms(deadline)));
  }
}

bool Client::wait_for_eof(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!buffered().empty()) {
      last_error_ = "expected EOF, got bytes: " + printable(buffered(), 600);
      return false;
    }
    if (peer_ != Peer::open) return true;
    if (Clock::now() >= deadline) {
      last_error_ = "timed out waiting for the server to close the connection";
      return false;
    }
    read_once(Millis(remaining_ms(deadline)));
  }
}

void Client::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

std::optional<Response> round_trip(uint16_t port, std::string_view request, bool head_request, Millis timeout) {
  Client c(port, timeout);
  if (!c.ok() || !c.send(request, timeout)) return std::nullopt;
  return c.read_response(head_request, timeout);
}

std::string printable(std::string_view bytes, size_t max) {
  std::string s;
  const size_t n = std::min(bytes.size(), max);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '\r': s += "\\r"; break;
      case '\n': s += "\\n"; break;
      case '\t': s += "\\t"; break;
      case '\\': s += "\\\\"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char hex[5];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          s += hex;
        } else {
          s.push_back(static_cast<char>(c));
        }
    }
  }
  if (bytes.size() > max) s += "...(" + std::to_string(bytes.size() - max) + " more bytes)";
  return s;
}

}  // namespace strata::kit
