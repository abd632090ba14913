#pragma once
// The program's version, written once: project(... VERSION x.y.z) in CMakeLists.txt, passed to
// this layer's build as LONGNET_VERSION. `longnet --version` prints it and metrics.jsonl's run
// row records it.
namespace ln {

extern const char* const kLongnetVersion;  // "0.1.0"

}  // namespace ln
