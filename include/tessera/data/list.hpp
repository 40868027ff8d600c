#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include <tessera/data/canonical.hpp>
#include <tessera/data/detail/describe_json.hpp>
#include <tessera/data/error.hpp>
#include <tessera/data/traits.hpp>

namespace tessera {

// A JSON array node ("core.list"). Equality is strict_json_equal, so
// [1] != [1.0], matching the content hash.
struct List {
  nlohmann::json value = nlohmann::json::array();

  List() = default;
  explicit List(nlohmann::json arr) : value(std::move(arr)) {
    if (!value.is_array()) throw detail::expectation_error("core.list", "a JSON array", value);
  }

  // Bounds-checked: nlohmann's const operator[] out of range is undefined behaviour.
  const nlohmann::json& operator[](std::size_t index) const {
    if (index >= value.size()) {
      throw data_error("core.list index " + std::to_string(index) + " out of range (size " +
                       std::to_string(value.size()) + ")");
    }
    return value[index];
  }

  std::size_t size() const noexcept { return value.size(); }
  bool empty() const noexcept { return value.empty(); }

  friend bool operator==(const List& a, const List& b) { return strict_json_equal(a.value, b.value); }
};

template <>
struct data_traits<List> {
  static constexpr std::string_view type_name = "core.list";

  static nlohmann::json serialize(const List& v) { return v.value; }

  static List deserialize(const nlohmann::json& j) {
    if (!j.is_array()) throw detail::expectation_error(type_name, "a JSON array", j);
    return List{j};
  }
};

}  // namespace tessera
