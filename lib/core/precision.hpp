#pragma once
// Precision: the one enum for how numbers are held and multiplied, with its one name table.
//   fp32  IEEE single precision;
//   bf16  bfloat16 (the top 16 bits of an fp32), always accumulated in fp32.
// It is a tensor's storage type (core/tensor.hpp), the attention kernel's operand precision
// (kernels/attention/attention_kernel.hpp), the model's product precision (ops/precision.hpp,
// train.precision) and the --precision of eval, generate and the benches.
#include <cstdint>
#include <string>

#include "core/enum_names.hpp"

namespace ln {

enum class Precision : uint8_t { fp32, bf16 };
// The names (train.precision, --precision, --dtype): the only list of them (core/enum_names.hpp).
inline constexpr EnumName<Precision> kPrecisionNames[] = {{"fp32", Precision::fp32},
                                                          {"bf16", Precision::bf16}};

Precision parse_precision(const std::string& text);  // "fp32" | "bf16", else ln::Error naming both
const char* precision_name(Precision p);
size_t precision_bytes(Precision p);  // bytes per element: 4 or 2

}  // namespace ln
