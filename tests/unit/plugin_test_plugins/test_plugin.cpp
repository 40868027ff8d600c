// Small plugin libraries for the registry tests, one per TEST_PLUGIN_CASE:
//   good       a transport "test.late" (installed while a registry runs, for rescan)
//   dup_a/b    both declare transport "test.dup"
//   bad_abi    built with TESSERA_PLUGIN_ABI=999, as if against another tessera
//   mismatch   a transport factory declared in group schedulers (bypassing the macro's
//              compile-time check, as a plugin built against other headers would)
#include <tessera/calcjob/transport.hpp>
#include <tessera/plugin/entry_point.hpp>

#include <stdexcept>

namespace {

class null_transport final : public tessera::calcjob::transport {
 public:
  std::string_view plugin_name() const override { return "test"; }
  void open() override {}
  void close() override {}
  bool is_open() const override { return true; }
  tessera::calcjob::command_result exec_command(std::string_view, std::optional<std::string_view>) override {
    return {0, TEST_PLUGIN_CASE, ""};
  }
  void put_file(const std::filesystem::path&, const std::string&) override {}
  void get_file(const std::string&, const std::filesystem::path&) override {}
  std::string read_file(const std::string&) override { return {}; }
  void write_file(const std::string&, std::string_view) override {}
  std::vector<std::string> listdir(const std::string&) override { return {}; }
  void makedirs(const std::string&) override {}
  bool path_exists(const std::string&) override { return false; }
  bool is_dir(const std::string&) override { return false; }
  void remove(const std::string&) override {}
  void chmod(const std::string&, std::uint32_t) override {}
};

std::unique_ptr<tessera::calcjob::transport> make_null_transport(const nlohmann::json&) {
  return std::make_unique<null_transport>();
}

}  // namespace

#if defined(TEST_PLUGIN_MISMATCH)
TESSERA_ENTRY_POINT_UNCHECKED(schedulers, TEST_PLUGIN_NAME, make_null_transport)
#else
TESSERA_ENTRY_POINT(transports, TEST_PLUGIN_NAME, make_null_transport)
#endif
