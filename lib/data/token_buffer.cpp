#include "data/token_buffer.hpp"

#include <algorithm>
#include <atomic>

namespace ln {

namespace {
std::atomic<int64_t> g_live{0}, g_peak{0};
}

TokenBuffer::TokenBuffer(int64_t tokens) : tokens_(static_cast<size_t>(tokens)) {
  const int64_t live = g_live += tokens * 4;
  int64_t peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
  }
}

TokenBuffer::~TokenBuffer() { g_live -= size() * 4; }

int64_t TokenBuffer::live_bytes() { return g_live.load(); }
int64_t TokenBuffer::peak_bytes() { return g_peak.load(); }
void TokenBuffer::reset_peak() { g_peak = g_live.load(); }

}  // namespace ln
