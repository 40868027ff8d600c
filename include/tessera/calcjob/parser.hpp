#pragma once
// Parsing a calcjob's retrieved files into outputs or an exit code. A calculation class
// either defines parse() itself or names a parser plugin (group `parsers`), which
// implements tessera::parser_plugin. Exit codes are given by label: the calculation's spec
// turns the label into its status and message.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <tessera/spec/port_values.hpp>

namespace tessera::calcjob {

/// The files a job left in the `retrieved` folder, read into memory.
class retrieved_files {
 public:
  retrieved_files() = default;
  explicit retrieved_files(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  /// The content of `name`, or nullptr when the job did not leave it.
  const std::string* find(std::string_view name) const {
    auto it = files_.find(std::string(name));
    return it == files_.end() ? nullptr : &it->second;
  }
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  const std::map<std::string, std::string>& all() const noexcept { return files_; }

 private:
  std::map<std::string, std::string> files_;
};

struct parse_result {
  port_values outputs;      // emitted whatever the exit code
  std::string exit_label;   // empty: success; else a label of the calculation's spec
  std::string message;      // overrides the exit code's message when not empty

  static parse_result fail(std::string label, std::string message = {}) {
    parse_result r;
    r.exit_label = std::move(label);
    r.message = std::move(message);
    return r;
  }
};

}  // namespace tessera::calcjob

namespace tessera {

/// A parser offered by a plugin (group `parsers`): called off the event loop, with the
/// retrieved files and the calculation's inputs.
class parser_plugin {
 public:
  parser_plugin() = default;
  parser_plugin(const parser_plugin&) = delete;
  parser_plugin& operator=(const parser_plugin&) = delete;
  virtual ~parser_plugin() = default;
  [[nodiscard]] virtual calcjob::parse_result parse(const calcjob::retrieved_files& files,
                                                    const port_values& inputs) const = 0;
};

}  // namespace tessera
