#include "parallel/mpi_session.hpp"

#include <mpi.h>

#include <cstdlib>

#include "core/error.hpp"
#include "parallel/watchdog.hpp"

namespace ln::parallel {

namespace {
bool g_active = false;
}

bool launched_by_mpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

MpiSession::MpiSession() {
  if (!launched_by_mpirun()) return;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return;
  int provided = 0;
  // The main thread communicates; the watchdog thread (watchdog.hpp) pings, drives progress
  // and aborts, concurrently: MPI_THREAD_MULTIPLE. TBB workers only compute.
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
  // Errors come back as codes we turn into ln::Error instead of aborting inside MPI.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  g_active = true;
  // Without MPI_THREAD_MULTIPLE the deadlines are checked inside the main thread's waits only.
  if (world_size() > 1) start_watchdog(provided == MPI_THREAD_MULTIPLE);
}

MpiSession::~MpiSession() {
  if (!g_active) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) {
    if (world_size() > 1) {
      // MPI_Finalize waits for every rank without a deadline: meet them here first, with one.
      WaitScope wait("every rank to finish (MPI_Finalize)");
      MPI_Barrier(MPI_COMM_WORLD);
    }
    stop_watchdog();
    MPI_Finalize();
  }
  g_active = false;
}

bool mpi_active() { return g_active; }

int64_t world_rank() {
  if (!g_active) return 0;
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int64_t world_size() {
  if (!g_active) return 1;
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

void abort_world(int code) {
  if (g_active && world_size() > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

}  // namespace ln::parallel
