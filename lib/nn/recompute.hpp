#pragma once
// What the training forward keeps for backward (train.recompute):
//  none       every op saves what its vjp reads (fastest, most memory);
//  attention  each attention sub-layer (projections, attention, out_proj) keeps only its input
//             and is recomputed in backward; the MLP runs in token chunks (also recomputed);
//  blocks     each block keeps only its input and is recomputed in backward (with the
//             attention sub-layer and the chunked MLP nested inside, so at most one block's
//             attention is live at a time).
#include <string>

#include "core/enum_names.hpp"

namespace ln {

enum class Recompute { none, attention, blocks };
// The names (train.recompute): the only list of them (core/enum_names.hpp).
inline constexpr EnumName<Recompute> kRecomputeNames[] = {
    {"none", Recompute::none}, {"attention", Recompute::attention}, {"blocks", Recompute::blocks}};

Recompute parse_recompute(const std::string& text);  // ln::Error naming the valid names
const char* recompute_name(Recompute r);

}  // namespace ln
