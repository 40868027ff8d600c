#pragma once
// tessera's version: recorded on every process node it runs (store/node.hpp: origin).
#include <string_view>

namespace tessera {

inline constexpr int version_major = 0;
inline constexpr int version_minor = 1;
inline constexpr int version_patch = 0;
inline constexpr std::string_view version = "0.1.0";  // kept equal to project(VERSION) in CMakeLists.txt

}  // namespace tessera
