#pragma once
// MPI's lifetime for one process. longnet starts MPI only when a launcher (mpirun) started it:
// run plainly, it is a world of one and never touches MPI, exactly as before lib/parallel existed.
// Create the session after the OpenMP re-exec (core/threading): exec keeps the environment
// mpirun gave the process, and MPI_Init must run in the final process image.
#include <cstdint>

namespace ln::parallel {

class MpiSession {
 public:
  MpiSession();   // MPI_Init_thread (funneled) when launched by mpirun
  ~MpiSession();  // MPI_Finalize
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

// True when this process was started by an MPI launcher (OpenMPI's or a PMI one).
bool launched_by_mpirun();
// True between MpiSession's init and finalize.
bool mpi_active();
int64_t world_rank();  // 0 without MPI
int64_t world_size();  // 1 without MPI

// Ends every process of the job with `code` after this rank failed alone (the others may be
// blocked in a collective and would wait forever). Does nothing without MPI or with one rank.
void abort_world(int code);

}  // namespace ln::parallel
