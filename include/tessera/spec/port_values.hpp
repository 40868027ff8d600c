#pragma once
// The concrete values given to (or produced by) a process: a tree of namespaces whose
// leaves are data values, addressed by dotted names ("options.resources.num_machines").
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "../data/detail/json_config.hpp"

#include "../data/any_data.hpp"
#include "../data/error.hpp"

namespace tessera {

class data_registry;  // <tessera/data/registry.hpp>; not included: only from_typed_json needs it
class port_values;

// One entry: either a data value or a nested namespace.
class port_entry {
 public:
  port_entry() = default;
  explicit port_entry(any_data value) : value_(std::move(value)) {}
  TESSERA_DECL explicit port_entry(port_values nested);
  TESSERA_DECL port_entry(const port_entry& other);
  port_entry(port_entry&& other) noexcept
      : value_(std::move(other.value_)), nested_(std::exchange(other.nested_, nullptr)) {}
  TESSERA_DECL port_entry& operator=(const port_entry& other);
  port_entry& operator=(port_entry&& other) noexcept {
    value_ = std::move(other.value_);
    std::swap(nested_, other.nested_);  // other deletes what this held
    return *this;
  }
  TESSERA_DECL ~port_entry();

  bool is_namespace() const noexcept { return nested_ != nullptr; }
  const any_data& value() const { return value_; }
  const port_values& nested() const { return *nested_; }
  port_values& nested() { return *nested_; }

  TESSERA_DECL friend bool operator==(const port_entry& a, const port_entry& b);

 private:
  any_data value_;
  port_values* nested_ = nullptr;  // owned; a raw pointer keeps <memory> out of every spec
};

class port_values {
 public:
  using map_type = std::map<std::string, port_entry, std::less<>>;

  port_values() = default;
  // Out of line: inlined, std::map's copy and destruction would be compiled again into
  // every function that builds inputs.
  TESSERA_DECL port_values(const port_values& other);
  TESSERA_DECL port_values(port_values&& other) noexcept;
  TESSERA_DECL port_values& operator=(const port_values& other);
  TESSERA_DECL port_values& operator=(port_values&& other) noexcept;
  TESSERA_DECL ~port_values();

  // Sets a value, creating the namespaces on its path. Throws data_error when the path
  // runs through a value ("a.b" when "a" holds data).
  TESSERA_DECL port_values& set(std::string_view dotted, any_data value);

  // The namespace at `dotted`, created (empty) when absent.
  TESSERA_DECL port_values& namespace_at(std::string_view dotted);

  TESSERA_DECL const port_entry* find_entry(std::string_view dotted) const;

  // The data value at `dotted`, or nullptr (absent, or a namespace).
  TESSERA_DECL const any_data* find(std::string_view dotted) const;

  TESSERA_DECL const port_values* find_namespace(std::string_view dotted) const;

  bool contains(std::string_view dotted) const { return find_entry(dotted) != nullptr; }

  TESSERA_DECL bool erase(std::string_view dotted);

  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }
  map_type::const_iterator begin() const { return entries_.begin(); }
  map_type::const_iterator end() const { return entries_.end(); }

  // Plain JSON for people: {"x": 1, "options": {"resources": {"num_machines": 2}}}.
  TESSERA_DECL nlohmann::json to_json() const;

  // JSON that round-trips the types: {"x": {"type": "core.int", "value": 1}, "ns": {"entries": {...}}}.
  TESSERA_DECL nlohmann::json to_typed_json() const;

  // Values of the registered types: data_registry::global() unless another is given.
  TESSERA_DECL static port_values from_typed_json(const nlohmann::json& j);
  TESSERA_DECL static port_values from_typed_json(const nlohmann::json& j, const data_registry& registry);

  friend bool operator==(const port_values& a, const port_values& b) { return a.entries_ == b.entries_; }

 private:
  TESSERA_DECL std::pair<port_values*, std::string_view> walk_create(std::string_view dotted);

  map_type entries_;
};


}  // namespace tessera

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include "impl/port_values.ipp"
#endif
