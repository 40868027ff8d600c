#pragma once
// Exit codes: exit_code<410, "ERROR_NEGATIVE_SUM">("the sum was negative").
// Status 0 is success; 1-99 are reserved for tessera's own codes (listed below), so a
// process's codes never collide with the engine's.
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "detail/names.hpp"
#include "detail/type_list.hpp"
#include "errors.hpp"
#include "fixed_string.hpp"
#include "info.hpp"

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
struct exit_tag {
  static constexpr int status = Status;
  static constexpr auto label = Label;
};

// The run-time description of a declared exit code (special members compiled once, as for
// port_decl_base).
struct exit_code_decl_base {
  exit_code_info info;

  TESSERA_DECL exit_code_decl_base(int status, std::string_view label, std::string message);
  TESSERA_DECL exit_code_decl_base(const exit_code_decl_base& other);
  TESSERA_DECL exit_code_decl_base(exit_code_decl_base&& other) noexcept;
  TESSERA_DECL exit_code_decl_base& operator=(const exit_code_decl_base& other);
  TESSERA_DECL exit_code_decl_base& operator=(exit_code_decl_base&& other) noexcept;
  TESSERA_DECL ~exit_code_decl_base();
};

template <class Tag>
struct exit_code_decl : exit_code_decl_base {
  using exit_code_decl_base::exit_code_decl_base;
};

namespace detail {
template <class T> struct is_exit_tag : std::false_type {};
template <int S, fixed_string L> struct is_exit_tag<exit_tag<S, L>> : std::true_type {};
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
    return exit_code_decl<exit_tag<Status, Label>>(Status, Label.view(), std::move(message));
  }
}

// tessera's own exit codes, present in every spec.
using builtin_exit_tags = detail::type_list<exit_tag<1, "ERROR_UNSPECIFIED">, exit_tag<10, "ERROR_INVALID_OUTPUT">,
                                     exit_tag<11, "ERROR_MISSING_OUTPUT">, exit_tag<20, "KILLED">>;
inline const exit_code_info builtin_exit_codes[] = {
    {1, "ERROR_UNSPECIFIED", "the process failed for an unspecified reason"},
    {10, "ERROR_INVALID_OUTPUT", "the process emitted an output that does not match its spec"},
    {11, "ERROR_MISSING_OUTPUT", "the process did not emit a required output"},
    {20, "KILLED", "the process was killed"},
};

}  // namespace tessera::spec

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include "impl/exit_code.ipp"
#endif
