#pragma once
// stored<T>: a data value together with the provenance node that holds it. What
// calcfunctions return and what child outputs are read as, so that passing a result on
// (to another calcfunction, to an output port) links the very node it came from.
#include <cstdint>
#include <utility>

#include <tessera/data/any_data.hpp>
#include <tessera/data/traits.hpp>

namespace tessera {

template <class T>
class stored {
 public:
  stored() = default;
  stored(T value, std::int64_t pk) : value_(std::move(value)), pk_(pk) {}

  const T& value() const noexcept { return value_; }
  operator const T&() const noexcept { return value_; }
  const T* operator->() const noexcept { return &value_; }
  const T& operator*() const noexcept { return value_; }
  /// The node's pk; 0 for a default-constructed stored<T> (no node yet).
  std::int64_t pk() const noexcept { return pk_; }
  explicit operator bool() const noexcept { return pk_ != 0; }

  friend bool operator==(const stored& a, const stored& b) { return a.pk_ == b.pk_ && a.value_ == b.value_; }

 private:
  T value_{};
  std::int64_t pk_ = 0;
};

template <class T> struct is_stored : std::false_type {};
template <class T> struct is_stored<stored<T>> : std::true_type {};

}  // namespace tessera
