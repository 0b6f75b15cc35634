// An in-memory loop::Stream: drives a protocol engine without sockets.
//
// Used by the tests (every-split-point parsing, response framing) and by
// anything that wants to measure a tier without the kernel. Bytes are fed
// with feed(); everything the protocol flushes lands in `written`, file
// bodies included (read with pread, so tests see their bytes in order).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <unistd.h>

#include "loop/stream.hpp"

namespace strata::loop {

class MemoryStream final : public Stream {
 public:
  explicit MemoryStream(size_t read_capacity) : Stream(read_capacity) {}

  void flush() override {
    if (out_[pending_].empty() || closed_ || hold_) return;
    ++flushes;
    written.append(out_[pending_]);
    out_[pending_].clear();
  }
  bool send_file(int fd, uint64_t offset, uint64_t count) override {
    flush();
    if (closed_) return true;
    ++files;
    char buf[16384];
    while (count > 0) {
      const size_t want = count < sizeof buf ? static_cast<size_t>(count) : sizeof buf;
      const ssize_t n = ::pread(fd, buf, want, static_cast<off_t>(offset));
      if (n <= 0) {
        // A short file ends the stream, as on a socket.
        closed_ = true;
        return true;
      }
      written.append(buf, static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
      count -= static_cast<uint64_t>(n);
    }
    return true;
  }
  void close() override { closed_ = true; }
  void finish() override {
    flush();
    closed_ = true;
  }
  void set_reading(bool on) override { reading = on; }
  bool closed() const override { return closed_; }
  void release() override { ++releases; }

  // Appends as much of `bytes` as fits the read buffer; returns how much.
  size_t feed(std::string_view bytes) { return in.append(bytes); }

  std::string written;
  int flushes = 0;
  int files = 0;  // send_file calls that wrote
  int releases = 0;
  bool reading = true;

 private:
  bool closed_ = false;
};

}  // namespace strata::loop
