// Coroutine frame allocation for the fuzzers: every frame straight from the
// heap instead of parser/task.cpp's per-thread pool.
//
// The pool recycles blocks, so a frame used after it was freed would read a
// live block and AddressSanitizer could not tell; with one heap block per
// frame, a dangling coroutine handle is reported where it is resumed.
#include <cstddef>
#include <new>

#include "parser/task.hpp"

namespace strata {

void* frame_alloc(std::size_t n) { return ::operator new(n); }

void frame_free(void* p, std::size_t) noexcept { ::operator delete(p); }

// Nothing is pooled here, whatever alloc=per-request says.
void set_frame_pooling(bool) {}

}  // namespace strata
