#pragma once
// Codes are data nodes (so they are inputs of calcjobs, as in AiiDA's Fig. S1 query):
//   InstalledCode ("core.code.installed"): an executable already on a computer;
//   PortableCode  ("core.code.portable"):  a local executable (with its folder) uploaded
//                                          to the computer for each run; its files live in
//                                          the file repository.
// The node's label is the code's label ("my-code").
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/data/detail/describe_json.hpp>
#include <tessera/data/folder.hpp>
#include <tessera/data/registry.hpp>
#include <tessera/data/traits.hpp>
#include <tessera/store/error.hpp>
#include <tessera/store/node.hpp>
#include <tessera/store/reader.hpp>
#include <tessera/store/repository.hpp>
#include <tessera/store/write_tx.hpp>

namespace tessera {

struct InstalledCode {
  std::string computer;                 // label of a computer in the store
  std::string filepath_executable;      // absolute path on that computer
  std::string default_calc_job_plugin;  // optional, e.g. "core.arithmetic.add"
  std::string prepend_text;             // lines run before the executable
  std::string append_text;              // lines run after it
  friend auto operator<=>(const InstalledCode&, const InstalledCode&) = default;
};

struct PortableCode {
  FolderData files;                     // uploaded to the working directory
  std::string filepath_executable;      // relative path inside files
  std::string default_calc_job_plugin;
  friend auto operator<=>(const PortableCode&, const PortableCode&) = default;
};

namespace store_detail {
inline std::string string_field(std::string_view type, const nlohmann::json& j, const char* key, bool required) {
  if (!j.contains(key)) {
    if (required) throw detail::expectation_error(type, fmt::format("an object with \"{}\"", key), j);
    return {};
  }
  if (!j[key].is_string()) throw detail::expectation_error(type, fmt::format("\"{}\" as a string", key), j);
  return j[key].get<std::string>();
}
}  // namespace store_detail

template <>
struct data_traits<InstalledCode> {
  static constexpr std::string_view type_name = "core.code.installed";
  static nlohmann::json serialize(const InstalledCode& c) {
    return {{"computer", c.computer},
            {"filepath_executable", c.filepath_executable},
            {"default_calc_job_plugin", c.default_calc_job_plugin},
            {"prepend_text", c.prepend_text},
            {"append_text", c.append_text}};
  }
  static InstalledCode deserialize(const nlohmann::json& j) {
    if (!j.is_object()) throw detail::expectation_error(type_name, "an object", j);
    using store_detail::string_field;
    return {string_field(type_name, j, "computer", true), string_field(type_name, j, "filepath_executable", true),
            string_field(type_name, j, "default_calc_job_plugin", false), string_field(type_name, j, "prepend_text", false),
            string_field(type_name, j, "append_text", false)};
  }
};

template <>
struct data_traits<PortableCode> {
  static constexpr std::string_view type_name = "core.code.portable";
  static nlohmann::json serialize(const PortableCode& c) {
    auto j = data_traits<FolderData>::serialize(c.files);
    j["filepath_executable"] = c.filepath_executable;
    j["default_calc_job_plugin"] = c.default_calc_job_plugin;
    return j;
  }
  static PortableCode deserialize(const nlohmann::json& j) {
    using store_detail::string_field;
    return {data_traits<FolderData>::deserialize(j), string_field(type_name, j, "filepath_executable", true),
            string_field(type_name, j, "default_calc_job_plugin", false)};
  }
};

namespace detail {
inline const bool codes_registered = (register_data_type<InstalledCode>(), register_data_type<PortableCode>(), true);
}

/// Stores an installed code; its computer must exist. Throws store_error naming the problem.
inline node_ref add_code(write_tx& tx, const InstalledCode& c, std::string label, std::string description = {}) {
  if (label.empty()) throw store_error("a code needs a label");
  if (!tx.find_computer(c.computer)) {
    throw not_found_error(fmt::format("code '{}' refers to computer '{}', which does not exist", label, c.computer));
  }
  if (c.filepath_executable.empty() || c.filepath_executable.front() != '/') {
    throw store_error(fmt::format("code '{}': executable path '{}' on computer '{}' is not absolute", label,
                                  c.filepath_executable, c.computer));
  }
  return tx.add_data(c, std::move(label), std::move(description));
}

/// Stores a portable code; its executable must be one of its files, present in `repo`.
inline node_ref add_code(write_tx& tx, const repository& repo, const PortableCode& c, std::string label,
                         std::string description = {}) {
  if (label.empty()) throw store_error("a code needs a label");
  if (!c.files.files.contains(c.filepath_executable)) {
    throw store_error(fmt::format("code '{}': executable '{}' is not among its files", label, c.filepath_executable));
  }
  for (const auto& [path, obj] : c.files.files) {
    if (!repo.contains(obj.object)) {
      throw repository_error(fmt::format("code '{}': file '{}' (object {}) is not in the repository", label, path,
                                         obj.object.hex()));
    }
  }
  return tx.add_data(c, std::move(label), std::move(description));
}

/// The pk of the code labelled `label` (installed or portable), if any.
inline std::optional<std::int64_t> find_code(store_reader& r, std::string_view label) {
  auto st = r.connection().cached(
      "SELECT pk FROM node WHERE kind = 0 AND type IN ('core.code.installed', 'core.code.portable') AND label = ? "
      "ORDER BY pk LIMIT 1");
  st->bind(1, label);
  if (!st->step()) return std::nullopt;
  return st->int64(0);
}

}  // namespace tessera
