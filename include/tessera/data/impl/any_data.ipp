#pragma once
// Definitions for any_data.hpp.
#include <nlohmann/json.hpp>

#include <tessera/data/any_data.hpp>
#include <tessera/data/dict.hpp>
#include <tessera/data/list.hpp>

namespace tessera {

TESSERA_DECL void any_data::throw_wrong_type(std::string_view expected) const {
  std::string msg = "expected ";
  msg += expected;
  msg += model_ ? ", holds " + std::string(model_->type_name()) : ", holds nothing (empty any_data)";
  throw data_error(msg);
}

TESSERA_DECL nlohmann::json any_data::serialize() const {
  nlohmann::json out;
  checked().write_json(out);
  return out;
}

TESSERA_DECL any_data any_data::infer_from_json(const nlohmann::json& j) {
  using vt = nlohmann::json::value_t;
  switch (j.type()) {
    case vt::number_integer:
    case vt::number_unsigned: return data_traits<Int>::deserialize(j);
    case vt::number_float: return data_traits<Float>::deserialize(j);
    case vt::boolean: return data_traits<Bool>::deserialize(j);
    case vt::string: return data_traits<Str>::deserialize(j);
    case vt::object: return data_traits<Dict>::deserialize(j);
    case vt::array: return data_traits<List>::deserialize(j);
    case vt::null:
    case vt::binary:
    case vt::discarded: break;
  }
  throw data_error("cannot infer a data type from " + detail::describe_json(j));
}
}  // namespace tessera
