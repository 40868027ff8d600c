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

// A JSON object node ("core.dict"). Equality is strict_json_equal, so
// {"a": 1} != {"a": 1.0}, matching the content hash.
struct Dict {
  nlohmann::json value = nlohmann::json::object();

  Dict() = default;
  explicit Dict(nlohmann::json obj) : value(std::move(obj)) {
    if (!value.is_object()) throw detail::expectation_error("core.dict", "a JSON object", value);
  }

  // Throws data_error naming the key instead of returning null (nlohmann's
  // const operator[] on a missing key is undefined behaviour).
  const nlohmann::json& operator[](std::string_view key) const {
    const auto it = value.find(key);
    if (it == value.end()) {
      throw data_error("core.dict has no key '" + std::string(key) + "'");
    }
    return *it;
  }

  bool contains(std::string_view key) const { return value.find(key) != value.end(); }
  std::size_t size() const noexcept { return value.size(); }
  bool empty() const noexcept { return value.empty(); }

  friend bool operator==(const Dict& a, const Dict& b) { return strict_json_equal(a.value, b.value); }
};

template <>
struct data_traits<Dict> {
  static constexpr std::string_view type_name = "core.dict";

  static nlohmann::json serialize(const Dict& v) { return v.value; }

  static Dict deserialize(const nlohmann::json& j) {
    if (!j.is_object()) throw detail::expectation_error(type_name, "a JSON object", j);
    return Dict{j};
  }
};

}  // namespace tessera
