#pragma once
// Definitions for runtime_spec.hpp (inline when header-only; compiled once by
// <tessera/src.hpp> under TESSERA_SEPARATE_COMPILATION).
#include <nlohmann/json.hpp>

#include "../runtime_spec.hpp"

namespace tessera::spec {

#if defined(TESSERA_SEPARATE_COMPILATION)
json_value::json_value() noexcept = default;
json_value::json_value(nlohmann::json value) : value_(new nlohmann::json(std::move(value))) {}
json_value::json_value(const json_value& other) : value_(other.value_ ? new nlohmann::json(*other.value_) : nullptr) {}
json_value& json_value::operator=(const json_value& other) {
  if (this != &other) *this = json_value(other);
  return *this;
}
json_value::json_value(json_value&& other) noexcept : value_(std::exchange(other.value_, nullptr)) {}
json_value& json_value::operator=(json_value&& other) noexcept {
  std::swap(value_, other.value_);  // other deletes what this held
  return *this;
}
json_value::~json_value() { delete value_; }
const nlohmann::json& json_value::get() const {
  static const nlohmann::json empty = nlohmann::json::array();
  return value_ ? *value_ : empty;
}
nlohmann::json& json_value::get() {
  if (!value_) value_ = new nlohmann::json(nlohmann::json::array());
  return *value_;
}
bool json_value::empty() const { return !value_ || value_->empty(); }
#endif

TESSERA_DECL std::string validation_error::format(const std::string& process, const std::string& what,
                            const std::vector<validation_problem>& problems) {
  std::string out = "invalid " + what + " for process '" + process + "' (" + std::to_string(problems.size()) +
                    (problems.size() == 1 ? " problem):" : " problems):");
  for (const auto& p : problems) out += "\n  - " + p.port + ": " + p.message;
  return out;
}

TESSERA_DECL const port_info* runtime_spec::find_port(direction dir, std::string_view name) const {
  for (const auto& p : ports) {
    if (p.direction == dir && p.name == name) return &p;
  }
  return nullptr;
}

TESSERA_DECL const namespace_info* runtime_spec::find_namespace(direction dir, std::string_view name) const {
  for (const auto& n : namespaces) {
    if (n.direction == dir && n.name == name) return &n;
  }
  return nullptr;
}

TESSERA_DECL const exit_code_info* runtime_spec::find_exit_code(std::string_view label) const {
  for (const auto& e : exit_codes) {
    if (e.label == label) return &e;
  }
  return nullptr;
}

TESSERA_DECL std::vector<validation_problem> runtime_spec::check(direction dir, port_values& values, bool apply_defaults) const {
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

TESSERA_DECL void runtime_spec::validate_inputs(port_values& values) const { throw_if(check(direction::input, values, true), "inputs"); }

TESSERA_DECL void runtime_spec::validate_outputs(port_values& values) const { throw_if(check(direction::output, values, false), "outputs"); }

TESSERA_COLD_SUPPORT TESSERA_DECL port_values runtime_spec::inputs_from_json(const nlohmann::json& j) const {
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

TESSERA_COLD_SUPPORT TESSERA_DECL nlohmann::json runtime_spec::outline_json(const outline_entry* entries, std::size_t count) {
  std::size_t at = 0;
  return outline_block(entries, count, at);
}

TESSERA_DECL std::string runtime_spec::join(std::string_view prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
}

TESSERA_DECL void runtime_spec::throw_if(std::vector<validation_problem> problems, const char* what) const {
  if (problems.empty()) return;
  std::stable_sort(problems.begin(), problems.end(),
                   [](const validation_problem& a, const validation_problem& b) { return a.port < b.port; });
  throw validation_error(process_name, what, std::move(problems));
}

TESSERA_DECL bool runtime_spec::namespaces_active(direction dir, const port_values& values, std::string_view port_name) const {
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

TESSERA_DECL std::string runtime_spec::unknown_message(direction dir, std::string_view prefix) const {
  const char* what = dir == direction::input ? "input" : "output";
  if (prefix.empty()) return std::string("unknown ") + what + " port (not declared in the spec)";
  return std::string("unknown ") + what + " port: namespace '" + std::string(prefix) +
         "' is not dynamic and declares no such port";
}

TESSERA_DECL void runtime_spec::check_value(const port_info& p, const any_data& value, std::vector<validation_problem>& problems) const {
  if (p.type && value.type() != *p.type) {
    problems.push_back({p.name, "expected " + p.type_name + ", got " + std::string(value.type_name())});
  } else if (p.validator) {
    if (auto message = p.validator(value)) problems.push_back({p.name, *message});
  }
}

TESSERA_DECL void runtime_spec::walk(direction dir, const port_values& values, std::string_view prefix,
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

TESSERA_COLD_SUPPORT TESSERA_DECL nlohmann::json runtime_spec::outline_block(const outline_entry* e, std::size_t n, std::size_t& at) {
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

TESSERA_COLD_SUPPORT TESSERA_DECL void runtime_spec::read_json(direction dir, const nlohmann::json& j, std::string_view prefix, port_values& out,
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

}  // namespace tessera::spec
