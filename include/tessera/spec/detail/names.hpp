#pragma once
// What a port, namespace or exit label may be called.
#include <string_view>

namespace tessera::spec::detail {

constexpr bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Dotted identifiers: "x", "options.resources.num_machines". No empty segment.
constexpr bool valid_dotted_name(std::string_view name) {
  if (name.empty()) return false;
  bool segment_empty = true;
  for (char c : name) {
    if (c == '.') {
      if (segment_empty) return false;
      segment_empty = true;
    } else if (is_identifier_char(c)) {
      segment_empty = false;
    } else {
      return false;
    }
  }
  return !segment_empty;
}

constexpr bool valid_identifier(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!is_identifier_char(c)) return false;
  }
  return true;
}

}  // namespace tessera::spec::detail
