// Implementation of cli/detail/common.hpp.
#include "detail/common.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

namespace tessera::cli {

namespace fs = std::filesystem;

namespace {
fs::path env_dir(const char* var, const char* fallback_under_home) {
  if (const char* v = std::getenv(var); v && *v) return fs::path(v);
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : ".") / fallback_under_home;
}

std::chrono::milliseconds busy_timeout() {
  if (const char* v = std::getenv("TESSERA_BUSY_TIMEOUT_MS"); v && *v) {
    char* end = nullptr;
    const long ms = std::strtol(v, &end, 10);
    if (end && *end == '\0' && ms >= 0) return std::chrono::milliseconds(ms);
  }
  return std::chrono::milliseconds(2000);
}

bool is_locked_code(int code) noexcept {
  const int primary = code & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}
}  // namespace

fs::path default_profile_file() { return env_dir("XDG_CONFIG_HOME", ".config") / "tessera" / "default-profile"; }
fs::path default_profile_dir() { return env_dir("XDG_DATA_HOME", ".local/share") / "tessera" / "default"; }

fs::path resolve_profile(const globals& g) {
  fs::path dir;
  std::string from;
  if (!g.profile.empty()) {
    dir = g.profile;
    from = "--profile";
  } else if (const char* v = std::getenv("TESSERA_PROFILE"); v && *v) {
    dir = v;
    from = "TESSERA_PROFILE";
  } else {
    const auto file = default_profile_file();
    std::ifstream in(file);
    std::string line;
    if (!in || !std::getline(in, line) || line.empty()) {
      throw error("no profile selected: pass --profile DIR, set TESSERA_PROFILE, or create a default one with `tessera init`");
    }
    dir = line;
    from = fmt::format("the default profile ({})", file.string());
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || !fs::exists(dir / "tessera.db", ec)) {
    throw error(fmt::format("no tessera profile at {} (from {}): create it with `tessera init {}` or choose another with --profile",
                            dir.string(), from, dir.string()));
  }
  return dir;
}

void rethrow_store_error(const fs::path& dir) {
  try {
    throw;
  } catch (const sqlite_error& e) {
    if (is_locked_code(e.code())) {
      throw error(fmt::format("the database {} is locked by another process: retry when it lets go, or stop it "
                              "(waited {} ms; set TESSERA_BUSY_TIMEOUT_MS to wait longer)",
                              (dir / "tessera.db").string(), busy_timeout().count()),
                  exit_locked);
    }
    throw error(e.what());
  } catch (const schema_error& e) {
    throw error(fmt::format("{}: upgrade tessera to open this profile", e.what()));
  } catch (const store_error& e) {
    throw error(e.what());
  }
}

std::unique_ptr<store> open_store(const globals& g) {
  const auto dir = resolve_profile(g);
  profile_options o;
  o.busy_timeout = busy_timeout();
  o.cache_kib = 4096;
  try {
    return std::make_unique<store>(dir, o);
  } catch (const store_error&) {
    rethrow_store_error(dir);
  }
}

node_record need_node(store_reader& r, std::int64_t pk) {
  if (auto n = r.find_node(pk)) return std::move(*n);
  throw error(fmt::format("no node with pk {} in this profile: list processes with `tessera process list --all`", pk));
}

node_record need_process(store_reader& r, std::int64_t pk) {
  auto n = need_node(r, pk);
  if (!is_process(n.kind)) {
    throw error(fmt::format("node {} is a data node ({}), not a process: use `tessera node show {}`", pk, n.type, pk));
  }
  return n;
}

std::string paint(const globals& g, colour c, std::string_view s) {
  if (!g.colour || c == colour::none) return std::string(s);
  const char* code = "";
  switch (c) {
    case colour::none: break;
    case colour::bold: code = "1"; break;
    case colour::dim: code = "2"; break;
    case colour::red: code = "31"; break;
    case colour::green: code = "32"; break;
    case colour::yellow: code = "33"; break;
    case colour::blue: code = "34"; break;
  }
  return fmt::format("\033[{}m{}\033[0m", code, s);
}

std::string format_time(timestamp t) {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string state_text(const std::optional<process_state>& s, bool paused) {
  std::string out = s ? std::string(to_string(*s)) : std::string("-");
  if (paused) out += " (paused)";
  return out;
}

colour state_colour(const std::optional<process_state>& s, const std::optional<int>& exit_status) {
  if (!s) return colour::none;
  switch (*s) {
    case process_state::finished: return exit_status.value_or(0) == 0 ? colour::green : colour::red;
    case process_state::excepted:
    case process_state::killed: return colour::red;
    case process_state::created:
    case process_state::running:
    case process_state::waiting: return colour::yellow;
  }
  return colour::none;
}

void table::print(const globals& g) const {
  std::vector<std::size_t> width(headers_.size());
  for (std::size_t i = 0; i < headers_.size(); ++i) width[i] = headers_[i].size();
  for (const auto& r : rows_) {
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].text.size());
  }
  std::string out;
  auto line = [&](auto&& text_of, auto&& colour_of, std::size_t n) {
    std::string l;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& t = text_of(i);
      const bool last = i + 1 == n;
      l += paint(g, colour_of(i), t);
      if (!last) l += std::string(width[i] - t.size() + 2, ' ');
    }
    out += l;
    out += '\n';
  };
  line([&](std::size_t i) -> const std::string& { return headers_[i]; }, [](std::size_t) { return colour::bold; },
       headers_.size());
  for (const auto& r : rows_) {
    line([&](std::size_t i) -> const std::string& { return r[i].text; }, [&](std::size_t i) { return r[i].c; },
         std::min(r.size(), headers_.size()));
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

nlohmann::json links_json(const std::vector<tessera::link_record>& links, bool incoming) {
  auto a = nlohmann::json::array();
  for (const auto& l : links) {
    a.push_back({{"type", to_string(l.type)}, {"label", l.label}, {"pk", incoming ? l.input : l.output}});
  }
  return a;
}

void print_json(const nlohmann::json& j) {
  const auto s = j.dump(2) + "\n";
  std::fwrite(s.data(), 1, s.size(), stdout);
}

}  // namespace tessera::cli
