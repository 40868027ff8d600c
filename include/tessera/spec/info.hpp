#pragma once
// The run-time description of ports, namespaces and exit codes: plain structs, so a spec's
// run-time part costs the compiler the same whatever the ports are called.
#include <functional>
#include <optional>
#include <string>
#include <typeinfo>

#include "../data/detail/json_config.hpp"

#include "../data/any_data.hpp"

namespace tessera::spec {

enum class direction { input, output };

// What a validator returns: an error message, or nothing when the value is fine.
using validation_message = std::optional<std::string>;

struct port_info {
  std::string name;  // full dotted name
  spec::direction direction = spec::direction::input;
  std::string type_name;                 // "core.int"; "any" for any_data ports
  const std::type_info* type = nullptr;  // nullptr: any data type is accepted
  bool required = true;
  bool non_db = false;  // not recorded as provenance (e.g. a password, a live handle)
  std::string help;
  any_data default_value;  // empty: no default
  std::function<validation_message(const any_data&)> validator;
  any_data (*from_json)(const nlohmann::json&) = nullptr;
};

struct namespace_info {
  std::string name;
  spec::direction direction = spec::direction::input;
  bool dynamic = false;
  bool required = true;
  bool declared = false;  // false: implied by a dotted port name
  std::string help;
};

struct exit_code_info {
  int status = 0;
  std::string label;
  std::string message;
};

}  // namespace tessera::spec
