#pragma once
// Pause, play and kill processes by pk from any program that opens the profile (the CLI,
// another runner, a script). Each is one transaction followed by a wake-up of the runners
// watching the profile. Kill needs no runner at all: it marks the process and every live
// process it called (transitively) killed, so it works when the runner is gone; a runner
// that still holds the process finds it killed at its next commit and drops it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <tessera/engine/detail/notifier.hpp>
#include <tessera/spec/exit_code.hpp>
#include <tessera/store/store.hpp>

namespace tessera {

/// Exit status recorded for killed processes (tessera's built-in KILLED exit code).
inline constexpr int killed_exit_status = 20;

class process_control_error : public store_error {
 public:
  using store_error::store_error;
};

namespace engine_detail {
inline process_state live_state_or_throw(store_reader& r, std::int64_t pk, std::string_view action) {
  std::optional<process_state> s;
  try {
    s = r.state_of(pk);
  } catch (const not_found_error&) {
    throw process_control_error(fmt::format("cannot {} process {}: no node with that pk", action, pk));
  }
  if (!s) throw process_control_error(fmt::format("cannot {} {}: it is a data node, not a process", action, r.describe(pk)));
  if (is_terminal(*s)) {
    throw process_control_error(fmt::format("cannot {} {}: it has already terminated ({})", action, r.describe(pk), to_string(*s)));
  }
  return *s;
}

// Marks `pk` and its live descendants killed inside `tx`; returns them, `pk` first.
inline std::vector<std::int64_t> kill_in(write_tx& tx, std::int64_t pk, std::string_view message) {
  (void)live_state_or_throw(tx, pk, "kill");
  std::vector<std::int64_t> order{pk};
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (auto c : tx.children(order[i])) {
      auto s = tx.state_of(c);
      if (s && !is_terminal(*s)) order.push_back(c);
    }
  }
  for (auto p : order) {
    tx.terminate(p, process_state::killed, killed_exit_status, p == pk ? message : fmt::format("killed with its caller: {}", message));
  }
  return order;
}
}  // namespace engine_detail

/// Kills process `pk` and every live process below it; returns the killed pks.
inline std::vector<std::int64_t> kill_process(store& st, std::int64_t pk, std::string_view message = "killed by user") {
  auto killed = st.write([&](write_tx& tx) { return engine_detail::kill_in(tx, pk, message); });
  engine_detail::notify_profile(st.profile().directory());
  return killed;
}

/// Pauses live process `pk`: it finishes the step it is in and starts no further step and
/// no further child until played.
inline void pause_process(store& st, std::int64_t pk, std::string_view message = "paused by user") {
  st.write([&](write_tx& tx) {
    (void)engine_detail::live_state_or_throw(tx, pk, "pause");
    tx.set_paused(pk, true, message);
  });
  engine_detail::notify_profile(st.profile().directory());
}

inline void play_process(store& st, std::int64_t pk) {
  st.write([&](write_tx& tx) {
    (void)engine_detail::live_state_or_throw(tx, pk, "play");
    tx.set_paused(pk, false);
  });
  engine_detail::notify_profile(st.profile().directory());
}

/// Marks a finished calculation as unusable as a cache source (its hash stays recorded).
inline void invalidate_cache(store& st, std::int64_t pk) {
  st.write([&](write_tx& tx) {
    auto k = tx.kind_of(pk);
    if (!is_calculation(k)) {
      throw process_control_error(fmt::format("cannot invalidate caching of {}: not a calculation", tx.describe(pk)));
    }
    tx.set_extra(pk, "cache_invalid", true);
  });
}

}  // namespace tessera
