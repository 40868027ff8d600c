// A spec renders to JSON and to Markdown.
#include <gtest/gtest.h>

#include "spec_test_processes.hpp"

using namespace tessera;
using nlohmann::json;

TEST(spec_render, json_has_nested_ports_exit_codes_and_outline) {
  const json j = spec::runtime_spec_of<spec_test::add_multiply>().to_json();
  EXPECT_EQ(j["process"], "test.add_multiply");
  EXPECT_EQ(j["inputs"]["x"], json({{"type", "core.int"}, {"required", true}, {"help", "the first addend"}}));
  EXPECT_EQ(j["inputs"]["z"], json({{"type", "core.int"}, {"required", true}, {"default", 1}, {"validated", true}}));
  EXPECT_EQ(j["inputs"]["label"]["non_db"], true);
  EXPECT_EQ(j["inputs"]["label"]["required"], false);
  const json& advanced = j["inputs"]["options"]["ports"]["advanced"];
  EXPECT_EQ(advanced["namespace"], true);
  EXPECT_EQ(advanced["dynamic"], true);
  EXPECT_EQ(advanced["required"], false);
  EXPECT_EQ(advanced["help"], "free-form settings");
  EXPECT_EQ(j["inputs"]["options"]["ports"]["retries"]["default"], 3);
  EXPECT_EQ(j["outputs"]["details"]["ports"]["sum"]["type"], "core.int");
  EXPECT_EQ(j["exit_codes"].back(), json({{"status", 410}, {"label", "ERROR_NEGATIVE_SUM"}, {"message", "the sum was negative"}}));
  const json outline = json::parse(R"([
    {"step": "add"},
    {"if": [{"condition": "is_negative", "body": [{"return": "ERROR_NEGATIVE_SUM"}]}]},
    {"step": "multiply"}])");
  EXPECT_EQ(j["outline"], outline);
}

TEST(spec_render, markdown_documents_the_process) {
  const std::string md = spec::runtime_spec_of<spec_test::add_multiply>().to_markdown();
  const std::string expected_parts[] = {
      "# test.add_multiply\n",
      "## Inputs\n\n| port | type | required | default | help |\n|---|---|---|---|---|\n",
      "| `options.advanced` | namespace (dynamic) | no |  | free-form settings |\n",
      "| `x` | core.int | yes |  | the first addend |\n",
      "| `z` | core.int | yes | `1` |  |\n",
      "| `label` | core.str (not stored) | no |  |  |\n",
      "## Outputs\n",
      "| `details.sum` | core.int | no |  |  |\n",
      "| 410 | `ERROR_NEGATIVE_SUM` | the sum was negative |\n",
      "## Outline\n\n```\nadd\nif is_negative:\n    return ERROR_NEGATIVE_SUM\nmultiply\n```\n",
  };
  for (const auto& part : expected_parts) EXPECT_NE(md.find(part), std::string::npos) << "missing:\n" << part << "\nin:\n" << md;
}

TEST(spec_render, a_process_without_a_name_uses_its_cpp_type_name) {
  struct unnamed_local {
    static auto define() { return spec::process_spec(spec::input<"a", Int>()); }
  };
  EXPECT_NE(spec::runtime_spec_of<unnamed_local>().process_name.find("unnamed_local"), std::string::npos);
}
