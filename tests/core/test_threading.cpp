// Threading set-up: the OpenMP re-exec keeps the process's name.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/temp_dir.hpp"

TEST_CASE("after the OMP_WAIT_POLICY re-exec the process keeps its binary's name (not 'exe')") {
  // main() of every test binary runs configure_openmp_environment, which re-executes the
  // binary with OMP_WAIT_POLICY=PASSIVE unless it was set: ps/top show /proc/self/comm.
  CHECK(std::getenv("OMP_WAIT_POLICY") != nullptr);
  std::string comm = ln::test::read_file("/proc/self/comm");
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  const std::string binary = std::filesystem::read_symlink("/proc/self/exe").filename().string();
  CHECK(comm != "exe");
  CHECK(comm == binary.substr(0, 15));  // the kernel keeps 15 characters
}
