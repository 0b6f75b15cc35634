// An in-memory loop::Stream: drives a protocol engine without sockets.
//
// Used by the tests (every-split-point parsing, response framing) and by
// anything that wants to measure a tier without the kernel. Bytes are fed
// with feed(); everything the protocol flushes lands in `written`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

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
  int releases = 0;
  bool reading = true;

 private:
  bool closed_ = false;
};

}  // namespace strata::loop
