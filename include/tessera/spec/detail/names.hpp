#pragma once
// What a port, namespace or exit label may be called.
#include <cstddef>
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

// Plain loops instead of std::string_view::find: GCC 12 cannot evaluate char_traits::find
// (__builtin_memchr) in a constant expression when UBSan is on.
constexpr std::size_t find_text(std::string_view text, std::string_view needle, std::size_t from = 0) {
  for (std::size_t i = from; i + needle.size() <= text.size(); ++i) {
    if (text.substr(i, needle.size()) == needle) return i;
  }
  return std::string_view::npos;
}

constexpr std::size_t rfind_text(std::string_view text, std::string_view needle) {
  for (std::size_t i = text.size() >= needle.size() ? text.size() - needle.size() + 1 : 0; i-- > 0;) {
    if (text.substr(i, needle.size()) == needle) return i;
  }
  return std::string_view::npos;
}

constexpr std::size_t find_any(std::string_view text, std::string_view chars, std::size_t from = 0) {
  for (std::size_t i = from; i < text.size(); ++i) {
    for (char c : chars) {
      if (text[i] == c) return i;
    }
  }
  return std::string_view::npos;
}

// "options" for "options.resources.num_machines".
constexpr std::string_view first_segment(std::string_view dotted) {
  return dotted.substr(0, find_any(dotted, "."));
}

}  // namespace tessera::spec::detail
