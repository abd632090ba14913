#pragma once
// Rank 0's text to every rank of the world (set-up decisions that rank 0 alone may take, e.g.
// which checkpoint a distributed run resumes, or the error that stopped it). Without MPI (a
// world of one) it does nothing.
#include <string>

namespace ln::parallel {

// Collective over the world: every rank calls it; afterwards `text` is rank 0's on every rank.
void broadcast_from_root(std::string& text);

}  // namespace ln::parallel
