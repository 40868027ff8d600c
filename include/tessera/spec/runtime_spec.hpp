#pragma once
// The run-time view of a spec: what only run time can check (a validator, a required input
// left out by a caller building inputs from JSON, the contents of a dynamic namespace), and
// rendering to JSON and Markdown so every process documents itself.
#include <algorithm>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include <nlohmann/json.hpp>

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
  static std::string format(const std::string& process, const std::string& what,
                            const std::vector<validation_problem>& problems) {
    std::string out = "invalid " + what + " for process '" + process + "' (" + std::to_string(problems.size()) +
                      (problems.size() == 1 ? " problem):" : " problems):");
    for (const auto& p : problems) out += "\n  - " + p.port + ": " + p.message;
    return out;
  }
  std::string process_;
  std::vector<validation_problem> problems_;
};

class runtime_spec {
 public:
  std::string process_name;
  std::vector<port_info> ports;            // inputs and outputs, in declaration order
  std::vector<namespace_info> namespaces;  // declared and implied
  std::vector<exit_code_info> exit_codes;  // by status
  nlohmann::json outline = nlohmann::json::array();

  const port_info* find_port(direction dir, std::string_view name) const {
    for (const auto& p : ports) {
      if (p.direction == dir && p.name == name) return &p;
    }
    return nullptr;
  }
  const namespace_info* find_namespace(direction dir, std::string_view name) const {
    for (const auto& n : namespaces) {
      if (n.direction == dir && n.name == name) return &n;
    }
    return nullptr;
  }
  const exit_code_info* find_exit_code(std::string_view label) const {
    for (const auto& e : exit_codes) {
      if (e.label == label) return &e;
    }
    return nullptr;
  }

  // Every problem with `values` as inputs (or outputs); fills in defaults when asked.
  std::vector<validation_problem> check(direction dir, port_values& values, bool apply_defaults) const {
    std::vector<validation_problem> problems;
    walk(dir, values, "", problems);
    for (const auto& p : ports) {
      if (p.direction != dir || values.contains(p.name) || !namespaces_active(dir, values, p.name)) continue;
      if (p.default_value.has_value()) {
        if (apply_defaults) {
          values.set(p.name, p.default_value);
          if (p.validator) {
            if (auto message = p.validator(p.default_value)) problems.push_back({p.name, "default value: " + *message});
          }
        }
      } else if (p.required) {
        problems.push_back({p.name, dir == direction::input ? "required input is missing" : "required output is missing"});
      }
    }
    return problems;
  }

  // Applies defaults; throws validation_error listing every problem.
  void validate_inputs(port_values& values) const { throw_if(check(direction::input, values, true), "inputs"); }
  void validate_outputs(port_values& values) const { throw_if(check(direction::output, values, false), "outputs"); }

  // Inputs from JSON (a file, a REST call, the command line): the declared port types say
  // how to read each value; keys in a dynamic namespace are read by their JSON type.
  TESSERA_COLD port_values inputs_from_json(const nlohmann::json& j) const {
    std::vector<validation_problem> problems;
    port_values values;
    if (!j.is_object()) {
      problems.push_back({"(inputs)", "expected a JSON object, got " + std::string(j.type_name())});
    } else {
      read_json(direction::input, j, "", values, problems);
    }
    for (auto& p : check(direction::input, values, true)) {
      // a value that could not be read is reported once, not again as missing
      const bool reported = std::any_of(problems.begin(), problems.end(),
                                        [&](const validation_problem& q) { return q.port == p.port; });
      if (!reported) problems.push_back(std::move(p));
    }
    throw_if(std::move(problems), "inputs");
    return values;
  }

  nlohmann::json to_json() const;
  std::string to_markdown() const;

  // The outline as JSON: [{"step": "a"}, {"while": "c", "body": [...]},
  // {"if": [{"condition": "c", "body": [...]}, {"body": [...]}]}, {"return": "LABEL"}].
  TESSERA_COLD static nlohmann::json outline_json(const outline_entry* entries, std::size_t count) {
    std::size_t at = 0;
    return outline_block(entries, count, at);
  }

 private:
  static std::string join(std::string_view prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
  }

  void throw_if(std::vector<validation_problem> problems, const char* what) const {
    if (problems.empty()) return;
    std::stable_sort(problems.begin(), problems.end(),
                     [](const validation_problem& a, const validation_problem& b) { return a.port < b.port; });
    throw validation_error(process_name, what, std::move(problems));
  }

