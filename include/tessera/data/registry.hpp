#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include <tessera/data/detail/json_config.hpp>

#include <tessera/data/any_data.hpp>
#include <tessera/data/bool.hpp>
#include <tessera/data/error.hpp>
#include <tessera/data/float.hpp>
#include <tessera/data/int.hpp>
#include <tessera/data/str.hpp>
#include <tessera/data/traits.hpp>
#if !defined(TESSERA_SEPARATE_COMPILATION)
#include <tessera/data/dict.hpp>
#include <tessera/data/list.hpp>
#endif

namespace tessera {

// Maps a type name ("core.int", "mylab.vec3") to a way of rebuilding the
// value, because the store reads nodes back knowing only their type name.
// Thread-safe: plugins may register while workers deserialize.
class data_registry {
 public:
  data_registry() = default;
  data_registry(const data_registry&) = delete;
  data_registry& operator=(const data_registry&) = delete;

  // The process-wide registry, with the built-in types already added.
  static data_registry& global() {
    static data_registry instance{with_builtins};
    return instance;
  }

  // Idempotent for the same T; throws data_error if another type already
  // uses T's name (two plugins must not fight over one name silently).
  template <data_type T>
  void add() {
    const std::string_view name = type_name_of<T>();
    if (name.empty()) throw data_error("a data type name must not be empty");
    std::unique_lock lock(mutex_);
    const auto it = entries_.find(name);
    if (it != entries_.end()) {
      if (*it->second.type == typeid(T)) return;
      throw data_error("data type name '" + std::string(name) +
                       "' is already registered for another C++ type");
    }
    entries_.emplace(std::string(name), entry{&typeid(T), &deserialize_as<T>});
  }

  bool contains(std::string_view type_name) const {
    std::shared_lock lock(mutex_);
    return entries_.find(type_name) != entries_.end();
  }

  // Throws data_error "unknown data type 'x'", or the type's own
  // deserialize error for a malformed value.
  any_data deserialize(std::string_view type_name, const nlohmann::json& j) const {
    deserialize_fn fn = nullptr;
    {
      std::shared_lock lock(mutex_);
      const auto it = entries_.find(type_name);
      if (it == entries_.end()) {
        throw data_error("unknown data type '" + std::string(type_name) + "'");
      }
      fn = it->second.deserialize;
    }
    return fn(j);  // outside the lock: user code may be slow or re-enter
  }

  // Sorted.
  std::vector<std::string> names() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& kv : entries_) out.push_back(kv.first);
    return out;
  }

 private:
  struct with_builtins_t {};
  static constexpr with_builtins_t with_builtins{};

  TESSERA_DECL explicit data_registry(with_builtins_t);

  using deserialize_fn = any_data (*)(const nlohmann::json&);

  struct entry {
    const std::type_info* type;
    deserialize_fn deserialize;
  };

  template <data_type T>
  static any_data deserialize_as(const nlohmann::json& j) {
    return any_data(data_traits<T>::deserialize(j));
  }

  mutable std::shared_mutex mutex_;
  std::map<std::string, entry, std::less<>> entries_;  // std::less<>: look up by string_view
};

template <data_type T>
void register_data_type() {
  data_registry::global().add<T>();
}

}  // namespace tessera

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include <tessera/data/impl/registry.ipp>
#endif
