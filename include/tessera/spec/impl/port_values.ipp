#pragma once
// Definitions for port_values.hpp.
#include <nlohmann/json.hpp>

#include "../port_values.hpp"
#include "../../data/registry.hpp"

namespace tessera {

TESSERA_DECL port_values& port_values::set(std::string_view dotted, any_data value) {
  auto [parent, leaf] = walk_create(dotted);
  parent->entries_.insert_or_assign(std::string(leaf), port_entry(std::move(value)));
  return *this;
}

TESSERA_DECL port_values& port_values::namespace_at(std::string_view dotted) {
  auto [parent, leaf] = walk_create(dotted);
  auto it = parent->entries_.find(leaf);
  if (it == parent->entries_.end()) {
    it = parent->entries_.emplace(std::string(leaf), port_entry(port_values{})).first;
  } else if (!it->second.is_namespace()) {
    throw data_error("'" + std::string(dotted) + "' holds a value, not a namespace");
  }
  return it->second.nested();
}

TESSERA_DECL const port_entry* port_values::find_entry(std::string_view dotted) const {
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

TESSERA_DECL const any_data* port_values::find(std::string_view dotted) const {
  const port_entry* e = find_entry(dotted);
  return e && !e->is_namespace() ? &e->value() : nullptr;
}

TESSERA_DECL const port_values* port_values::find_namespace(std::string_view dotted) const {
  const port_entry* e = find_entry(dotted);
  return e && e->is_namespace() ? &e->nested() : nullptr;
}

TESSERA_DECL nlohmann::json port_values::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, entry] : entries_) {
    out[key] = entry.is_namespace() ? entry.nested().to_json() : entry.value().serialize();
  }
  return out;
}

TESSERA_DECL nlohmann::json port_values::to_typed_json() const {
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

TESSERA_DECL port_values port_values::from_typed_json(const nlohmann::json& j) {
  return from_typed_json(j, data_registry::global());
}

TESSERA_DECL port_values port_values::from_typed_json(const nlohmann::json& j,
                                     const data_registry& registry) {
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

TESSERA_DECL std::pair<port_values*, std::string_view> port_values::walk_create(std::string_view dotted) {
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

TESSERA_DECL bool port_values::erase(std::string_view dotted) {
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

TESSERA_DECL port_values::port_values(const port_values& other) = default;
TESSERA_DECL port_values::port_values(port_values&& other) noexcept = default;
TESSERA_DECL port_values& port_values::operator=(const port_values& other) = default;
TESSERA_DECL port_values& port_values::operator=(port_values&& other) noexcept = default;
TESSERA_DECL port_values::~port_values() = default;

TESSERA_DECL port_entry::port_entry(port_values nested) : nested_(new port_values(std::move(nested))) {}
TESSERA_DECL port_entry::port_entry(const port_entry& other)
    : value_(other.value_), nested_(other.nested_ ? new port_values(*other.nested_) : nullptr) {}
TESSERA_DECL port_entry& port_entry::operator=(const port_entry& other) {
  if (this != &other) *this = port_entry(other);
  return *this;
}
TESSERA_DECL port_entry::~port_entry() { delete nested_; }
TESSERA_DECL bool operator==(const port_entry& a, const port_entry& b) {
  if (a.is_namespace() != b.is_namespace()) return false;
  return a.is_namespace() ? a.nested() == b.nested() : a.value() == b.value();
}


}  // namespace tessera
