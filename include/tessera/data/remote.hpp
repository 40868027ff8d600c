#pragma once
// RemoteData ("core.remote"): a folder that stays on a computer (a calcjob's working
// directory): the computer's label and the absolute path there. Nothing is copied; the
// node records where the data is.
#include <compare>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <tessera/data/detail/describe_json.hpp>
#include <tessera/data/registry.hpp>
#include <tessera/data/traits.hpp>

namespace tessera {

struct RemoteData {
  std::string computer;     // label of a computer in the store
  std::string remote_path;  // absolute path on that computer
  friend auto operator<=>(const RemoteData&, const RemoteData&) = default;
};

template <>
struct data_traits<RemoteData> {
  static constexpr std::string_view type_name = "core.remote";

  static nlohmann::json serialize(const RemoteData& v) {
    return {{"computer", v.computer}, {"remote_path", v.remote_path}};
  }
  static RemoteData deserialize(const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("computer") || !j["computer"].is_string() || !j.contains("remote_path") ||
        !j["remote_path"].is_string()) {
      throw detail::expectation_error(type_name, "an object {\"computer\": label, \"remote_path\": path}", j);
    }
    RemoteData r{j["computer"].get<std::string>(), j["remote_path"].get<std::string>()};
    if (r.computer.empty()) throw data_error("core.remote: the computer label is empty");
    if (r.remote_path.empty() || r.remote_path.front() != '/') {
      throw data_error("core.remote: remote_path '" + r.remote_path + "' is not absolute");
    }
    return r;
  }
};

namespace detail {
inline const bool remote_registered = (register_data_type<RemoteData>(), true);
}

}  // namespace tessera
