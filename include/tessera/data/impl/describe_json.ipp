#pragma once
// Definitions for detail/describe_json.hpp.
#include <nlohmann/json.hpp>

#include <tessera/data/detail/describe_json.hpp>

namespace tessera::detail {

// The JSON kind as a person would name it in an error message; nlohmann's
// type_name() says "number" for both integers and floats, which is exactly
// the distinction our errors need to make.
TESSERA_DECL std::string_view json_kind_name(const nlohmann::json& j) noexcept {
  using vt = nlohmann::json::value_t;
  switch (j.type()) {
    case vt::null: return "null";
    case vt::boolean: return "boolean";
    case vt::number_integer:
    case vt::number_unsigned: return "integer";
    case vt::number_float: return "floating-point number";
    case vt::string: return "string";
    case vt::object: return "object";
    case vt::array: return "array";
    case vt::binary: return "binary";
    case vt::discarded: return "discarded value";
  }
  return "unknown";
}

// "string \"abc\"" or "null": kind plus a dump cut short, so a huge document does not
// end up inside an exception message. Invalid UTF-8 is replaced, not thrown.
TESSERA_DECL std::string describe_json(const nlohmann::json& j, std::size_t max_chars) {
  if (j.is_null()) return "null";  // not "null null"
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > max_chars) {
    // Back up to a UTF-8 character boundary so the message stays valid text.
    std::size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0u) == 0x80u) --cut;
    text.resize(cut);
    text += "...";
  }
  std::string out(json_kind_name(j));
  out += ' ';
  out += text;
  return out;
}

// "core.int expects a JSON integer, got string \"abc\""
TESSERA_DECL data_error expectation_error(std::string_view type_name, std::string_view expected,
                                    const nlohmann::json& got) {
  std::string msg(type_name);
  msg += " expects ";
  msg += expected;
  msg += ", got ";
  msg += describe_json(got);
  return data_error(msg);
}

}  // namespace tessera::detail
