#pragma once
// SinglefileData ("core.singlefile"): one file whose bytes live in the profile's
// content-addressed file repository; the node holds its name, the BLAKE2b-256 of its bytes
// (the repository key) and its size. The content hash therefore covers the file's content.
// Create one with tessera::repository::add_file (store/repository.hpp).
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <tessera/data/detail/describe_json.hpp>
#include <tessera/data/digest.hpp>
#include <tessera/data/registry.hpp>
#include <tessera/data/traits.hpp>

namespace tessera {

/// A file's content in the repository: its key (hash of the bytes) and size.
struct file_object {
  digest object;
  std::uint64_t size = 0;
  friend auto operator<=>(const file_object&, const file_object&) = default;

  [[nodiscard]] nlohmann::json to_json() const { return {{"object", object.hex()}, {"size", size}}; }
  static file_object from_json(std::string_view type_name, const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("object") || !j["object"].is_string() || !j.contains("size") ||
        !j["size"].is_number_unsigned()) {
      throw detail::expectation_error(type_name, "a file entry {\"object\": hex digest, \"size\": n}", j);
    }
    return {digest::from_hex(j["object"].get<std::string>()), j["size"].get<std::uint64_t>()};
  }
};

/// A relative path inside a node's files: no empty, absolute, "." or ".." components.
inline bool is_safe_relative_path(std::string_view p) {
  if (p.empty() || p.front() == '/') return false;
  std::size_t start = 0;
  while (start <= p.size()) {
    const auto end = p.find('/', start);
    const auto part = p.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return p.find('\0') == std::string_view::npos;
}

struct SinglefileData {
  std::string filename;  // a plain name, no directories
  file_object content;
  friend auto operator<=>(const SinglefileData&, const SinglefileData&) = default;
};

template <>
struct data_traits<SinglefileData> {
  static constexpr std::string_view type_name = "core.singlefile";

  static nlohmann::json serialize(const SinglefileData& v) {
    auto j = v.content.to_json();
    j["filename"] = v.filename;
    return j;
  }
  static SinglefileData deserialize(const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("filename") || !j["filename"].is_string()) {
      throw detail::expectation_error(type_name, "an object with \"filename\", \"object\" and \"size\"", j);
    }
    auto name = j["filename"].get<std::string>();
    if (!is_safe_relative_path(name) || name.find('/') != std::string::npos) {
      throw data_error("core.singlefile: invalid file name '" + name + "' (a plain name without directories)");
    }
    return {std::move(name), file_object::from_json(type_name, j)};
  }
};

namespace detail {
inline const bool singlefile_registered = (register_data_type<SinglefileData>(), true);
}

}  // namespace tessera
