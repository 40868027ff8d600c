#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <tessera/data/detail/json_config.hpp>

#include <tessera/data/error.hpp>

namespace tessera::detail {

// The JSON kind as a person would name it in an error message; nlohmann's
// type_name() says "number" for both integers and floats, which is exactly
// the distinction our errors need to make.
TESSERA_DECL std::string_view json_kind_name(const nlohmann::json& j) noexcept;

// "string \"abc\"" or "null": kind plus a dump cut short, so a huge document does not
// end up inside an exception message. Invalid UTF-8 is replaced, not thrown.
TESSERA_DECL std::string describe_json(const nlohmann::json& j, std::size_t max_chars = 64);

// "core.int expects a JSON integer, got string \"abc\""
TESSERA_DECL data_error expectation_error(std::string_view type_name, std::string_view expected,
                                          const nlohmann::json& got);

}  // namespace tessera::detail

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include <tessera/data/impl/describe_json.ipp>
#endif
