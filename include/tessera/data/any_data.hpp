#pragma once

#include <concepts>
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
// copy shares the value (an intrusive atomic count, not shared_ptr: <memory>
// would cost every unit that declares a process), so copies are cheap and safe
// across threads.
class any_data {
 public:
  any_data() = default;

  // Implicit, so an Int can be passed where an any_data is expected.
  template <class T>
    requires(!std::same_as<std::remove_cvref_t<T>, any_data> && data_type<T>)
  any_data(T value) : model_(new detail::any_data_model_for<T>(std::move(value))) {}

  any_data(const any_data& other) noexcept : model_(other.model_) {
    if (model_) model_->retain();
  }
  any_data(any_data&& other) noexcept : model_(std::exchange(other.model_, nullptr)) {}
  any_data& operator=(const any_data& other) noexcept {
    any_data(other).swap(*this);
    return *this;
  }
  any_data& operator=(any_data&& other) noexcept {
    any_data(std::move(other)).swap(*this);
    return *this;
  }
  ~any_data() {
    if (model_) model_->release();
  }
  void swap(any_data& other) noexcept { std::swap(model_, other.model_); }

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
    throw_wrong_type(type_name_of<T>());
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
  // Out of line: the message is built in one place, not in every get<T>() a step makes.
  [[noreturn]] TESSERA_DECL void throw_wrong_type(std::string_view expected) const;

  const detail::any_data_model& checked() const {
    if (!model_) throw data_error("any_data is empty");
    return *model_;
  }

  const detail::any_data_model* model_ = nullptr;  // counted: retain()/release()
};

}  // namespace tessera

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include <tessera/data/impl/any_data.ipp>
#endif
