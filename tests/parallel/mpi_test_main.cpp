// Entry point of the distributed tests: every rank of the mpirun job runs every test case (the
// cases create their own process grids); the job fails when any rank fails. A rank prints its
// own failures, tagged by doctest with the rank's output. One thread per rank.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <mpi.h>

#include <cstring>
#include <iostream>

#include "core/memory_stats.hpp"
#include "core/threading.hpp"
#include "parallel/mpi_session.hpp"

int main(int argc, char** argv) {
  ln::configure_openmp_environment(argc, argv);
  ln::tune_allocator_for_large_tensors();
  ln::parallel::MpiSession mpi;
  ln::set_threads(1);
  doctest::Context context;
  // --threads=1 is ours (run_mpi.sh passes it); the rest goes to doctest.
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i)
    if (std::strncmp(argv[i], "--threads", 9) != 0) args.push_back(argv[i]);
  context.applyCommandLine(static_cast<int>(args.size()), args.data());
  if (ln::parallel::world_rank() != 0) context.setOption("no-intro", true);
  int failed = context.run() != 0 ? 1 : 0;
  if (ln::parallel::mpi_active()) MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (ln::parallel::world_rank() == 0)
    std::cout << "distributed tests on " << ln::parallel::world_size()
              << " rank(s): " << (failed ? "FAILED" : "passed") << "\n";
  return failed;
}
