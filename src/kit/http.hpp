// An HTTP/1.1 client for tools and tests: a response parser (Content-Length,
// chunked and close-delimited bodies) and a blocking client over one TCP
// connection to 127.0.0.1.
//
// Contract:
// - parse_response() is a pure function of the bytes it is given: it never
//   reads past them, never trusts a length it has not seen the bytes for,
//   and answers incomplete (more bytes may finish the response) or invalid
//   (no bytes can) at any split point. Limits: a head over
//   ParseOptions::max_head_bytes, a chunk-size line over 1 KiB, or a size
//   that does not fit in 64 bits is invalid rather than waited for.
// - Client owns one non-blocking socket; every call takes a timeout and
//   polls, so a server that hangs fails a caller instead of hanging it.
//   Bytes received past a response stay buffered for the next call.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kit/process.hpp"

namespace strata::kit {

struct Response {
  std::string version;  // "HTTP/1.1"
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // as received (value trimmed)
  std::string body;     // de-chunked when the response was chunked
  std::string raw;      // every byte of the response as received
  bool chunked = false;

  // First value of a header (case-insensitive name), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
  size_t header_count(std::string_view name) const;
  // True if `name` has `token` as one of its comma-separated values (case-insensitive).
  bool header_has_token(std::string_view name, std::string_view token) const;
};

enum class ParseResult { complete, incomplete, invalid };

struct ParseOptions {
  bool head_request = false;  // a response to HEAD: no body, whatever the headers say
  bool at_eof = false;        // the peer has closed: a close-delimited body ends here
  // A response that is neither chunked nor has a Content-Length (and is not
  // 1xx/204/304) is delimited by the close of the connection; with this set
  // it is invalid instead, as a pipelining client cannot frame it.
  bool require_length = false;
  size_t max_head_bytes = 64 * 1024;
};

// Parses one response at the start of `bytes`; `consumed` is its size when
// complete. `error` (when given) says why, when invalid.
ParseResult parse_response(std::string_view bytes, const ParseOptions& options, Response& out, size_t& consumed,
                           std::string* error = nullptr);
// The same with the defaults but for a HEAD request and the peer's close.
ParseResult parse_response(std::string_view bytes, bool head_request, bool at_eof, Response& out, size_t& consumed,
                           std::string* error = nullptr);

// Decodes a chunked body at the start of `bytes` into `body`. Returns the
// framed size (trailers included), 0 when incomplete, -1 when invalid.
long long decode_chunked(std::string_view bytes, std::string& body);

class Client {
 public:
  enum class Peer { open, closed, reset };

  struct Options {
    int rcvbuf = 0;  // SO_RCVBUF before connect; 0 keeps the default
    bool nodelay = true;
  };

  // Connects to 127.0.0.1:port; check ok() (or error()).
  explicit Client(uint16_t port, Millis timeout = kDefaultTimeout);
  Client(uint16_t port, const Options& options, Millis timeout = kDefaultTimeout);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool ok() const { return fd_ >= 0 && error_.empty(); }
  const std::string& error() const { return error_; }
  int error_code() const { return error_code_; }  // errno of a failed connect
  int fd() const { return fd_; }
  uint16_t local_port() const;

  // Writes all of `bytes` (polling while the socket buffer is full). False
  // (with last_error()) on error or timeout.
  bool send(std::string_view bytes, Millis timeout = kDefaultTimeout);
  // Several writes with a pause between them, so the server sees separate reads.
  bool send_pieces(const std::vector<std::string>& pieces, Millis pause = Millis(20), Millis timeout = kDefaultTimeout);

  // One response from the stream. nullopt (with last_error()) on timeout,
  // EOF or a malformed response. `options.at_eof` is set by the client.
  std::optional<Response> read_response(const ParseOptions& options, Millis timeout = kDefaultTimeout);
  std::optional<Response> read_response(bool head_request = false, Millis timeout = kDefaultTimeout);
  // Waits for the peer to close: true if it closed (FIN or RST) before the
  // timeout without sending anything more; bytes that arrive instead stay in
  // buffered() and make it false.
  bool wait_for_eof(Millis timeout = kDefaultTimeout);
  // Reads until `n` bytes are buffered, the peer closes, or timeout.
  bool read_at_least(size_t n, Millis timeout = kDefaultTimeout);
  // One poll()+recv(); appends to the buffer. Returns bytes read (0 when
  // nothing arrived in `timeout`); updates peer().
  size_t read_once(Millis timeout);
  // Non-blocking drain of whatever the kernel holds.
  size_t read_available();

  // Received bytes not yet consumed; valid until the next read or consume.
  std::string_view buffered() const { return std::string_view(buf_).substr(head_); }
  std::string take_buffered();
  void consume(size_t n);
  Peer peer() const { return peer_; }
  const std::string& last_error() const { return last_error_; }

  void shutdown_write();
  void close();

 private:
  void connect_to(uint16_t port, const Options& options, Millis timeout);
  int fd_ = -1;
  int error_code_ = 0;
  std::string error_;
  std::string last_error_;
  std::string buf_;
  size_t head_ = 0;  // bytes of buf_ already consumed (dropped lazily)
  Peer peer_ = Peer::open;
};

// One connection, one request, one response.
std::optional<Response> round_trip(uint16_t port, std::string_view request, bool head_request = false,
                                   Millis timeout = kDefaultTimeout);

// Printable form of raw bytes for error lines ("\r\n" escaped, long runs shortened).
std::string printable(std::string_view bytes, size_t max = 2000);

}  // namespace strata::kit
