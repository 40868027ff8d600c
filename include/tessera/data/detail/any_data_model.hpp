#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <string_view>
#include <typeinfo>
#include <utility>

#include <tessera/data/detail/json_config.hpp>

#include <tessera/data/bool.hpp>
#include <tessera/data/canonical.hpp>
#include <tessera/data/digest.hpp>
#include <tessera/data/float.hpp>
#include <tessera/data/int.hpp>
#include <tessera/data/str.hpp>
#include <tessera/data/traits.hpp>

namespace tessera::detail {

// The type-erased interface behind any_data. Immutable once built, so one
// instance can be shared between copies and threads.
struct any_data_model {
  any_data_model() = default;
  any_data_model(const any_data_model&) = delete;
  any_data_model& operator=(const any_data_model&) = delete;
  virtual ~any_data_model() = default;

  virtual std::string_view type_name() const noexcept = 0;
  virtual const std::type_info& type() const noexcept = 0;
  // out = the serialized value (an out parameter: nlohmann::json may be incomplete here).
  virtual void write_json(nlohmann::json& out) const = 0;
  virtual digest hash() const = 0;
  // hash(), computed once: the value never changes, and the engine asks on one thread
  // (before a write) so that the store's committer, the bottleneck, need not. Threads that
  // race compute the same digest; the first to finish keeps it.
  digest cached_hash() const {
    if (hash_state_.load(std::memory_order_acquire) == 2) return hash_;
    const digest d = hash();
    int expected = 0;
    if (hash_state_.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
      hash_ = d;
      hash_state_.store(2, std::memory_order_release);
    }
    return d;
  }
  // Precondition: other.type() == type().
  virtual bool equals_same_type(const any_data_model& other) const = 0;

  // Owned by the any_data values that point at it; the last release deletes it.
  void retain() const noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() const noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 private:
  mutable std::atomic<std::uint32_t> refs_{1};
  mutable std::atomic<int> hash_state_{0};  // 0: none, 1: being stored, 2: hash_ valid
  mutable digest hash_{};
};

template <data_type T>
struct any_data_model_for final : any_data_model {
  T value;

  explicit any_data_model_for(T v) : value(std::move(v)) {}

  std::string_view type_name() const noexcept override { return type_name_of<T>(); }
  const std::type_info& type() const noexcept override { return typeid(T); }
  // The built-in types have non-template overloads of serialize_to, compiled once.
  void write_json(nlohmann::json& out) const override { detail::serialize_to(out, value); }
  digest hash() const override { return content_hash(value); }

  bool equals_same_type(const any_data_model& other) const override {
    const T& rhs = static_cast<const any_data_model_for&>(other).value;
    // A user type need not define ==; then equal means same canonical JSON.
    if constexpr (std::equality_comparable<T>) {
      return value == rhs;
    } else {
      return strict_json_equal(data_traits<T>::serialize(value), data_traits<T>::serialize(rhs));
    }
  }
};

}  // namespace tessera::detail
