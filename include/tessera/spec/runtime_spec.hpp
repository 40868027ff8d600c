#pragma once
// The run-time view of a spec: what only run time can check (a validator, a required input
// left out by a caller building inputs from JSON, the contents of a dynamic namespace), and
// rendering to JSON and Markdown so every process documents itself.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include "../data/detail/json_config.hpp"

#include "detail/config.hpp"
#include "../data/any_data.hpp"
#include "../data/error.hpp"
#include "info.hpp"
#include "port_values.hpp"
#include "program.hpp"

namespace tessera::spec {

struct validation_problem {
  std::string port;  // full dotted name
  std::string message;
  friend bool operator==(const validation_problem&, const validation_problem&) = default;
};

// One error for all that is wrong with a set of inputs (or outputs), each problem with the
// full dotted port name, so a user fixes everything in one go.
class validation_error : public std::invalid_argument {
 public:
  validation_error(std::string process, std::string what_was_checked, std::vector<validation_problem> problems)
      : std::invalid_argument(format(process, what_was_checked, problems)),
        process_(std::move(process)),
        problems_(std::move(problems)) {}

  const std::string& process() const noexcept { return process_; }
  const std::vector<validation_problem>& problems() const noexcept { return problems_; }

 private:
  TESSERA_DECL static std::string format(const std::string& process, const std::string& what,
                            const std::vector<validation_problem>& problems);
  std::string process_;
  std::vector<validation_problem> problems_;
};

#if defined(TESSERA_SEPARATE_COMPILATION)
// runtime_spec::outline under TESSERA_SEPARATE_COMPILATION: an nlohmann::json held by
// pointer, so the spec headers need only <nlohmann/json_fwd.hpp>. It converts to
// const nlohmann::json& (get() gives the json itself); empty-constructed it is [].
class json_value {
 public:
  json_value() noexcept;
  json_value(nlohmann::json value);  // implicit, like assigning an nlohmann::json
  json_value(const json_value& other);
  json_value(json_value&& other) noexcept;
  json_value& operator=(const json_value& other);
  json_value& operator=(json_value&& other) noexcept;
  ~json_value();

  const nlohmann::json& get() const;
  nlohmann::json& get();
  operator const nlohmann::json&() const { return get(); }
  bool empty() const;

 private:
  nlohmann::json* value_ = nullptr;  // owned; null: []
};
#endif

namespace detail {
inline const nlohmann::json& as_json(const nlohmann::json& j) noexcept { return j; }
#if defined(TESSERA_SEPARATE_COMPILATION)
inline const nlohmann::json& as_json(const json_value& j) { return j.get(); }
#endif
}  // namespace detail

class runtime_spec {
 public:
  std::string process_name;
  std::vector<port_info> ports;            // inputs and outputs, in declaration order
  std::vector<namespace_info> namespaces;  // declared and implied
  std::vector<exit_code_info> exit_codes;  // by status
#if defined(TESSERA_SEPARATE_COMPILATION)
  json_value outline;  // converts to const nlohmann::json& (see json_value)
#else
  nlohmann::json outline = nlohmann::json::array();
#endif

  TESSERA_DECL const port_info* find_port(direction dir, std::string_view name) const;
  TESSERA_DECL const namespace_info* find_namespace(direction dir, std::string_view name) const;
  TESSERA_DECL const exit_code_info* find_exit_code(std::string_view label) const;

  // Every problem with `values` as inputs (or outputs); fills in defaults when asked.
  TESSERA_DECL std::vector<validation_problem> check(direction dir, port_values& values, bool apply_defaults) const;

  // Applies defaults; throws validation_error listing every problem.
  TESSERA_DECL void validate_inputs(port_values& values) const;
  TESSERA_DECL void validate_outputs(port_values& values) const;

  // Inputs from JSON (a file, a REST call, the command line): the declared port types say
  // how to read each value; keys in a dynamic namespace are read by their JSON type.
  TESSERA_COLD_SUPPORT TESSERA_DECL port_values inputs_from_json(const nlohmann::json& j) const;

  nlohmann::json to_json() const;
  std::string to_markdown() const;

  // The outline as JSON: [{"step": "a"}, {"while": "c", "body": [...]},
  // {"if": [{"condition": "c", "body": [...]}, {"body": [...]}]}, {"return": "LABEL"}].
  TESSERA_COLD_SUPPORT TESSERA_DECL static nlohmann::json outline_json(const outline_entry* entries, std::size_t count);

 private:
  TESSERA_DECL static std::string join(std::string_view prefix, std::string_view key);

  TESSERA_DECL void throw_if(std::vector<validation_problem> problems, const char* what) const;

  // A port inside an optional namespace that was not given at all is not checked.
  TESSERA_DECL bool namespaces_active(direction dir, const port_values& values, std::string_view port_name) const;

  TESSERA_DECL std::string unknown_message(direction dir, std::string_view prefix) const;

  TESSERA_DECL void check_value(const port_info& p, const any_data& value, std::vector<validation_problem>& problems) const;

  TESSERA_DECL void walk(direction dir, const port_values& values, std::string_view prefix,
            std::vector<validation_problem>& problems) const;

  TESSERA_COLD_SUPPORT TESSERA_DECL static nlohmann::json outline_block(const outline_entry* e, std::size_t n, std::size_t& at);

  TESSERA_COLD_SUPPORT TESSERA_DECL void read_json(direction dir, const nlohmann::json& j, std::string_view prefix, port_values& out,
                 std::vector<validation_problem>& problems) const;
};

}  // namespace tessera::spec

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include "impl/runtime_spec.ipp"
#endif
