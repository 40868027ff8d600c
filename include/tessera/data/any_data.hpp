#pragma once

#include <concepts>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <tessera/data/detail/json_config.hpp>

#include <tessera/data/bool.hpp>
#include <tessera/data/detail/any_data_model.hpp>
#include <tessera/data/detail/describe_json.hpp>
#include <tessera/data/digest.hpp>
#include <tessera/data/error.hpp>
#include <tessera/data/float.hpp>
#include <tessera/data/int.hpp>
#include <tessera/data/str.hpp>
#include <tessera/data/traits.hpp>
#if !defined(TESSERA_SEPARATE_COMPILATION)
#include <tessera/data/dict.hpp>  // separate compilation: include them where you use them
#include <tessera/data/list.hpp>
#endif

namespace tessera {

// Any data value, type-erased: what ports, the store and the registry pass
// around when the concrete type is known only at run time. Immutable, and a
// copy shares the value (shared_ptr<const ...>), so copies are cheap and safe
// across threads.
class any_data {
 public:
  any_data() = default;

  // Implicit, so an Int can be passed where an any_data is expected.
  template <class T>
    requires(!std::same_as<std::remove_cvref_t<T>, any_data> && data_type<T>)
  any_data(T value)
      : model_(std::make_shared<const detail::any_data_model_for<T>>(std::move(value))) {}

  bool has_value() const noexcept { return model_ != nullptr; }
  explicit operator bool() const noexcept { return has_value(); }

  // "" when empty.
  std::string_view type_name() const { return model_ ? model_->type_name() : std::string_view{}; }

  // typeid(void) when empty.
  const std::type_info& type() const noexcept { return model_ ? model_->type() : typeid(void); }

  template <data_type T>
  bool holds() const noexcept {
    return model_ && model_->type() == typeid(T);
  }

  template <data_type T>
  const T* get_if() const noexcept {
    if (!holds<T>()) return nullptr;
    return &static_cast<const detail::any_data_model_for<T>&>(*model_).value;
  }

  // Throws data_error "expected core.int, holds core.str".
  template <data_type T>
  const T& get() const {
    if (const T* p = get_if<T>()) return *p;
    std::string msg = "expected ";
    msg += type_name_of<T>();
    msg += model_ ? ", holds " + std::string(model_->type_name()) : ", holds nothing (empty any_data)";
    throw data_error(msg);
  }

  TESSERA_DECL nlohmann::json serialize() const;

  // content_hash of the held value; throws data_error when empty.
  digest hash() const { return checked().cached_hash(); }

  // Same C++ type and equal values (T's ==, or strict JSON equality for a
  // type without ==). Two empty values are equal.
  friend bool operator==(const any_data& a, const any_data& b) {
    if (!a.model_ || !b.model_) return !a.model_ && !b.model_;
    // No shortcut for a shared model: a Float holding NaN must stay unequal
    // to itself, exactly as T's == says.
    return a.model_->type() == b.model_->type() && a.model_->equals_same_type(*b.model_);
  }

  // Picks the built-in type from the JSON kind: integer -> Int, float ->
  // Float, boolean -> Bool, string -> Str, object -> Dict, array -> List.
  // Throws data_error for null, binary and integers beyond int64.
  TESSERA_DECL static any_data infer_from_json(const nlohmann::json& j);


 private:
  const detail::any_data_model& checked() const {
    if (!model_) throw data_error("any_data is empty");
    return *model_;
  }

  std::shared_ptr<const detail::any_data_model> model_;
};

}  // namespace tessera

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include <tessera/data/impl/any_data.ipp>
#endif
