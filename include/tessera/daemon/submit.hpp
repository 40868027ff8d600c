#pragma once
// Submitting a work chain to a profile's daemon from any C++ program:
//
//   tessera::store st("profile");
//   auto pk = tessera::submit<my_chain>(st, tessera::spec::inputs_for<my_chain>().set<"n">(10));
//
// One transaction stores the process (state created, its inputs linked, a checkpoint at
// its first step) and hands it to the daemon's queue; then idle workers are woken through
// the profile's "queue" channel (inotify), so a submission starts within milliseconds, not
// at the next poll. The daemon's workers must know the type: their program lists it in
// tessera::daemon::worker_main<...>.
// `tessera::run<P>(runner, inputs)` (work_chain.hpp) is the in-process, blocking way.
#include <cstdint>
#include <filesystem>
#include <vector>

#include <tessera/engine/detail/notifier.hpp>
#include <tessera/engine/work_chain.hpp>
#include <tessera/store/store.hpp>

namespace tessera {

namespace daemon_detail {
/// The channel workers watch for new submissions and released roots.
inline constexpr std::string_view queue_channel = "queue";

template <class P>
std::vector<std::int64_t> enqueue_all(store& st, std::vector<port_values> inputs) {
  using namespace engine_detail;
  std::vector<launch_spec> specs;
  specs.reserve(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    try {
      specs.push_back(std::move(prepare_launch<P>(std::move(inputs[i])).ls));
    } catch (const spec::validation_error& e) {
      if (inputs.size() == 1) throw;
      throw spec::validation_error(e.process(), fmt::format("inputs (set {} of {})", i, inputs.size()), e.problems());
    }
  }
  auto pks = st.write([&](write_tx& tx) {
    std::vector<std::int64_t> out;
    out.reserve(specs.size());
    for (const auto& ls : specs) {
      out.push_back(create_process(tx, ls).pk);
      tx.enqueue(out.back());
    }
    return out;
  });
  notify_profile(st.profile().directory(), queue_channel);
  return pks;
}
}  // namespace daemon_detail

/// Hands work chain P with validated `inputs` to the profile's daemon; returns its pk once
/// it is durably queued. Nothing runs in this program.
template <class P>
std::int64_t submit(store& st, port_values inputs) {
  std::vector<port_values> one;
  one.push_back(std::move(inputs));
  return daemon_detail::enqueue_all<P>(st, std::move(one)).front();
}
template <class P>
std::int64_t submit(store& st, const spec::inputs_for<P>& inputs) {
  return submit<P>(st, inputs.values());
}
/// As submit(store&, ...), opening the profile for the call. The profile must exist (a
/// mistyped path must not create an empty profile no daemon serves).
template <class P>
std::int64_t submit(const std::filesystem::path& profile, const spec::inputs_for<P>& inputs) {
  if (!std::filesystem::exists(profile / "tessera.db")) {
    throw store_error(fmt::format("cannot submit {} to profile {}: no profile there (create it with `tessera init {}`)",
                                  spec::process_name_of<P>(), profile.string(), profile.string()));
  }
  store st(profile);
  return submit<P>(st, inputs.values());
}

/// Many submissions in one transaction; every input set is validated first (the error
/// names the index of the bad one) and nothing is queued if one is invalid.
template <class P>
std::vector<std::int64_t> submit_all(store& st, const std::vector<spec::inputs_for<P>>& inputs) {
  std::vector<port_values> values;
  values.reserve(inputs.size());
  for (const auto& i : inputs) values.push_back(i.values());
  return daemon_detail::enqueue_all<P>(st, std::move(values));
}

}  // namespace tessera
