#pragma once
// Exit codes: exit_code<410, "ERROR_NEGATIVE_SUM">("the sum was negative").
// Status 0 is success; 1-99 are reserved for tessera's own codes (listed below), so a
// process's codes never collide with the engine's.
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "detail/names.hpp"
#include "errors.hpp"
#include "fixed_string.hpp"

namespace tessera {

// The value a process finishes with. Status 0 means success. (Named apart from the
// spec's exit_code<Status, Label>(message) declaration so both can be used unqualified.)
struct exit_code_value {
  int status = 0;
  std::string label;
  std::string message;

  bool ok() const { return status == 0; }
  friend bool operator==(const exit_code_value&, const exit_code_value&) = default;
};

}  // namespace tessera

namespace tessera::spec {

inline constexpr int first_user_exit_status = 100;

template <int Status, fixed_string Label>
struct exit_code_decl {
  static constexpr int status = Status;
  static constexpr auto label = Label;
  std::string message;
};

namespace detail {

template <class T> struct is_exit_code_decl : std::false_type {};
template <int S, fixed_string L> struct is_exit_code_decl<exit_code_decl<S, L>> : std::true_type {};

}  // namespace detail

template <int Status, fixed_string Label>
auto exit_code(std::string message) {
  if constexpr (Status < first_user_exit_status) {
    error::raise::exit_status_not_allowed<Status>();
    return invalid_element{};
  } else if constexpr (!detail::valid_identifier(Label.view())) {
    error::raise::invalid_exit_label<Label>();
    return invalid_element{};
  } else {
    return exit_code_decl<Status, Label>{std::move(message)};
  }
}

// tessera's own exit codes, present in every spec.
using error_unspecified = exit_code_decl<1, "ERROR_UNSPECIFIED">;
using error_invalid_output = exit_code_decl<10, "ERROR_INVALID_OUTPUT">;
using error_missing_output = exit_code_decl<11, "ERROR_MISSING_OUTPUT">;
using error_killed = exit_code_decl<20, "KILLED">;

}  // namespace tessera::spec
