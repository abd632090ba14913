#include "core/precision.hpp"

#include "core/error.hpp"

namespace ln {

Precision parse_precision(const std::string& text) {
  if (auto p = enum_from_name(kPrecisionNames, text)) return *p;
  LN_FAIL("precision is '", text, "'; use one of ", enum_names_text(kPrecisionNames));
}

const char* precision_name(Precision p) { return enum_name(kPrecisionNames, p); }

size_t precision_bytes(Precision p) { return p == Precision::fp32 ? 4 : 2; }

}  // namespace ln
