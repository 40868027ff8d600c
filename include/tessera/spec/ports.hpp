#pragma once
// Typed access to a process's ports. A process class derives from ports<itself> (the
// engine's work_chain does this for you) and then:
//
//   const Int& x = in<"x">();          // the declared type; unknown name: compile error
//   out<"sum">(Int{x.value + 1});      // port and type checked at compile time
//   return exit<"ERROR_NEGATIVE_SUM">(); // label checked at compile time
//
// inputs_for<P> builds a process's inputs from C++ with the same checks.
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "bind.hpp"

namespace tessera::spec {

namespace detail {

// A value may go into a port of type T when it is a T, or, for non-data values like 5 or
// "text", when T can be brace-initialized from it (so 2.5 does not silently become Int 2).
template <class T, class V>
constexpr bool value_fits() {
  using v = std::remove_cvref_t<V>;
  if constexpr (std::is_same_v<T, any_data>) {
    return data_type<v> || std::is_same_v<v, any_data>;
  } else if constexpr (data_type<v> || std::is_same_v<v, any_data>) {
    return std::is_same_v<v, T>;
  } else {
    return requires(V&& value) { T{std::forward<V>(value)}; };
  }
}

template <class T, class V>
any_data to_any(V&& value) {
  using v = std::remove_cvref_t<V>;
  if constexpr (std::is_same_v<v, any_data> || std::is_same_v<v, T>) {
    return any_data(std::forward<V>(value));
  } else {
    return any_data(T{std::forward<V>(value)});
  }
}

template <class Spec, direction Dir, fixed_string Name>
constexpr std::size_t checked_port_index() {
  constexpr std::size_t index = Spec::find_port(Dir, Name.view());
  if constexpr (index == npos) {
    if constexpr (Dir == direction::input) error::raise::unknown_input_port<Name>();
    else error::raise::unknown_output_port<Name>();
  }
  return index;
}

// The declared type of a port, or any_data after a reported error (so no error cascade).
template <class Spec, std::size_t Index> struct port_value_type_at { using type = any_data; };
template <class Spec, std::size_t Index>
  requires(Index != npos)
struct port_value_type_at<Spec, Index> {
  using type = typename Spec::template element<Index>::value_type;
};

// A class template, not an alias: an alias would be expanded when ports<P> is instantiated,
// while P is still incomplete.
template <class Process, direction Dir, fixed_string Name>
struct port_type_of {
  using type = typename port_value_type_at<spec_type_of<Process>,
                                           checked_port_index<spec_type_of<Process>, Dir, Name>()>::type;
};
template <class Process, direction Dir, fixed_string Name>
using port_type = typename port_type_of<Process, Dir, Name>::type;

template <class Process, direction Dir, fixed_string Name, class V>
constexpr bool check_value() {
  using T = port_type<Process, Dir, Name>;
  if constexpr (spec_type_of<Process>::find_port(Dir, Name.view()) != npos && !value_fits<T, V>()) {
    if constexpr (Dir == direction::input) error::raise::wrong_input_type<Name, T, std::remove_cvref_t<V>>();
    else error::raise::wrong_output_type<Name, T, std::remove_cvref_t<V>>();
  }
  return true;
}

// std::out_of_range "process 'p': input 'x' was not given and has no default".
[[noreturn]] TESSERA_COLD_SUPPORT TESSERA_DECL void throw_input_not_given(std::string_view process, std::string_view input);

// A copy of `values`, validated as inputs of `spec` (defaults applied); throws validation_error.
TESSERA_DECL port_values validated_inputs(const runtime_spec& spec, const port_values& values);

// The code behind in<"x">(), out<"y">(v) and set<"z">(v), one copy per value type instead of
// one per port name: the name-specific functions only check and forward, so a process's
// steps cost the compiler little more than its declaration (not inlined, for the same reason;
// each does a map lookup or an allocation anyway).
template <class T>
[[gnu::noinline]] const T& input_value(const port_values& inputs, std::string_view process, std::string_view name) {
  const any_data* value = inputs.find(name);
  if (!value) throw_input_not_given(process, name);
  if constexpr (std::is_same_v<T, any_data>) return *value;
  else return value->get<T>();
}

template <class T>
[[gnu::noinline]] const T* input_value_if(const port_values& inputs, std::string_view name) {
  const any_data* value = inputs.find(name);
  if constexpr (std::is_same_v<T, any_data>) return value;
  else return value ? &value->get<T>() : nullptr;
}

template <class T, class V>
[[gnu::noinline]] void set_value(port_values& values, std::string_view name, V&& value) {
  values.set(name, to_any<T>(std::forward<V>(value)));
}

template <class Process, fixed_string Label>
exit_code_value checked_exit() {
  if constexpr (spec_type_of<Process>::find_exit_code(Label.view()) == npos) {
    error::raise::unknown_exit_label<Label>();
    return {};
  } else {
    const exit_code_info* info = runtime_spec_of<Process>().find_exit_code(Label.view());
    return {info->status, info->label, info->message};
  }
}

}  // namespace detail

template <class Process>
class ports {
 public:
  // The value of an input: a required one, or one with a default (after validation).
  template <fixed_string Name>
  const typename detail::port_type_of<Process, direction::input, Name>::type& in() const {
    using T = detail::port_type<Process, direction::input, Name>;
    return detail::input_value<T>(inputs_, process_name_of<Process>(), Name.view());
  }

