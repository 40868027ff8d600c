#pragma once
// A spec renders itself: JSON for tools (`tessera spec show NAME --json`) and Markdown for
// people, so a process's documentation can never drift from its interface.
#include <string>
#include <string_view>

#include "../data/detail/json_config.hpp"

#include "detail/config.hpp"
#include "runtime_spec.hpp"

namespace tessera::spec {

namespace detail {

TESSERA_COLD_SUPPORT TESSERA_DECL nlohmann::json& namespace_slot(nlohmann::json& root, std::string_view dotted);
TESSERA_COLD_SUPPORT TESSERA_DECL nlohmann::json ports_json(const runtime_spec& s, direction dir);
TESSERA_COLD_SUPPORT TESSERA_DECL void outline_markdown(const nlohmann::json& nodes, int depth, std::string& out);
TESSERA_COLD_SUPPORT TESSERA_DECL std::string markdown_cell(std::string text);
TESSERA_COLD_SUPPORT TESSERA_DECL void ports_markdown(const runtime_spec& s, direction dir, std::string& out);

}  // namespace detail

// runtime_spec::to_json() and to_markdown() are defined with these.

}  // namespace tessera::spec

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include "impl/render.ipp"
#endif