  // A port inside an optional namespace that was not given at all is not checked.
  bool namespaces_active(direction dir, const port_values& values, std::string_view port_name) const {
    for (auto dot = port_name.find('.'); dot != std::string_view::npos; dot = port_name.find('.', dot + 1)) {
      const std::string_view prefix = port_name.substr(0, dot);
      const namespace_info* ns = find_namespace(dir, prefix);
      if (ns && !ns->required) {
        const port_values* given = values.find_namespace(prefix);
        if (!given || given->empty()) return false;
      }
    }
    return true;
  }

  std::string unknown_message(direction dir, std::string_view prefix) const {
    const char* what = dir == direction::input ? "input" : "output";
    if (prefix.empty()) return std::string("unknown ") + what + " port (not declared in the spec)";
    return std::string("unknown ") + what + " port: namespace '" + std::string(prefix) +
           "' is not dynamic and declares no such port";
  }

  void check_value(const port_info& p, const any_data& value, std::vector<validation_problem>& problems) const {
    if (p.type && value.type() != *p.type) {
      problems.push_back({p.name, "expected " + p.type_name + ", got " + std::string(value.type_name())});
    } else if (p.validator) {
      if (auto message = p.validator(value)) problems.push_back({p.name, *message});
    }
  }

  void walk(direction dir, const port_values& values, std::string_view prefix,
            std::vector<validation_problem>& problems) const {
    for (const auto& [key, entry] : values) {
      const std::string full = join(prefix, key);
      if (const port_info* p = find_port(dir, full)) {
        if (entry.is_namespace()) {
          problems.push_back({full, "expected a value of type " + p->type_name + ", got a namespace"});
        } else {
          check_value(*p, entry.value(), problems);
        }
      } else if (find_namespace(dir, full)) {
        if (!entry.is_namespace()) {
          problems.push_back({full, "is a namespace, got a value of type " + std::string(entry.value().type_name())});
        } else {
          walk(dir, entry.nested(), full, problems);
        }
      } else {
        const namespace_info* parent = prefix.empty() ? nullptr : find_namespace(dir, prefix);
        if (!(parent && parent->dynamic)) problems.push_back({full, unknown_message(dir, prefix)});
      }
    }
  }

  TESSERA_COLD static nlohmann::json outline_block(const outline_entry* e, std::size_t n, std::size_t& at) {
    nlohmann::json out = nlohmann::json::array();
    while (at < n && e[at].kind != outline_kind::end) {
      const outline_entry& entry = e[at++];
      switch (entry.kind) {
        case outline_kind::step:
          out.push_back({{"step", entry.name}});
          break;
        case outline_kind::return_:
          out.push_back({{"return", entry.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(entry.name)}});
          break;
        case outline_kind::while_:
          out.push_back({{"while", entry.name}, {"body", outline_block(e, n, at)}});
          ++at;  // the block's end
          break;
        case outline_kind::if_: {
          nlohmann::json branches = nlohmann::json::array();
          while (at < n && e[at].kind != outline_kind::end) {
            const outline_entry& b = e[at++];
            nlohmann::json body = outline_block(e, n, at);
            ++at;
            if (b.kind == outline_kind::branch) branches.push_back({{"condition", b.name}, {"body", std::move(body)}});
            else branches.push_back({{"body", std::move(body)}});
          }
          ++at;
          out.push_back({{"if", std::move(branches)}});
          break;
        }
        default:
          break;
      }
    }
    return out;
  }

  TESSERA_COLD void read_json(direction dir, const nlohmann::json& j, std::string_view prefix, port_values& out,
                 std::vector<validation_problem>& problems) const {
    for (const auto& [key, item] : j.items()) {
      const std::string full = join(prefix, key);
      if (const port_info* p = find_port(dir, full)) {
        try {
          out.set(full, p->from_json ? p->from_json(item) : any_data::infer_from_json(item));
        } catch (const data_error& e) {
          problems.push_back({full, e.what()});
        }
      } else if (find_namespace(dir, full)) {
        if (!item.is_object()) {
          problems.push_back({full, "is a namespace: expected a JSON object, got " + std::string(item.type_name())});
        } else {
          out.namespace_at(full);
          read_json(dir, item, full, out, problems);
        }
      } else {
        const namespace_info* parent = prefix.empty() ? nullptr : find_namespace(dir, prefix);
        if (!(parent && parent->dynamic)) {
          problems.push_back({full, unknown_message(dir, prefix)});
          continue;
        }
        try {  // in a dynamic namespace a JSON object is a Dict value
          out.set(full, any_data::infer_from_json(item));
        } catch (const data_error& e) {
          problems.push_back({full, e.what()});
        }
      }
    }
  }
};

}  // namespace tessera::spec
