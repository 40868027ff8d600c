#pragma once
// The concrete values given to (or produced by) a process: a tree of namespaces whose
// leaves are data values, addressed by dotted names ("options.resources.num_machines").
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "../data/any_data.hpp"
#include "../data/error.hpp"
#include "../data/registry.hpp"

namespace tessera {

class port_values;

// One entry: either a data value or a nested namespace.
class port_entry {
 public:
  port_entry() = default;
  explicit port_entry(any_data value) : value_(std::move(value)) {}
  explicit port_entry(port_values nested);
  port_entry(const port_entry& other);
  port_entry(port_entry&&) noexcept = default;
  port_entry& operator=(const port_entry& other);
  port_entry& operator=(port_entry&&) noexcept = default;
  ~port_entry();

  bool is_namespace() const noexcept { return nested_ != nullptr; }
  const any_data& value() const { return value_; }
  const port_values& nested() const { return *nested_; }
  port_values& nested() { return *nested_; }

  friend bool operator==(const port_entry& a, const port_entry& b);

 private:
  any_data value_;
  std::unique_ptr<port_values> nested_;
};

class port_values {
 public:
  using map_type = std::map<std::string, port_entry, std::less<>>;

  port_values() = default;

  // Sets a value, creating the namespaces on its path. Throws data_error when the path
  // runs through a value ("a.b" when "a" holds data).
  port_values& set(std::string_view dotted, any_data value) {
    auto [parent, leaf] = walk_create(dotted);
    parent->entries_.insert_or_assign(std::string(leaf), port_entry(std::move(value)));
    return *this;
  }

  // The namespace at `dotted`, created (empty) when absent.
  port_values& namespace_at(std::string_view dotted) {
    auto [parent, leaf] = walk_create(dotted);
    auto it = parent->entries_.find(leaf);
    if (it == parent->entries_.end()) {
      it = parent->entries_.emplace(std::string(leaf), port_entry(port_values{})).first;
    } else if (!it->second.is_namespace()) {
      throw data_error("'" + std::string(dotted) + "' holds a value, not a namespace");
    }
    return it->second.nested();
  }

  const port_entry* find_entry(std::string_view dotted) const {
    const port_values* ns = this;
    while (true) {
      const auto dot = dotted.find('.');
      const auto it = ns->entries_.find(dotted.substr(0, dot));
      if (it == ns->entries_.end()) return nullptr;
      if (dot == std::string_view::npos) return &it->second;
      if (!it->second.is_namespace()) return nullptr;
      ns = &it->second.nested();
      dotted.remove_prefix(dot + 1);
    }
  }

  // The data value at `dotted`, or nullptr (absent, or a namespace).
  const any_data* find(std::string_view dotted) const {
    const port_entry* e = find_entry(dotted);
    return e && !e->is_namespace() ? &e->value() : nullptr;
  }

  const port_values* find_namespace(std::string_view dotted) const {
    const port_entry* e = find_entry(dotted);
    return e && e->is_namespace() ? &e->nested() : nullptr;
  }

  bool contains(std::string_view dotted) const { return find_entry(dotted) != nullptr; }

  bool erase(std::string_view dotted) {
    const auto dot = dotted.rfind('.');
    port_values* parent = this;
    if (dot != std::string_view::npos) {
      const port_entry* e = find_entry(dotted.substr(0, dot));
      if (!e || !e->is_namespace()) return false;
      parent = &const_cast<port_entry*>(e)->nested();  // NOLINT: e points into *this, which is not const
      dotted.remove_prefix(dot + 1);
    }
    const auto it = parent->entries_.find(dotted);
    if (it == parent->entries_.end()) return false;
    parent->entries_.erase(it);
    return true;
  }

  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }
  map_type::const_iterator begin() const { return entries_.begin(); }
  map_type::const_iterator end() const { return entries_.end(); }

  // Plain JSON for people: {"x": 1, "options": {"resources": {"num_machines": 2}}}.
  nlohmann::json to_json() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, entry] : entries_) {
      out[key] = entry.is_namespace() ? entry.nested().to_json() : entry.value().serialize();
    }
    return out;
  }

  // JSON that round-trips the types: {"x": {"type": "core.int", "value": 1}, "ns": {"entries": {...}}}.
  nlohmann::json to_typed_json() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, entry] : entries_) {
      if (entry.is_namespace()) {
        out[key] = {{"entries", entry.nested().to_typed_json()}};
      } else {
        out[key] = {{"type", entry.value().type_name()}, {"value", entry.value().serialize()}};
      }
    }
    return out;
  }

  static port_values from_typed_json(const nlohmann::json& j,
                                     const data_registry& registry = data_registry::global()) {
    if (!j.is_object()) throw data_error("typed port values must be a JSON object");
    port_values out;
    for (const auto& [key, item] : j.items()) {
      if (item.is_object() && item.contains("entries")) {
        out.entries_.emplace(key, port_entry(from_typed_json(item.at("entries"), registry)));
      } else if (item.is_object() && item.contains("type") && item.contains("value")) {
        out.entries_.emplace(key, port_entry(registry.deserialize(item.at("type").get<std::string>(),
                                                                  item.at("value"))));
      } else {
        throw data_error("typed port value '" + key + "' needs \"type\" and \"value\", or \"entries\"");
      }
    }
    return out;
  }

  friend bool operator==(const port_values& a, const port_values& b) { return a.entries_ == b.entries_; }

 private:
  std::pair<port_values*, std::string_view> walk_create(std::string_view dotted) {
    if (dotted.empty()) throw data_error("empty port name");
    port_values* ns = this;
    std::string_view rest = dotted;
    for (auto dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
      const std::string_view head = rest.substr(0, dot);
      auto it = ns->entries_.find(head);
      if (it == ns->entries_.end()) {
        it = ns->entries_.emplace(std::string(head), port_entry(port_values{})).first;
      } else if (!it->second.is_namespace()) {
        throw data_error("cannot set '" + std::string(dotted) + "': '" +
                         std::string(dotted.substr(0, static_cast<std::size_t>(head.data() - dotted.data()) + head.size())) +
                         "' holds a value, not a namespace");
      }
      ns = &it->second.nested();
      rest.remove_prefix(dot + 1);
    }
    return {ns, rest};
  }

  map_type entries_;
};

inline port_entry::port_entry(port_values nested) : nested_(std::make_unique<port_values>(std::move(nested))) {}
inline port_entry::port_entry(const port_entry& other)
    : value_(other.value_), nested_(other.nested_ ? std::make_unique<port_values>(*other.nested_) : nullptr) {}
inline port_entry& port_entry::operator=(const port_entry& other) {
  if (this != &other) *this = port_entry(other);
  return *this;
}
inline port_entry::~port_entry() = default;
inline bool operator==(const port_entry& a, const port_entry& b) {
  if (a.is_namespace() != b.is_namespace()) return false;
  return a.is_namespace() ? a.nested() == b.nested() : a.value() == b.value();
}

}  // namespace tessera
