// The program the fault test kills: it resumes whatever the profile holds, submits the
// chains not yet submitted, runs everything to the end, and exits 0 when all finished.
//   tessera_fault_driver PROFILE_DIR
#include <cstdio>

#include "fault_chains.hpp"

using namespace tessera;
using namespace tessera::fault;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PROFILE_DIR\n", argv[0]);
    return 2;
  }
  store st(argv[1]);
  runner r(st);
  r.resume_all();
  // Top-level chains are submitted in this order, one durable transaction each: the number
  // already in the store says where to go on.
  auto top_level = [&] {
    auto lease = st.read();
    return lease.connection().scalar_int(
        "SELECT count(*) FROM node n WHERE n.kind = 4 AND NOT EXISTS "
        "(SELECT 1 FROM link l WHERE l.output = n.pk AND l.type IN (5, 6))");
  };
  const auto done = top_level();
  for (std::int64_t i = done; i < 4; ++i) {
    switch (i) {
      case 0: (void)submit<nested>(r, spec::inputs_for<nested>().set<"n">(4).validated()); break;
      case 1: (void)submit<parallel>(r, spec::inputs_for<parallel>().set<"n">(5).validated()); break;
      case 2: (void)submit<loop_branch>(r, spec::inputs_for<loop_branch>().set<"n">(12).set<"seed">(1).validated()); break;
      default: (void)submit<nested>(r, spec::inputs_for<nested>().set<"n">(3).validated()); break;
    }
  }
  r.wait_idle();
  auto lease = st.read();
  auto bad = lease.connection().scalar_int(
      "SELECT count(*) FROM node WHERE kind > 0 AND (process_state != 'finished' OR exit_status != 0)");
  if (bad != 0) {
    std::fprintf(stderr, "%lld processes did not finish well:\n", static_cast<long long>(bad));
    auto q = lease.connection().prepare(
        "SELECT pk, type, process_state, exit_status, exit_message FROM node WHERE kind > 0 AND "
        "(process_state != 'finished' OR exit_status != 0)");
    while (q.step()) {
      std::fprintf(stderr, "  %lld %s %s %lld %s\n", static_cast<long long>(q.int64(0)), std::string(q.text(1)).c_str(),
                   std::string(q.text(2)).c_str(), static_cast<long long>(q.is_null(3) ? -1 : q.int64(3)),
                   q.is_null(4) ? "" : std::string(q.text(4)).c_str());
    }
    return 1;
  }
  return 0;
}
