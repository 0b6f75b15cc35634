#include "parser/task.hpp"

#include <new>

namespace strata {

namespace {

// Frames are rounded up to 64-byte classes up to 4 KiB; each class keeps a
// free list of blocks once used. Larger frames go straight to the heap.
constexpr std::size_t granule = 64;
constexpr std::size_t classes = 64;

struct FreeBlock { FreeBlock* next; };

struct FramePool {
  FreeBlock* free[classes] = {};
  ~FramePool() {
    for (auto*& head : free) {
      while (head) {
        FreeBlock* b = head;
        head = b->next;
        ::operator delete(b);
      }
    }
  }
};

thread_local FramePool pool;

// Classes below this are recycled on free; the rest go back to the heap.
// A variable, not the constant, so that alloc=per-request can turn the
// recycling off at start-up (set_frame_pooling) without a branch of its
// own: the comparison is there anyway. Allocation always rounds a small
// frame up to its class, so a block allocated while pooling was off may
// safely be pooled once it is on again.
std::size_t g_pooled_classes = classes;

std::size_t class_of(std::size_t n) { return (n + granule - 1) / granule - 1; }

}  // namespace

void* frame_alloc(std::size_t n) {
  const std::size_t c = class_of(n);
  if (c >= classes) return ::operator new(n);
  if (FreeBlock* b = pool.free[c]) {
    pool.free[c] = b->next;
    return b;
  }
  return ::operator new((c + 1) * granule);
}

void frame_free(void* p, std::size_t n) noexcept {
  const std::size_t c = class_of(n);
  if (c >= g_pooled_classes) return ::operator delete(p);
  auto* b = static_cast<FreeBlock*>(p);
  b->next = pool.free[c];
  pool.free[c] = b;
}

void set_frame_pooling(bool on) { g_pooled_classes = on ? classes : 0; }

}  // namespace strata