  // An optional input: nullptr when it was not given.
  template <fixed_string Name>
  const typename detail::port_type_of<Process, direction::input, Name>::type* in_if() const {
    using T = detail::port_type<Process, direction::input, Name>;
    return detail::input_value_if<T>(inputs_, Name.view());
  }

  // The values of an input namespace (e.g. a dynamic one, or the ports exposed from a child).
  template <fixed_string Name>
  const port_values& in_namespace() const {
    if constexpr (!spec_type_of<Process>::has_namespace(direction::input, Name.view())) {
      error::raise::unknown_namespace<Name>();
    }
    static const port_values empty;
    const port_values* ns = inputs_.find_namespace(Name.view());
    return ns ? *ns : empty;
  }

  template <fixed_string Name, class V>
  void out(V&& value) {
    static_assert(detail::check_value<Process, direction::output, Name, V>());
    using T = detail::port_type<Process, direction::output, Name>;
    detail::set_value<T>(outputs_, Name.view(), std::forward<V>(value));
  }

  // An output in a dynamic namespace, checked at run time when the outputs are validated.
  void out_dynamic(std::string_view dotted, any_data value) { outputs_.set(dotted, std::move(value)); }

  template <fixed_string Label>
  static exit_code_value exit() {
    return detail::checked_exit<Process, Label>();
  }

  static const runtime_spec& spec() { return runtime_spec_of<Process>(); }

  const port_values& inputs() const noexcept { return inputs_; }
  const port_values& outputs() const noexcept { return outputs_; }

  // Validates (and completes with defaults) the inputs; throws validation_error.
  void set_inputs(port_values values) {
    spec().validate_inputs(values);
    inputs_ = std::move(values);
  }
  // Checks the outputs against the spec; throws validation_error.
  void validate_outputs() { spec().validate_outputs(outputs_); }

 protected:
  port_values inputs_;
  port_values outputs_;
};

// Build a process's inputs in C++ with compile-time checked names and types.
template <class Process>
class inputs_for {
 public:
  template <fixed_string Name, class V>
  inputs_for& set(V&& value) & {
    static_assert(detail::check_value<Process, direction::input, Name, V>());
    using T = detail::port_type<Process, direction::input, Name>;
    detail::set_value<T>(values_, Name.view(), std::forward<V>(value));
    return *this;
  }
  template <fixed_string Name, class V>
  inputs_for&& set(V&& value) && {
    set<Name>(std::forward<V>(value));
    return std::move(*this);
  }

  // A key of a dynamic namespace, checked when the inputs are validated.
  inputs_for& set_dynamic(std::string_view dotted, any_data value) & {
    values_.set(dotted, std::move(value));
    return *this;
  }
  inputs_for&& set_dynamic(std::string_view dotted, any_data value) && {
    values_.set(dotted, std::move(value));
    return std::move(*this);
  }

  // The validated inputs with defaults applied; throws validation_error.
  port_values validated() const { return detail::validated_inputs(runtime_spec_of<Process>(), values_); }
  const port_values& values() const noexcept { return values_; }

 private:
  port_values values_;
};

}  // namespace tessera::spec

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include "impl/ports.ipp"
#endif
