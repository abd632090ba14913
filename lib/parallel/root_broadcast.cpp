#include "parallel/root_broadcast.hpp"

#include <mpi.h>

#include "core/error.hpp"
#include "parallel/mpi_session.hpp"
#include "parallel/watchdog.hpp"

namespace ln::parallel {

void broadcast_from_root(std::string& text) {
  if (!mpi_active() || world_size() == 1) return;
  WaitScope wait("rank 0's word (a broadcast)");
  int n = static_cast<int>(text.size());
  LN_CHECK(MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD) == MPI_SUCCESS,
           "[parallel] MPI_Bcast of a length failed");
  text.resize(static_cast<size_t>(n));
  if (n > 0) {
    LN_CHECK(MPI_Bcast(text.data(), n, MPI_CHAR, 0, MPI_COMM_WORLD) == MPI_SUCCESS,
             "[parallel] MPI_Bcast of ", n, " bytes failed");
  }
}

}  // namespace ln::parallel
