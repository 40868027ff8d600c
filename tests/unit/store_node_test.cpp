// Profile creation, nodes (data and process), immutability, extras, logs, checkpoints,
// the call journal and computers.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <tessera/data/data.hpp>
#include <tessera/store/store.hpp>

#include "../store/support.hpp"

namespace {

using namespace tessera;
using tessera::test::temp_dir;

new_node process_node(node_kind k, std::string type = "test.proc") {
  new_node n;
  n.kind = k;
  n.type = std::move(type);
  n.state = process_state::running;
  n.origin = {"0.1.0", "test.plugin", "1.2.3"};
  return n;
}

TEST(StoreProfile, OpeningAMissingDirectoryCreatesTheProfile) {
  temp_dir d;
  const auto dir = d / "a" / "b";
  {
    store st(dir);
    EXPECT_TRUE(std::filesystem::exists(dir / "tessera.db"));
    EXPECT_TRUE(std::filesystem::is_directory(dir / "repository"));
    EXPECT_EQ(st.read().count_nodes(), 0);
    auto c = st.profile().connect();
    EXPECT_EQ(c.scalar_text("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(c.scalar_int("PRAGMA user_version"), schema::current_version);
  }
  store again(dir);  // reopening an existing profile keeps it
  EXPECT_EQ(again.read().count_nodes(), 0);
}

TEST(StoreProfile, SynchronousDefaultsToNormalAndIsPersisted) {
  temp_dir d;
  {
    store st(d.path());
    EXPECT_EQ(st.profile().synchronous(), synchronous_mode::normal);
    EXPECT_EQ(st.profile().connect().scalar_int("PRAGMA synchronous"), 1);  // NORMAL
  }
  {
    profile_options o;
    o.synchronous = synchronous_mode::full;
    store st(d.path(), o);
    EXPECT_EQ(st.profile().connect().scalar_int("PRAGMA synchronous"), 2);  // FULL
  }
  store st(d.path());  // no option given: the stored setting wins
  EXPECT_EQ(st.profile().synchronous(), synchronous_mode::full);
  EXPECT_THROW((void)synchronous_mode_from_string("SOMETIMES"), store_error);
}

TEST(StoreProfile, NewerSchemaIsAClearError) {
  temp_dir d;
  { store st(d.path()); }
  {
    store_detail::connection c((d / "tessera.db").string());
    c.exec("PRAGMA user_version = 99");
  }
  try {
    store st(d.path());
    FAIL() << "opened a newer schema";
  } catch (const schema_error& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
}

TEST(StoreProfile, ForeignDatabaseIsRefused) {
  temp_dir d;
  {
    store_detail::connection c((d / "tessera.db").string());
    c.exec("CREATE TABLE node(x); INSERT INTO node VALUES (1)");
  }
  EXPECT_THROW(store st(d.path()), schema_error);
}

TEST(StoreNode, DataNodeRoundTrip) {
  temp_dir d;
  store st(d.path());
  node_ref ref;
  {
    auto tx = st.begin_write();
    ref = tx.add_data(Dict{nlohmann::json{{"a", 1}, {"b", {1, 2}}}}, "params", "some params");
    tx.commit();
  }
  auto r = st.read().node(ref.pk);
  EXPECT_EQ(r.id, ref.id);
  EXPECT_EQ(r.kind, node_kind::data);
  EXPECT_EQ(r.type, "core.dict");
  EXPECT_EQ(r.label, "params");
  EXPECT_EQ(r.description, "some params");
  EXPECT_EQ(r.attributes, (nlohmann::json{{"a", 1}, {"b", {1, 2}}}));
  ASSERT_TRUE(r.hash.has_value());
  EXPECT_EQ(*r.hash, content_hash(Dict{nlohmann::json{{"a", 1}, {"b", {1, 2}}}}));
  EXPECT_EQ(r.ctime, r.mtime);
  EXPECT_FALSE(r.state.has_value());
  EXPECT_EQ(st.read().node(ref.id).pk, ref.pk);
  EXPECT_EQ(st.read().load<Dict>(ref.pk).value["a"], 1);
  EXPECT_EQ(st.read().load_any(ref.pk).get<Dict>().value["b"][1], 2);
  EXPECT_THROW((void)st.read().load<Int>(ref.pk), store_error);
  EXPECT_THROW((void)st.read().node(ref.pk + 100), not_found_error);
  EXPECT_FALSE(st.read().find_node(uuid::generate()).has_value());
}

TEST(StoreNode, ScalarDataAndEmptyValues) {
  temp_dir d;
  store st(d.path());
  auto tx = st.begin_write();
  auto i = tx.add_data(Int{-7});
  auto s = tx.add_data(any_data(Str{"hé'llo\""}));
  auto e = tx.add_data(Dict{nlohmann::json::object()});
  tx.commit();
  auto r = st.read();
  EXPECT_EQ(r.load<Int>(i.pk).value, -7);
  EXPECT_EQ(r.load<Str>(s.pk).value, "hé'llo\"");
  EXPECT_TRUE(r.load<Dict>(e.pk).value.empty());
  EXPECT_EQ(r.node(i.pk).label, "");
}

TEST(StoreNode, ProcessNodeFields) {
  temp_dir d;
  store st(d.path());
  node_ref p;
  {
    auto tx = st.begin_write();
    p = tx.add_node(process_node(node_kind::calc_job, "core.arithmetic.add"));
    tx.set_exit(p.pk, 0, "all good");
    tx.set_process_state(p.pk, process_state::finished);
    tx.commit();
  }
  auto r = st.read().node(p.pk);
  EXPECT_EQ(r.kind, node_kind::calc_job);
  EXPECT_EQ(r.type, "core.arithmetic.add");
  EXPECT_EQ(r.state, process_state::finished);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.exit_message, "all good");
  ASSERT_TRUE(r.origin.has_value());
  EXPECT_EQ(*r.origin, (process_origin{"0.1.0", "test.plugin", "1.2.3"}));
  EXPECT_GE(r.mtime, r.ctime);
  // origins are interned: a second process of the same plugin version adds no origin row
  {
    auto tx = st.begin_write();
    (void)tx.add_node(process_node(node_kind::work_chain));
    tx.commit();
  }
  EXPECT_EQ(st.read().connection().scalar_int("SELECT count(*) FROM origin"), 1);
}

TEST(StoreNode, ProcessNodesMustRecordTheirOrigin) {
  temp_dir d;
  store st(d.path());
  auto tx = st.begin_write();
  auto n = process_node(node_kind::calc_function, "core.add");
  n.origin = {};
  try {
    (void)tx.add_node(n);
    FAIL() << "process node without tessera version stored";
  } catch (const store_error& e) {
    EXPECT_NE(std::string(e.what()).find("tessera_version"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("core.add"), std::string::npos) << e.what();
  }
  n.origin.tessera_version = "0.1.0";  // plugin name/version may be empty (e.g. a user's calcfunction)
  EXPECT_GT(tx.add_node(n).pk, 0);
}

TEST(StoreNode, TerminalProcessStatesAreFinal) {
  temp_dir d;
  store st(d.path());
  auto tx = st.begin_write();
  auto p = tx.add_node(process_node(node_kind::calc_job));
  EXPECT_EQ(tx.state_of(p.pk), process_state::running);
  tx.set_process_state(p.pk, process_state::waiting);
  tx.set_process_state(p.pk, process_state::excepted);
  tx.set_process_state(p.pk, process_state::excepted);  // same state again: fine
  try {
    tx.set_process_state(p.pk, process_state::running);
    FAIL() << "left a terminal state";
  } catch (const store_error& e) {
    EXPECT_NE(std::string(e.what()).find("terminated (excepted)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(tx.state_of(p.pk), process_state::excepted);
  EXPECT_FALSE(tx.state_of(tx.add_data(Int{1}).pk).has_value());
  EXPECT_THROW((void)tx.state_of(p.pk + 100), not_found_error);
}

TEST(StoreNode, ProcessFieldUpdatesOnDataNodesAreErrors) {
  temp_dir d;
  store st(d.path());
  auto tx = st.begin_write();
  auto x = tx.add_data(Int{1});
  EXPECT_THROW(tx.set_process_state(x.pk, process_state::running), store_error);
  EXPECT_THROW(tx.set_exit(x.pk, 1), store_error);
  EXPECT_THROW(tx.set_process_state(x.pk + 50, process_state::running), not_found_error);
}

TEST(StoreNode, BadInputIsRejectedAndLosesNothing) {
  temp_dir d;
  store st(d.path());
  const auto id = uuid::generate();
  {
    auto tx = st.begin_write();
    new_node n;
    n.type = "core.int";
    n.attributes = 1;
    n.id = id;
    (void)tx.add_node(n);
    tx.commit();
  }
  {
    auto tx = st.begin_write();
    (void)tx.add_data(Int{2});
    new_node dup;
    dup.type = "core.int";
    dup.id = id;
    try {
      (void)tx.add_node(dup);
      FAIL() << "duplicate uuid accepted";
    } catch (const store_error& e) {
      EXPECT_NE(std::string(e.what()).find(id.str()), std::string::npos) << e.what();
    }
    new_node empty;
    EXPECT_THROW((void)tx.add_node(empty), store_error);  // empty type name
    EXPECT_THROW((void)tx.add_data(any_data{}), store_error);
    // the caller gives up: the transaction rolls back, the earlier node is intact
  }
  EXPECT_EQ(st.read().count_nodes(), 1);
  EXPECT_EQ(st.read().load<Int>(1).value, 1);
}

TEST(StoreNode, UncommittedTransactionRollsBack) {
  temp_dir d;
  store st(d.path());
  {
    auto tx = st.begin_write();
    (void)tx.add_data(Int{1});
  }
  {
    auto tx = st.begin_write();
    (void)tx.add_data(Int{2});
    tx.rollback();
    EXPECT_THROW((void)tx.add_data(Int{3}), store_error);  // ended
    EXPECT_THROW(tx.commit(), store_error);
  }
  EXPECT_EQ(st.read().count_nodes(), 0);
}

TEST(StoreNode, DataAttributesAreImmutable) {
  temp_dir d;
  store st(d.path());
  auto tx = st.begin_write();
  auto x = tx.add_data(Dict{nlohmann::json{{"a", 1}}});
  try {
    tx.set_attribute(x.pk, "a", 2);
    FAIL() << "changed an attribute of a stored data node";
  } catch (const immutable_node_error& e) {
    EXPECT_NE(std::string(e.what()).find(fmt::format("node {}", x.pk)), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'a'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tx.set_hash(x.pk, digest{}), immutable_node_error);
  // also enforced below the API, by trigger
  EXPECT_THROW(tx.connection().exec(fmt::format("UPDATE node SET attributes = '{{}}' WHERE pk = {}", x.pk)), sqlite_error);
  EXPECT_THROW(tx.connection().exec(fmt::format("UPDATE node SET type = 'core.str' WHERE pk = {}", x.pk)), sqlite_error);
  EXPECT_THROW(tx.connection().exec(fmt::format("UPDATE node SET uuid = randomblob(16) WHERE pk = {}", x.pk)), sqlite_error);
  tx.commit();
  EXPECT_EQ(st.read().node(x.pk).attributes, (nlohmann::json{{"a", 1}}));
}

TEST(StoreNode, ProcessAttributesMutableUntilTerminated) {
  temp_dir d;
  store st(d.path());
  auto tx = st.begin_write();
  auto p = tx.add_node(process_node(node_kind::calc_job));
  tx.set_attribute(p.pk, "job_id", "1234");
  digest h;
  h.bytes[0] = 7;
  tx.set_hash(p.pk, h);
  tx.set_process_state(p.pk, process_state::finished);
  EXPECT_THROW(tx.set_attribute(p.pk, "job_id", "5678"), immutable_node_error);
  EXPECT_THROW(tx.set_hash(p.pk, digest{}), immutable_node_error);
  tx.commit();
  auto r = st.read().node(p.pk);
  EXPECT_EQ(r.attributes["job_id"], "1234");
  EXPECT_EQ(r.hash, h);
  EXPECT_EQ(st.read().processes_with_hash(h), std::vector<std::int64_t>{p.pk});
}

TEST(StoreNode, SetAttributesChangesSeveralAtOnceUnderTheSameRules) {
  temp_dir d;
  store st(d.path());
  auto tx = st.begin_write();
  auto p = tx.add_node(process_node(node_kind::calc_job));
  tx.set_attribute(p.pk, "kept", 1);
  tx.set_attribute(p.pk, "job_id", "old");
  tx.set_attributes(p.pk, nlohmann::json{{"job_id", "1234"}, {"remote_workdir", "/scratch/a b"}, {"nested", {{"x", 1}}}});
  EXPECT_EQ(tx.node(p.pk).attributes,
            (nlohmann::json{{"kept", 1}, {"job_id", "1234"}, {"remote_workdir", "/scratch/a b"}, {"nested", {{"x", 1}}}}));
  // A nested object replaces the attribute whole (no merge), as set_attribute does.
  tx.set_attributes(p.pk, nlohmann::json{{"nested", {{"y", 2}}}});
  EXPECT_EQ(tx.node(p.pk).attributes["nested"], (nlohmann::json{{"y", 2}}));
  const auto message = [](auto&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  // Not an object: refused, naming the node and what was given.
  const auto not_object = message([&] { tx.set_attributes(p.pk, nlohmann::json::array({1, 2})); });
  EXPECT_NE(not_object.find(fmt::format("node {}", p.pk)), std::string::npos) << not_object;
  EXPECT_NE(not_object.find("JSON object, not array"), std::string::npos) << not_object;
  // A node that does not exist.
  const auto missing = message([&] { tx.set_attributes(p.pk + 1000, nlohmann::json{{"a", 1}}); });
  EXPECT_NE(missing.find(fmt::format("node {}: it does not exist", p.pk + 1000)), std::string::npos) << missing;
  EXPECT_THROW(tx.set_attributes(p.pk + 1000, nlohmann::json{{"a", 1}}), not_found_error);
  // A data node: immutable, the keys named.
  auto x = tx.add_data(Dict{nlohmann::json{{"a", 1}}});
  EXPECT_THROW(tx.set_attributes(x.pk, nlohmann::json{{"a", 2}, {"b", 3}}), immutable_node_error);
  const auto data = message([&] { tx.set_attributes(x.pk, nlohmann::json{{"a", 2}, {"b", 3}}); });
  EXPECT_NE(data.find("set attributes 'a', 'b' of"), std::string::npos) << data;
  // A terminated process: sealed, nothing changed.
  tx.set_process_state(p.pk, process_state::finished);
  const auto sealed = message([&] { tx.set_attributes(p.pk, nlohmann::json{{"job_id", "5678"}}); });
  EXPECT_NE(sealed.find("set attribute 'job_id' of"), std::string::npos) << sealed;
  EXPECT_NE(sealed.find("has terminated (finished)"), std::string::npos) << sealed;
  tx.commit();
  EXPECT_EQ(st.read().node(p.pk).attributes["job_id"], "1234");
  EXPECT_EQ(st.read().node(x.pk).attributes, (nlohmann::json{{"a", 1}}));
}

TEST(StoreNode, ExtrasLabelAndDescriptionStayMutable) {
  temp_dir d;
  store st(d.path());
  node_ref x;
  {
    auto tx = st.begin_write();
    x = tx.add_data(Int{5});
    tx.commit();
  }
  {
    auto tx = st.begin_write();
    tx.set_extra(x.pk, "tag", "good");
    tx.set_extra(x.pk, "score", 3.5);
    tx.remove_extra(x.pk, "score");
    tx.set_label(x.pk, "five");
    tx.set_description(x.pk, "the number five");
    EXPECT_THROW(tx.set_label(x.pk + 9, "nope"), not_found_error);
    tx.commit();
  }
  auto r = st.read().node(x.pk);
  EXPECT_EQ(r.extras, (nlohmann::json{{"tag", "good"}}));
  EXPECT_EQ(r.label, "five");
  EXPECT_EQ(r.description, "the number five");
  EXPECT_GE(r.mtime, r.ctime);
  EXPECT_EQ(r.attributes, 5);
}

TEST(StoreNode, RecentProcessesNewestFirstWithState) {
  temp_dir d;
  store st(d.path());
  std::vector<std::int64_t> procs;
  {
    auto tx = st.begin_write();
    for (int i = 0; i < 60; ++i) {
      auto n = process_node(i % 2 ? node_kind::calc_function : node_kind::work_chain);
      n.ctime = timestamp(std::chrono::microseconds(1'000'000 + i));
      procs.push_back(tx.add_node(n).pk);
      (void)tx.add_data(Int{i});
    }
    tx.set_process_state(procs.back(), process_state::waiting);
    tx.commit();
  }
  auto list = st.read().recent_processes(50);
  ASSERT_EQ(list.size(), 50u);
  EXPECT_EQ(list.front().pk, procs.back());
  EXPECT_EQ(list.front().state, process_state::waiting);
  EXPECT_EQ(list[1].pk, procs[58]);
  EXPECT_EQ(list[1].state, process_state::running);
  EXPECT_EQ(list.back().pk, procs[10]);
  // the query uses the partial index, not a table scan
  auto plan = st.read().connection().prepare(
      "EXPLAIN QUERY PLAN SELECT pk, process_state FROM node WHERE kind > 0 ORDER BY ctime DESC, pk DESC LIMIT 50");
  std::string text;
  while (plan.step()) text += std::string(plan.text(3)) + "\n";
  EXPECT_NE(text.find("node_process_ctime"), std::string::npos) << text;
}

TEST(StoreLog, ReportsAttachToAProcess) {
  temp_dir d;
  store st(d.path());
  auto tx = st.begin_write();
  auto p = tx.add_node(process_node(node_kind::work_chain));
  tx.add_log(p.pk, log_level::report, "step 1 done");
  tx.add_log(p.pk, log_level::warning, "odd value", nlohmann::json{{"value", 3}});
  EXPECT_THROW(tx.add_log(p.pk + 10, log_level::report, "lost"), not_found_error);
  tx.commit();
  auto logs = st.read().logs(p.pk);
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(logs[0].message, "step 1 done");
  EXPECT_EQ(logs[0].level, log_level::report);
  EXPECT_EQ(logs[1].metadata["value"], 3);
  EXPECT_LE(logs[0].time, logs[1].time);
  EXPECT_EQ(to_string(logs[1].level), "WARNING");
}

TEST(StoreCheckpoint, OneCurrentCheckpointRemovedOnTermination) {
  temp_dir d;
  store st(d.path());
  auto tx = st.begin_write();
  auto p = tx.add_node(process_node(node_kind::work_chain));
  auto x = tx.add_data(Int{1});
  tx.set_checkpoint(p.pk, std::string("step-1\0binary", 13));
  tx.set_checkpoint(p.pk, "step-2");
  EXPECT_EQ(tx.checkpoint(p.pk), "step-2");
  EXPECT_EQ(tx.connection().scalar_int("SELECT count(*) FROM checkpoint"), 1);
  EXPECT_THROW(tx.set_checkpoint(x.pk, "nope"), store_error);          // data node
  EXPECT_THROW(tx.set_checkpoint(p.pk + 99, "nope"), not_found_error);  // missing
  tx.set_process_state(p.pk, process_state::killed);
  EXPECT_FALSE(tx.checkpoint(p.pk).has_value());
  EXPECT_THROW(tx.set_checkpoint(p.pk, "late"), store_error);  // terminated
  tx.commit();
  EXPECT_EQ(st.read().connection().scalar_int("SELECT count(*) FROM checkpoint"), 0);
}

TEST(StoreCheckpoint, BinaryCheckpointSurvivesReopen) {
  temp_dir d;
  std::string blob(1000, '\0');
  for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>(i * 7);
  std::int64_t pk = 0;
  {
    store st(d.path());
    auto tx = st.begin_write();
    pk = tx.add_node(process_node(node_kind::work_chain)).pk;
    tx.set_checkpoint(pk, blob);
    tx.clear_checkpoint(pk);
    tx.set_checkpoint(pk, blob);
    tx.commit();
  }
  store st(d.path());
  EXPECT_EQ(st.read().checkpoint(pk), blob);
}

TEST(StoreJournal, CallJournalMapsParentStepSequenceToChild) {
  temp_dir d;
  store st(d.path());
  auto tx = st.begin_write();
  auto w = tx.add_node(process_node(node_kind::work_chain));
  auto c1 = tx.add_node(process_node(node_kind::calc_function));
  auto c2 = tx.add_node(process_node(node_kind::calc_function));
  tx.journal_call(w.pk, 0, 0, c1.pk);
  tx.journal_call(w.pk, 0, 1, c2.pk);
  tx.journal_call(w.pk, 0, 0, c1.pk);  // replay of the same call: fine
  try {
    tx.journal_call(w.pk, 0, 0, c2.pk);
    FAIL() << "conflicting journal entry accepted";
  } catch (const store_error& e) {
    EXPECT_NE(std::string(e.what()).find("not deterministic"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tx.journal_call(w.pk, 1, 0, 9999), not_found_error);
  tx.commit();
  auto r = st.read();
  EXPECT_EQ(r.journaled_call(w.pk, 0, 1), c2.pk);
  EXPECT_FALSE(r.journaled_call(w.pk, 1, 0).has_value());
  EXPECT_EQ(r.journal(w.pk), (std::vector<journal_entry>{{w.pk, 0, 0, c1.pk}, {w.pk, 0, 1, c2.pk}}));
}

TEST(StoreComputer, AddAndFindComputers) {
  temp_dir d;
  store st(d.path());
  computer_spec c;
  c.label = "localhost";
  c.hostname = "localhost";
  c.transport = "core.local";
  c.scheduler = "core.direct";
  c.workdir = "/tmp/tessera-work";
  c.settings = {{"mpirun_command", {"mpirun", "-np", "{tot_num_mpiprocs}"}}};
  {
    auto tx = st.begin_write();
    auto r = tx.add_computer(c);
    EXPECT_GT(r.pk, 0);
    EXPECT_THROW((void)tx.add_computer(c), store_error);  // duplicate label
    auto bad = c;
    bad.label = "x";
    bad.hostname = "";
    EXPECT_THROW((void)tx.add_computer(bad), store_error);
    bad.hostname = "h";
    bad.scheduler = "";
    EXPECT_THROW((void)tx.add_computer(bad), store_error);
    bad.scheduler = "core.direct";
    bad.settings = 3;
    EXPECT_THROW((void)tx.add_computer(bad), store_error);
    bad.label = "";
    EXPECT_THROW((void)tx.add_computer(bad), store_error);
    tx.commit();
  }
  auto r = st.read().computer("localhost");
  EXPECT_EQ(r.transport, "core.local");
  EXPECT_EQ(r.settings["mpirun_command"][2], "{tot_num_mpiprocs}");
  EXPECT_THROW((void)st.read().computer("nowhere"), not_found_error);
}

}  // namespace
