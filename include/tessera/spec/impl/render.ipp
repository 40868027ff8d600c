#pragma once
// Definitions for render.hpp.
#include <nlohmann/json.hpp>

#include "../render.hpp"

namespace tessera::spec {

namespace detail {

TESSERA_COLD_SUPPORT TESSERA_DECL nlohmann::json& namespace_slot(nlohmann::json& root, std::string_view dotted) {
  nlohmann::json* node = &root;
  for (auto dot = dotted.find('.'); dot != std::string_view::npos; dot = dotted.find('.')) {
    node = &(*node)[std::string(dotted.substr(0, dot))]["ports"];
    dotted.remove_prefix(dot + 1);
  }
  return (*node)[std::string(dotted)];
}

TESSERA_COLD_SUPPORT TESSERA_DECL nlohmann::json ports_json(const runtime_spec& s, direction dir) {
  nlohmann::json root = nlohmann::json::object();
  for (const auto& n : s.namespaces) {
    if (n.direction != dir) continue;
    auto& slot = namespace_slot(root, n.name);
    slot["namespace"] = true;
    slot["dynamic"] = n.dynamic;
    slot["required"] = n.required;
    if (!n.help.empty()) slot["help"] = n.help;
    if (!slot.contains("ports")) slot["ports"] = nlohmann::json::object();
  }
  for (const auto& p : s.ports) {
    if (p.direction != dir) continue;
    auto& slot = namespace_slot(root, p.name);
    slot["type"] = p.type_name;
    slot["required"] = p.required;
    if (p.default_value.has_value()) slot["default"] = p.default_value.serialize();
    if (p.validator) slot["validated"] = true;
    if (p.non_db) slot["non_db"] = true;
    if (!p.help.empty()) slot["help"] = p.help;
  }
  return root;
}

TESSERA_COLD_SUPPORT TESSERA_DECL void outline_markdown(const nlohmann::json& nodes, int depth, std::string& out) {
  const std::string indent(static_cast<std::size_t>(depth) * 4, ' ');
  for (const auto& n : nodes) {
    if (n.contains("step")) {
      out += indent + n["step"].get<std::string>() + "\n";
    } else if (n.contains("return")) {
      out += indent + "return" + (n["return"].is_null() ? "" : " " + n["return"].get<std::string>()) + "\n";
    } else if (n.contains("while")) {
      out += indent + "while " + n["while"].get<std::string>() + ":\n";
      outline_markdown(n["body"], depth + 1, out);
    } else if (n.contains("if")) {
      bool first = true;
      for (const auto& b : n["if"]) {
        if (b.contains("condition")) {
          out += indent + (first ? "if " : "elif ") + b["condition"].get<std::string>() + ":\n";
        } else {
          out += indent + "else:\n";
        }
        outline_markdown(b["body"], depth + 1, out);
        first = false;
      }
    }
  }
}

TESSERA_COLD_SUPPORT TESSERA_DECL std::string markdown_cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

TESSERA_COLD_SUPPORT TESSERA_DECL void ports_markdown(const runtime_spec& s, direction dir, std::string& out) {
  out += "| port | type | required | default | help |\n|---|---|---|---|---|\n";
  bool any = false;
  for (const auto& n : s.namespaces) {
    if (n.direction != dir || !n.declared) continue;
    any = true;
    out += "| `" + n.name + "` | namespace" + (n.dynamic ? " (dynamic)" : "") + " | " +
           (n.required ? "yes" : "no") + " |  | " + markdown_cell(n.help) + " |\n";
  }
  for (const auto& p : s.ports) {
    if (p.direction != dir) continue;
    any = true;
    std::string type = p.type_name + (p.non_db ? " (not stored)" : "");
    std::string def = p.default_value.has_value() ? "`" + p.default_value.serialize().dump() + "`" : "";
    out += "| `" + p.name + "` | " + type + " | " + (p.required ? "yes" : "no") + " | " + markdown_cell(def) +
           " | " + markdown_cell(p.help) + " |\n";
  }
  if (!any) out += "| (none) | | | | |\n";
}

}  // namespace detail

TESSERA_COLD_SUPPORT TESSERA_DECL nlohmann::json runtime_spec::to_json() const {
  nlohmann::json codes = nlohmann::json::array();
  for (const auto& e : exit_codes) codes.push_back({{"status", e.status}, {"label", e.label}, {"message", e.message}});
  return {{"process", process_name},
          {"inputs", detail::ports_json(*this, direction::input)},
          {"outputs", detail::ports_json(*this, direction::output)},
          {"exit_codes", codes},
          {"outline", detail::as_json(outline)}};
}

TESSERA_COLD_SUPPORT TESSERA_DECL std::string runtime_spec::to_markdown() const {
  std::string out = "# " + process_name + "\n\n## Inputs\n\n";
  detail::ports_markdown(*this, direction::input, out);
  out += "\n## Outputs\n\n";
  detail::ports_markdown(*this, direction::output, out);
  out += "\n## Exit codes\n\n| status | label | message |\n|---|---|---|\n";
  for (const auto& e : exit_codes) {
    out += "| " + std::to_string(e.status) + " | `" + e.label + "` | " + detail::markdown_cell(e.message) + " |\n";
  }
  if (!outline.empty()) {
    out += "\n## Outline\n\n```\n";
    detail::outline_markdown(detail::as_json(outline), 0, out);
    out += "```\n";
  }
  return out;
}

}  // namespace tessera::spec
