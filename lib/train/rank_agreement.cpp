#include "train/rank_agreement.hpp"

#include <exception>

#include "core/error.hpp"
#include "parallel/root_broadcast.hpp"
#include "parallel/watchdog.hpp"

namespace ln {

std::string root_first(parallel::ProcessGrid& grid, const std::function<std::string()>& on_root) {
  if (grid.world_size() == 1) return on_root();
  std::string text, error;
  std::exception_ptr failure;
  if (grid.is_root()) {
    parallel::SoloPhase alone("rank 0's set-up work (run folder, tokenizer, token cache)");
    try {
      text = on_root();
    } catch (const Error& e) {
      failure = std::current_exception();
      error = e.message();
    } catch (const std::exception& e) {
      failure = std::current_exception();
      error = std::string("rank 0 failed: ") + e.what();
    }
  }
  parallel::broadcast_from_root(error);
  if (!error.empty()) {
    parallel::SymmetricErrorScope symmetric;  // the same error on every rank: printed once
    if (failure) std::rethrow_exception(failure);
    LN_FAIL(error);
  }
  parallel::broadcast_from_root(text);
  return text;
}

bool any_rank(parallel::ProcessGrid& grid, bool flag) {
  if (grid.world_size() == 1) return flag;
  double any = flag ? 1.0 : 0.0;
  grid.sum_world(&any, 1);
  return any > 0;
}

}  // namespace ln
