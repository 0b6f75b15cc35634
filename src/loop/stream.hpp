// The boundary between a protocol engine and the transport beneath it.
//
// A protocol (tier 1's raw framing, tier 2's HTTP/1.1) is written against
// Stream only, so the same engine runs over a libuv TCP connection in the
// server and over an in-memory stream in tests and in the profiler.
//
// Ownership: the Stream owns both buffers. The protocol may keep views into
// `in` until it calls `in.consume()`/`compact()` past them; the transport
// never moves or frees the read bytes behind the protocol's back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include <sys/socket.h>

namespace strata::loop {

// A fixed-capacity byte buffer: received bytes are appended at the end and
// consumed from the front. It never reallocates, so views into it stay valid
// until the protocol itself compacts.
class ReadBuffer {
 public:
  explicit ReadBuffer(size_t capacity) : data_(new char[capacity]), cap_(capacity) {}

  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  size_t free_space() const { return cap_ - size_; }
  char* tail() { return data_.get() + size_; }
  std::string_view view() const { return {data_.get(), size_}; }

  // The transport wrote `n` bytes at tail().
  void commit(size_t n) { size_ += n; }
  // Drops the first `n` bytes and moves the rest to the front. Invalidates
  // every view into the buffer; callers do it only between requests.
  void consume(size_t n) {
    if (n >= size_) { size_ = 0; return; }
    std::memmove(data_.get(), data_.get() + n, size_ - n);
    size_ -= n;
  }
  // Removes bytes [from, from + n), keeping what lies before and after.
  void erase(size_t from, size_t n) {
    std::memmove(data_.get() + from, data_.get() + from + n, size_ - from - n);
    size_ -= n;
  }
  // Appends bytes (used by in-memory streams).
  size_t append(std::string_view s) {
    size_t n = std::min(s.size(), free_space());
    std::memcpy(tail(), s.data(), n);
    size_ += n;
    return n;
  }

 private:
  std::unique_ptr<char[]> data_;
  size_t cap_;
  size_t size_ = 0;
};

class Stream {
 public:
  explicit Stream(size_t read_capacity) : in(read_capacity) {
    out_[0].reserve(4096);
    out_[1].reserve(4096);
  }
  virtual ~Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  ReadBuffer in;

  // Output not yet handed to the transport. Protocols append whole responses
  // here; flush() sends everything appended so far as one write.
  std::string& out() { return out_[pending_]; }

  // Starts sending out(), unless a write is in flight: then it is sent when
  // that write completes. Never blocks and never calls back synchronously.
  virtual void flush() = 0;
  // Closes now; idempotent. Output not yet written is dropped.
  virtual void close() = 0;
  // Stops reading, sends everything queued, then closes: how a response that
  // ends the connection (an error, `Connection: close`) is delivered.
  virtual void finish() = 0;
  // The protocol's application code no longer refers to this stream; a
  // stream that is already closed may now be freed. Must be the caller's
  // last use of the stream.
  virtual void release() = 0;
  // Stops or restarts delivery of received bytes (backpressure).
  virtual void set_reading(bool on) = 0;
  // True once close() or finish() was called: the protocol must take no
  // more input and start no more responses.
  virtual bool closed() const = 0;

  // Sends `count` bytes of the open file `fd` from `offset`, after every
  // byte queued so far (out() is flushed first) and before anything
  // appended to out() later, without copying them through user memory
  // where the transport can (sendfile, splice). Returns true when nothing
  // more will happen for it: every byte was written, or the stream is
  // closed. Returns false when the rest goes out later: then on_drained
  // (all written) or the close (on_closed) follows, and until then `fd`
  // must stay open. Not to be called while the output is held
  // (hold_output): the held bytes could not go first. A file shorter than
  // `count`, or a read error, closes the stream: the response's declared
  // length can no longer be met. The send timeout counts file bytes like
  // any others. Sockets may raise SIGPIPE here (sendfile has no
  // MSG_NOSIGNAL): servers ignore it.
  virtual bool send_file(int fd, uint64_t offset, uint64_t count) = 0;

  // Bytes accepted by flush() or waiting in out() and not yet written
  // (a file's bytes are not counted).
  size_t queued_bytes() const { return out_[0].size() + out_[1].size(); }

  // While held, flush() sends nothing: out() ends in a response head whose
  // framing the protocol does not know yet, and half a head must never
  // leave (a write completing meanwhile would otherwise send it).
  void hold_output(bool on) { hold_ = on; }

  sockaddr_storage peer{};
  sockaddr_storage local{};

 protected:
  // Double buffering: one string may be in flight while the other collects
  // the next responses; both keep their capacity, so steady state allocates
  // nothing.
  std::string out_[2];
  int pending_ = 0;
  bool hold_ = false;
};

}  // namespace strata::loop
