#pragma once
// FolderData ("core.folder"): a tree of files whose bytes live in the profile's
// content-addressed file repository; the node maps each relative path to its file object.
// Create one with tessera::repository::add_folder (store/repository.hpp).
#include <compare>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <tessera/data/detail/describe_json.hpp>
#include <tessera/data/registry.hpp>
#include <tessera/data/singlefile.hpp>
#include <tessera/data/traits.hpp>

namespace tessera {

struct FolderData {
  std::map<std::string, file_object> files;  // "sub/dir/name" -> content
  friend auto operator<=>(const FolderData&, const FolderData&) = default;
};

template <>
struct data_traits<FolderData> {
  static constexpr std::string_view type_name = "core.folder";

  static nlohmann::json serialize(const FolderData& v) {
    nlohmann::json files = nlohmann::json::object();
    for (const auto& [path, obj] : v.files) files[path] = obj.to_json();
    return {{"files", std::move(files)}};
  }
  static FolderData deserialize(const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("files") || !j["files"].is_object()) {
      throw detail::expectation_error(type_name, "an object {\"files\": {path: file entry}}", j);
    }
    FolderData f;
    for (const auto& [path, entry] : j["files"].items()) {
      if (!is_safe_relative_path(path)) {
        throw data_error("core.folder: invalid relative path '" + path + "'");
      }
      f.files.emplace(path, file_object::from_json(type_name, entry));
    }
    return f;
  }
};

namespace detail {
inline const bool folder_registered = (register_data_type<FolderData>(), true);
}

}  // namespace tessera
