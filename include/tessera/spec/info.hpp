#pragma once
// The run-time description of ports, namespaces and exit codes: plain structs, so a spec's
// run-time part costs the compiler the same whatever the ports are called.
#include <concepts>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "../data/detail/json_config.hpp"

#include "../data/any_data.hpp"

namespace tessera::spec {

enum class direction { input, output };

// What a validator returns: an error message, or nothing when the value is fine.
using validation_message = std::optional<std::string>;

// A port's validator, type-erased. Not std::function: <functional> is among the costliest
// standard headers to parse, and every unit that declares a process includes this one.
class validator_fn {
 public:
  validator_fn() noexcept = default;
  template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, validator_fn> &&
             std::convertible_to<std::invoke_result_t<const std::remove_cvref_t<F>&, const any_data&>,
                                 validation_message>)
  validator_fn(F&& fn) : impl_(new model<std::remove_cvref_t<F>>(std::forward<F>(fn))) {}  // NOLINT: implicit
  validator_fn(const validator_fn& other) : impl_(other.impl_ ? other.impl_->clone() : nullptr) {}
  validator_fn(validator_fn&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}
  validator_fn& operator=(validator_fn other) noexcept {
    std::swap(impl_, other.impl_);
    return *this;
  }
  ~validator_fn() { delete impl_; }

  explicit operator bool() const noexcept { return impl_ != nullptr; }
  // Precondition: not empty.
  validation_message operator()(const any_data& value) const { return impl_->call(value); }

 private:
  struct base {
    virtual ~base() = default;
    virtual validation_message call(const any_data& value) const = 0;
    virtual base* clone() const = 0;
  };
  template <class F>
  struct model final : base {
    F fn;
    template <class G> explicit model(G&& g) : fn(std::forward<G>(g)) {}
    validation_message call(const any_data& value) const override { return fn(value); }
    base* clone() const override { return new model(fn); }
  };
  base* impl_ = nullptr;
};

struct port_info {
  std::string name;  // full dotted name
  spec::direction direction = spec::direction::input;
  std::string type_name;                 // "core.int"; "any" for any_data ports
  const std::type_info* type = nullptr;  // nullptr: any data type is accepted
  bool required = true;
  bool non_db = false;  // not recorded as provenance (e.g. a password, a live handle)
  std::string help;
  any_data default_value;  // empty: no default
  validator_fn validator;  // empty: none
  any_data (*from_json)(const nlohmann::json&) = nullptr;
};

struct namespace_info {
  std::string name;
  spec::direction direction = spec::direction::input;
  bool dynamic = false;
  bool required = true;
  bool declared = false;  // false: implied by a dotted port name
  std::string help;
};

struct exit_code_info {
  int status = 0;
  std::string label;
  std::string message;
};

}  // namespace tessera::spec
