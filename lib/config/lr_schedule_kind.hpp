#pragma once
// The learning-rate schedule's shape (train.schedule; train/lr_schedule.hpp gives the formulas).
// Declared here, not in lib/train, because the config schema validates it from this table, and
// lib/config sits below lib/train.
#include "core/enum_names.hpp"

namespace ln {

enum class LrScheduleKind { cosine, linear, polynomial, constant };
// The names: the only list of them (core/enum_names.hpp), the default first.
inline constexpr EnumName<LrScheduleKind> kLrScheduleKindNames[] = {
    {"cosine", LrScheduleKind::cosine},
    {"linear", LrScheduleKind::linear},
    {"polynomial", LrScheduleKind::polynomial},
    {"constant", LrScheduleKind::constant}};

}  // namespace ln
