#include "core/version.hpp"

#ifndef LONGNET_VERSION
#error "LONGNET_VERSION is set by CMakeLists.txt (project VERSION)"
#endif

namespace ln {

const char* const kLongnetVersion = LONGNET_VERSION;

}  // namespace ln
