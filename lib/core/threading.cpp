#include "core/threading.hpp"

#include <omp.h>
#include <sched.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <mutex>

namespace ln {

namespace {
std::mutex g_mutex;
std::unique_ptr<tbb::global_control> g_tbb_limit;
int g_threads = 0;
}  // namespace

void configure_openmp_environment(int argc, char** argv) {
  (void)argc;
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  // Exec the binary by its real path: the kernel names the process after the file it execs,
  // so exec'ing "/proc/self/exe" itself would show up as "exe" in ps and top.
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    execv(self, argv);
  }
  execv("/proc/self/exe", argv);
  // exec failed (no /proc?): carry on with libgomp's default spinning workers.
}

int hardware_threads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

void set_threads(int n) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (n <= 0) n = hardware_threads();
  g_tbb_limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                      static_cast<size_t>(n));
  omp_set_num_threads(n);
  g_threads = n;
}

int threads() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_threads > 0 ? g_threads : hardware_threads();
}

const char* openmp_wait_policy() {
  const char* p = std::getenv("OMP_WAIT_POLICY");
  return p ? p : "default";
}

}  // namespace ln
