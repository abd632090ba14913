// Shared test entry point: same thread and OpenMP set-up as the longnet binary.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "core/memory_stats.hpp"
#include "core/threading.hpp"

int main(int argc, char** argv) {
  ln::configure_openmp_environment(argc, argv);
  ln::tune_allocator_for_large_tensors();
  ln::set_threads(0);
  doctest::Context context(argc, argv);
  return context.run();
}
