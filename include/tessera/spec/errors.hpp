#pragma once
// Compile-time diagnostics, all in one place. Each mistake is a function template in
// tessera::error::raise named after the mistake and taking the offending name, so that
// the first lines of the compiler's output are:
//
//   In instantiation of 'void tessera::error::raise::unknown_output_port() [with ... Name = ...{"resutl"}]':
//   ...
//   error: static assertion failed: tessera: no output port of this name is declared in the spec
//   note: 'tessera::error::unknown_output_port<...{"resutl"}>' evaluates to false
//
// i.e. the mistake and the name, not a page of template backtrace. A check calls at most one
// raise function, and code after it is guarded by if constexpr, so nothing else is reported.
#include "fixed_string.hpp"

namespace tessera::spec {
// What a declaration returns after reporting its mistake: process_spec ignores it, so the
// compiler reports only the mistake itself, not a cascade of errors after it.
struct invalid_element {};
}  // namespace tessera::spec

namespace tessera::error {

// The flags shown in the "evaluates to false" note; always false.
template <fixed_string Name> inline constexpr bool duplicate_port = false;
template <fixed_string Name> inline constexpr bool duplicate_namespace = false;
template <fixed_string Name> inline constexpr bool exposed_port_collides = false;
template <fixed_string Name> inline constexpr bool port_is_also_a_namespace = false;
template <fixed_string Name> inline constexpr bool invalid_port_name = false;
template <fixed_string Name, class T> inline constexpr bool port_type_is_not_a_data_type = false;
template <fixed_string Name> inline constexpr bool override_of_unknown_port = false;
template <fixed_string Name> inline constexpr bool unknown_input_port = false;
template <fixed_string Name> inline constexpr bool unknown_output_port = false;
template <fixed_string Name> inline constexpr bool unknown_namespace = false;
template <fixed_string Name, class Expected, class Given> inline constexpr bool wrong_output_type = false;
template <fixed_string Name, class Expected, class Given> inline constexpr bool wrong_input_type = false;
template <fixed_string Name, class T, class Given> inline constexpr bool default_value_does_not_convert = false;
template <fixed_string Name, class T> inline constexpr bool validator_has_wrong_signature = false;
template <fixed_string Name> inline constexpr bool unknown_exposed_port = false;
template <int Status> inline constexpr bool duplicate_exit_status = false;
template <int Status> inline constexpr bool exit_status_not_allowed = false;
template <fixed_string Label> inline constexpr bool duplicate_exit_label = false;
template <fixed_string Label> inline constexpr bool invalid_exit_label = false;
template <fixed_string Label> inline constexpr bool unknown_exit_label = false;
template <auto Member> inline constexpr bool step_is_not_a_member_function = false;
template <auto Member> inline constexpr bool step_has_wrong_signature = false;
template <auto Member> inline constexpr bool condition_has_wrong_signature = false;
template <auto Member, class Process> inline constexpr bool step_is_not_a_member_of_the_process = false;
template <class Element> inline constexpr bool not_a_spec_element = false;
template <class Element> inline constexpr bool not_an_outline_node = false;
template <class Element> inline constexpr bool more_than_one_outline = false;

namespace raise {

template <fixed_string Name> constexpr void duplicate_port() {
  static_assert(error::duplicate_port<Name>, "tessera: a port is declared twice in the spec");
}
template <fixed_string Name> constexpr void duplicate_namespace() {
  static_assert(error::duplicate_namespace<Name>, "tessera: a port namespace is declared twice in the spec");
}
template <fixed_string Name> constexpr void exposed_port_collides() {
  static_assert(error::exposed_port_collides<Name>,
                "tessera: an exposed port collides with another port of the same name; expose "
                "it into a namespace, exclude it, or replace it with override_input/override_output");
}
template <fixed_string Name> constexpr void port_is_also_a_namespace() {
  static_assert(error::port_is_also_a_namespace<Name>,
                "tessera: a name is used both for a port and for a port namespace");
}
template <fixed_string Name> constexpr void invalid_port_name() {
  static_assert(error::invalid_port_name<Name>,
                "tessera: a port or namespace name is dot-separated identifiers ([A-Za-z0-9_]), "
                "e.g. \"options.resources.num_machines\"");
}
template <fixed_string Name, class T> constexpr void port_type_is_not_a_data_type() {
  static_assert(error::port_type_is_not_a_data_type<Name, T>,
                "tessera: a port's value type must be a tessera data type (Int, Float, Bool, Str, "
                "Dict, List, any_data, or a type with a tessera::data_traits specialization)");
}
template <fixed_string Name> constexpr void override_of_unknown_port() {
  static_assert(error::override_of_unknown_port<Name>,
                "tessera: override_input/override_output names a port that is not inherited or exposed");
}
template <fixed_string Name> constexpr void unknown_input_port() {
  static_assert(error::unknown_input_port<Name>,
                "tessera: no input port of this name is declared in the spec");
}
template <fixed_string Name> constexpr void unknown_output_port() {
  static_assert(error::unknown_output_port<Name>,
                "tessera: no output port of this name is declared in the spec");
}
template <fixed_string Name> constexpr void unknown_namespace() {
  static_assert(error::unknown_namespace<Name>, "tessera: no port namespace of this name in the spec");
}
template <fixed_string Name, class Expected, class Given> constexpr void wrong_output_type() {
  static_assert(error::wrong_output_type<Name, Expected, Given>,
                "tessera: the value's type does not match the output port's declared type");
}
template <fixed_string Name, class Expected, class Given> constexpr void wrong_input_type() {
  static_assert(error::wrong_input_type<Name, Expected, Given>,
                "tessera: the value's type does not match the input port's declared type");
}
template <fixed_string Name, class T, class Given> constexpr void default_value_does_not_convert() {
  static_assert(error::default_value_does_not_convert<Name, T, Given>,
                "tessera: the default value cannot be converted to the port's type");
}
template <fixed_string Name, class T> constexpr void validator_has_wrong_signature() {
  static_assert(error::validator_has_wrong_signature<Name, T>,
                "tessera: a validator must be callable as f(const T&) and return "
                "std::optional<std::string> (the error message, or nothing)");
}
template <fixed_string Name> constexpr void unknown_exposed_port() {
  static_assert(error::unknown_exposed_port<Name>,
                "tessera: include<...>/exclude<...> names a port the exposed process does not have");
}
template <int Status> constexpr void duplicate_exit_status() {
  static_assert(error::duplicate_exit_status<Status>, "tessera: two exit codes have the same status");
}
template <int Status> constexpr void exit_status_not_allowed() {
  static_assert(error::exit_status_not_allowed<Status>,
                "tessera: exit status 0 means success and 1-99 are reserved for tessera; use 100 or more");
}
template <fixed_string Label> constexpr void duplicate_exit_label() {
  static_assert(error::duplicate_exit_label<Label>, "tessera: two exit codes have the same label");
}
template <fixed_string Label> constexpr void invalid_exit_label() {
  static_assert(error::invalid_exit_label<Label>,
                "tessera: an exit label is an identifier ([A-Za-z0-9_]), e.g. ERROR_NEGATIVE_SUM");
}
template <fixed_string Label> constexpr void unknown_exit_label() {
  static_assert(error::unknown_exit_label<Label>,
                "tessera: no exit code with this label is declared in the spec");
}
template <auto Member> constexpr void step_is_not_a_member_function() {
  static_assert(error::step_is_not_a_member_function<Member>,
                "tessera: an outline step must be a pointer to a member function of the process, "
                "e.g. step<&my_chain::setup>");
}
template <auto Member> constexpr void step_has_wrong_signature() {
  static_assert(error::step_has_wrong_signature<Member>,
                "tessera: an outline step takes no arguments and returns void, "
                "tessera::exit_code_value, or the engine's step coroutine type");
}
template <auto Member> constexpr void condition_has_wrong_signature() {
  static_assert(error::condition_has_wrong_signature<Member>,
                "tessera: an outline condition is a member function of the process that takes "
                "no arguments and returns bool");
}
template <auto Member, class Process> constexpr void step_is_not_a_member_of_the_process() {
  static_assert(error::step_is_not_a_member_of_the_process<Member, Process>,
                "tessera: an outline step or condition is a member function of another class, "
                "not of the process (or one of its bases)");
}
template <class Element> constexpr void not_a_spec_element() {
  static_assert(error::not_a_spec_element<Element>,
                "tessera: process_spec takes input/output ports, input_namespace/output_namespace, "
                "exit_code, outline and expose_inputs/expose_outputs");
}
template <class Element> constexpr void not_an_outline_node() {
  static_assert(error::not_an_outline_node<Element>,
                "tessera: an outline holds only step<&T::f>, while_<&T::c>(...), if_<&T::c>(...) "
                "and return_<\"LABEL\"> (or return_<>)");
}
template <class Element> constexpr void more_than_one_outline() {
  static_assert(error::more_than_one_outline<Element>, "tessera: a spec has at most one outline");
}

}  // namespace raise
}  // namespace tessera::error
