#pragma once
// What a calculation's prepare() produces: the input files of the job (a sandbox, held in
// memory and written to the remote working directory by the upload task) and a calc_info
// saying which command to run and which files to bring back. Plain data, so it can be
// checkpointed: after the upload, a restart needs no second prepare().
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/data/singlefile.hpp>

namespace tessera::calcjob {

/// The input files of one job, by path relative to its working directory.
class sandbox {
 public:
  /// Adds (or replaces) file `name`; refuses absolute paths and "..".
  void write(std::string_view name, std::string content) {
    if (!is_safe_relative_path(name)) {
      throw std::invalid_argument(fmt::format("sandbox: '{}' is not a relative path inside the working directory", name));
    }
    files_[std::string(name)] = std::move(content);
  }
  const std::map<std::string, std::string>& files() const noexcept { return files_; }

 private:
  std::map<std::string, std::string> files_;
};

struct calc_info {
  /// Arguments after the code's executable (the executable itself comes from the code).
  std::vector<std::string> cmdline_params;
  std::string stdin_name;   // relative to the working directory; empty: none
  std::string stdout_name;  // empty: the scheduler's output file
  std::string stderr_name;
  bool join_stderr = false;
  /// Files (relative paths) copied back after the job, into the `retrieved` output.
  std::vector<std::string> retrieve_list;

  nlohmann::json to_json() const {
    return {{"cmdline_params", cmdline_params}, {"stdin_name", stdin_name}, {"stdout_name", stdout_name},
            {"stderr_name", stderr_name},       {"join_stderr", join_stderr}, {"retrieve_list", retrieve_list}};
  }
  static calc_info from_json(const nlohmann::json& j) {
    calc_info c;
    c.cmdline_params = j.at("cmdline_params").get<std::vector<std::string>>();
    c.stdin_name = j.at("stdin_name").get<std::string>();
    c.stdout_name = j.at("stdout_name").get<std::string>();
    c.stderr_name = j.at("stderr_name").get<std::string>();
    c.join_stderr = j.at("join_stderr").get<bool>();
    c.retrieve_list = j.at("retrieve_list").get<std::vector<std::string>>();
    return c;
  }
};

}  // namespace tessera::calcjob
