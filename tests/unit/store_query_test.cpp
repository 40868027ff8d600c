// The query builder: the AiiDA 1.0 paper's Fig. S1 query, filters, projections, ordering,
// lazy iteration, ancestors/descendants, parameter binding (injection is harmless), errors.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include <tessera/data/data.hpp>
#include <tessera/store/query.hpp>
#include <tessera/store/store.hpp>

#include "../store/support.hpp"

namespace {

using namespace tessera;
using tessera::test::temp_dir;

node_ref add_query_process(write_tx& tx, node_kind k, std::string type = "test.proc") {
  new_node n;
  n.kind = k;
  n.type = std::move(type);
  n.state = process_state::finished;
  n.origin = {"0.1.0", "test.plugin", "1.0"};
  return tx.add_node(n);
}

node_ref add_code(write_tx& tx, std::string label) {
  new_node n;
  n.type = "core.code.installed";
  n.label = std::move(label);
  n.attributes = {{"computer", "localhost"}, {"filepath_executable", "/bin/true"}};
  return tx.add_node(n);
}

// One calcjob run with `code` on a Dict {"type": type, "threshold": threshold}, producing a
// Dict {"energy": energy} under output label `out_label`.
void add_calc(write_tx& tx, const node_ref& code, const std::string& type, double threshold, double energy,
              const std::string& out_label = "results") {
  auto calc = add_query_process(tx, node_kind::calc_job, "quantumespresso.pw");
  auto params = tx.add_data(Dict{nlohmann::json{{"type", type}, {"threshold", threshold}}});
  tx.add_link(code.pk, calc.pk, link_type::input_calc, "code");
  tx.add_link(params.pk, calc.pk, link_type::input_calc, "parameters");
  auto out = tx.add_data(Dict{nlohmann::json{{"energy", energy}}});
  tx.add_link(calc.pk, out.pk, link_type::create, out_label);
  auto other = tx.add_data(Dict{nlohmann::json{{"energy", 0.0}, {"note", "not the results"}}});
  tx.add_link(calc.pk, other.pk, link_type::create, "misc");
}

TEST(StoreQuery, PaperFigureS1) {
  temp_dir d;
  store st(d.path());
  {
    auto tx = st.begin_write();
    auto my = add_code(tx, "my-code");
    auto other = add_code(tx, "other-code");
    add_calc(tx, my, "relax", 1e-4, -148.2937);
    add_calc(tx, my, "relax", 1e-5, -287.9421);
    add_calc(tx, other, "relax", 1e-6, -1.0);           // other code
    add_calc(tx, my, "scf", 1e-7, -2.0);                // not a relaxation
    add_calc(tx, my, "relax", 1e-8, -3.0, "output");    // no "results" output
    auto wf = add_query_process(tx, node_kind::work_chain);   // a workflow using the code: not a calcjob
    tx.add_link(my.pk, wf.pk, link_type::input_work, "code");
    tx.commit();
  }
  query q(st);
  q.append(node_filter::calc_job(), "calculation")
      .append(node_filter::data_prefix("core.code"), "code")
      .with_outgoing("calculation")
      .where(col("label") == "my-code")
      .append(node_filter::data("core.dict"), "params")
      .with_outgoing("calculation")
      .where(attr("type") == "relax")
      .project(attr("threshold"))
      .append(node_filter::data("core.dict"), "results")
      .with_incoming("calculation", link_filter{}.label("results"))
      .project(attr("energy"));
  std::set<std::pair<double, double>> got;
  for (const auto& row : q.iterate()) {
    ASSERT_EQ(row.size(), 2u);
    got.emplace(row[0].get<double>(), row[1].get<double>());
  }
  EXPECT_EQ(got, (std::set<std::pair<double, double>>{{1e-4, -148.2937}, {1e-5, -287.9421}}));
  EXPECT_EQ(q.count(), 2);
  // the SQL holds no value: every filter value, path and label is a parameter
  const auto sql = q.sql();
  for (const char* v : {"my-code", "relax", "results", "threshold", "energy", "core.dict", "core.code"}) {
    EXPECT_EQ(sql.find(v), std::string::npos) << v << " spliced into:\n" << sql;
  }
}

class StoreQueryData : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tx = st_.begin_write();
    for (int i = 0; i < 10; ++i) {
      auto r = tx.add_data(Dict{nlohmann::json{{"i", i}, {"even", i % 2 == 0}, {"name", fmt::format("n{}", i)},
                                               {"nested", {{"v", i * 1.5}}}, {"opt", i < 3 ? nlohmann::json(i) : nlohmann::json(nullptr)}}},
                           fmt::format("label-{}", i));
      if (i == 4) tx.set_extra(r.pk, "tag", "special");
      pks_.push_back(r.pk);
    }
    (void)tx.add_data(Int{42}, "an int");
    tx.commit();
  }
  std::vector<std::int64_t> ints(const query& q) {
    std::vector<std::int64_t> out;
    for (const auto& row : q.all()) out.push_back(row.at(0).get<std::int64_t>());
    return out;
  }
  query dicts() {
    query q(st_);
    q.append(node_filter::data("core.dict"), "d").project(attr("i")).order_by(attr("i"));
    return q;
  }
  temp_dir dir_;
  store st_{dir_.path()};
  std::vector<std::int64_t> pks_;
};

TEST_F(StoreQueryData, ComparisonOperatorsOnAttributes) {
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(ints(dicts().where(attr("i") == 3)), (V{3}));
  EXPECT_EQ(ints(dicts().where(attr("i") != 3)).size(), 9u);
  EXPECT_EQ(ints(dicts().where(attr("i") < 2)), (V{0, 1}));
  EXPECT_EQ(ints(dicts().where(attr("i") <= 2)), (V{0, 1, 2}));
  EXPECT_EQ(ints(dicts().where(attr("i") > 7)), (V{8, 9}));
  EXPECT_EQ(ints(dicts().where(attr("i") >= 7)), (V{7, 8, 9}));
  EXPECT_EQ(ints(dicts().where(like(attr("name"), "n1%"))), (V{1}));
  EXPECT_EQ(ints(dicts().where(in(attr("i"), {1, 5, 99}))), (V{1, 5}));
  EXPECT_TRUE(ints(dicts().where(in(attr("i"), nlohmann::json::array()))).empty());
  EXPECT_EQ(ints(dicts().where(is_null(attr("opt")))).size(), 7u);
  EXPECT_EQ(ints(dicts().where(is_not_null(attr("opt")))), (V{0, 1, 2}));
  EXPECT_EQ(ints(dicts().where(attr("even") == true && attr("i") > 4)), (V{6, 8}));
  EXPECT_EQ(ints(dicts().where(attr("i") == 0 || attr("i") == 9)), (V{0, 9}));
  EXPECT_EQ(ints(dicts().where(attr("nested.v") >= 12.0)), (V{8, 9}));
  EXPECT_EQ(ints(dicts().where(is_null(attr("missing")))).size(), 10u);
}

TEST_F(StoreQueryData, FiltersOnColumnsAndExtras) {
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(ints(dicts().where(col("label") == "label-5")), (V{5}));
  EXPECT_EQ(ints(dicts().where(col("pk") == pks_[2])), (V{2}));
  EXPECT_EQ(ints(dicts().where(extra("tag") == "special")), (V{4}));
  auto u = st_.read().node(pks_[6]).id.str();
  EXPECT_EQ(ints(dicts().where(col("uuid") == u)), (V{6}));
  auto h = st_.read().node(pks_[7]).hash->hex();
  EXPECT_EQ(ints(dicts().where(col("hash") == h)), (V{7}));
  EXPECT_EQ(ints(dicts().where(col("kind") == "Data")).size(), 10u);
  query all(st_);
  all.append(node_filter::data(), "d");
  EXPECT_EQ(all.count(), 11);
  query typed(st_);
  typed.append(node_filter::data("core.int"), "d").project(attr("")).project(col("label"));
  auto rows = typed.all();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], 42);
  EXPECT_EQ(rows[0][1], "an int");
}

TEST_F(StoreQueryData, ProjectionsOrderLimitOffset) {
  query q(st_);
  q.append(node_filter::data("core.dict"), "d")
      .where(attr("i") >= 2)
      .project(col("pk"))
      .project(col("uuid"))
      .project(col("kind"))
      .project(col("hash"))
      .project(attr("nested"))
      .project(extra(""))
      .project(attr("missing"))
      .order_by(attr("i"), true)
      .limit(3)
      .offset(1);
  auto rows = q.all();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0], pks_[8]);
  EXPECT_EQ(rows[2][0], pks_[6]);
  EXPECT_EQ(rows[0][1], st_.read().node(pks_[8]).id.str());
  EXPECT_EQ(rows[0][2], "Data");
  EXPECT_EQ(rows[0][3], st_.read().node(pks_[8]).hash->hex());
  EXPECT_EQ(rows[0][4], (nlohmann::json{{"v", 12.0}}));
  EXPECT_EQ(rows[0][5], nlohmann::json::object());
  EXPECT_TRUE(rows[0][6].is_null());
}

TEST_F(StoreQueryData, IterationIsLazy) {
  query q(st_);
  q.append(node_filter::data("core.dict"), "d").order_by(col("pk"));
  auto cur = q.iterate();
  query_row row;
  ASSERT_TRUE(cur.next(row));
  EXPECT_EQ(row[0], pks_[0]);
  // a write committed meanwhile does not disturb the open cursor (WAL snapshot)
  {
    auto tx = st_.begin_write();
    (void)tx.add_data(Dict{nlohmann::json{{"i", 100}}});
    tx.commit();
  }
  int n = 1;
  while (cur.next(row)) ++n;
  EXPECT_EQ(n, 10);
  EXPECT_FALSE(cur.next(row));
  EXPECT_EQ(q.count(), 11);
}

TEST_F(StoreQueryData, InjectionAttemptsAreHarmless) {
  const std::string evil = "x' OR '1'='1'; DROP TABLE node; --";
  EXPECT_TRUE(dicts().where(col("label") == evil).all().empty());
  EXPECT_TRUE(dicts().where(attr("name") == evil).all().empty());
  EXPECT_TRUE(dicts().where(like(attr("name"), evil)).all().empty());
  EXPECT_TRUE(dicts().where(in(col("label"), {evil, "1) OR (1=1"})).all().empty());
  query q(st_);
  q.append(node_filter::data(evil), "d");
  EXPECT_TRUE(q.all().empty());
  // a hostile JSON path is only a path (an odd key that matches nothing), never SQL
  EXPECT_TRUE(dicts().where(attr("i') OR 1=1 --") == 1).all().empty());
  EXPECT_TRUE(dicts().where(is_not_null(extra("x\" OR 1=1 --"))).all().empty());
  EXPECT_EQ(st_.read().count_nodes(), 11);  // the node table is still there
  EXPECT_EQ(dicts().all().size(), 10u);
}

// A field built by hand (field is an aggregate) cannot bypass col()'s column whitelist:
// the name is checked wherever a column is rendered into the SQL text.
TEST_F(StoreQueryData, HandBuiltColumnFieldsAreChecked) {
  const field bad{field::source::column, "1); DROP TABLE node; --"};
  auto expect_rejected = [&](const query& q) {
    try {
      (void)q.all();
      ADD_FAILURE() << "no query_error for:\n" << q.sql();
    } catch (const query_error& e) {
      EXPECT_NE(std::string(e.what()).find("DROP TABLE node"), std::string::npos) << e.what();
    }
    EXPECT_THROW((void)q.count(), query_error);
    EXPECT_THROW((void)q.sql(), query_error);
  };
  expect_rejected(dicts().where(bad == 1));
  expect_rejected(dicts().where(attr("i") == 1 || is_null(bad)));
  {
    query q(st_);
    q.append(node_filter::data("core.dict"), "d").project(bad);
    expect_rejected(q);
  }
  expect_rejected(dicts().order_by(bad));
  {
    query q(st_);  // the pk-seed shortcut renders its seed conditions too
    q.append(node_filter::any(), "top").where(bad == 1).append(node_filter::any(), "x").with_ancestor("top");
    expect_rejected(q);
  }
  EXPECT_EQ(st_.read().count_nodes(), 11);  // the node table is still there
  EXPECT_EQ(dicts().all().size(), 10u);
}

TEST_F(StoreQueryData, BadQueriesAreErrors) {
  query q(st_);
  EXPECT_THROW((void)q.all(), query_error);                        // empty
  EXPECT_THROW(q.where(attr("i") == 1), query_error);              // no vertex yet
  q.append(node_filter::data(), "a");
  EXPECT_THROW(q.append(node_filter::data(), "a"), query_error);   // tag twice
  EXPECT_THROW(q.append(node_filter::data(), ""), query_error);    // empty tag
  EXPECT_THROW(q.with_incoming("nowhere"), query_error);           // unknown tag
  EXPECT_THROW(q.with_incoming("a"), query_error);                 // itself
  EXPECT_THROW((void)col("password"), query_error);                // unknown column
  EXPECT_THROW(q.project(link_label()), query_error);              // no link relation
  EXPECT_THROW(q.where(link_label() == "x"), query_error);
  EXPECT_THROW((void)in(attr("i"), 3), query_error);
  EXPECT_THROW((void)dicts().where(attr("i") == nlohmann::json{{"a", 1}}).all(), query_error);
  EXPECT_THROW((void)dicts().where(col("uuid") == "not-a-uuid").all(), store_error);
  EXPECT_THROW((void)dicts().where(col("process_state") == "runing").all(), store_error);
  q.append(node_filter::process(), "p").with_outgoing("a");
  EXPECT_THROW(q.with_incoming("a"), query_error);                 // second relation
}

TEST(StoreQuery, LinkFiltersAndLinkLabels) {
  temp_dir d;
  store st(d.path());
  node_ref w, c, x, y, out;
  {
    auto tx = st.begin_write();
    w = add_query_process(tx, node_kind::work_chain);
    c = add_query_process(tx, node_kind::calc_function);
    x = tx.add_data(Int{1});
    y = tx.add_data(Int{2});
    tx.add_link(x.pk, w.pk, link_type::input_work, "x");
    tx.add_link(w.pk, c.pk, link_type::call_calc, "CALL");
    tx.add_link(x.pk, c.pk, link_type::input_calc, "a");
    tx.add_link(y.pk, c.pk, link_type::input_calc, "b");
    out = tx.add_data(Int{3});
    tx.add_link(c.pk, out.pk, link_type::create, "sum");
    tx.add_link(w.pk, out.pk, link_type::ret, "result");
    tx.commit();
  }
  // inputs of the calculation with their labels
  query q(st);
  q.append(node_filter::calc_function(), "c")
      .append(node_filter::data("core.int"), "in")
      .with_outgoing("c", link_filter{}.type(link_type::input_calc))
      .project(link_label())
      .project(attr(""))
      .order_by(link_label());
  auto rows = q.all();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (query_row{"a", 1}));
  EXPECT_EQ(rows[1], (query_row{"b", 2}));
  // label patterns
  query q2(st);
  q2.append(node_filter::process(), "p")
      .append(node_filter::data(), "o")
      .with_incoming("p", link_filter{}.label_matching("re%"))
      .project(col("pk"));
  EXPECT_EQ(q2.all(), (std::vector<query_row>{{out.pk}}));
  // children of a workflow via CALL links, and the process list filtered by state
  query q3(st);
  q3.append(node_filter::workflow(), "w").where(col("pk") == w.pk)
      .append(node_filter::process(), "child").with_incoming("w", link_filter{}.type(link_type::call_calc).type(link_type::call_work))
      .project(col("pk")).project(col("process_state"));
  EXPECT_EQ(q3.all(), (std::vector<query_row>{{c.pk, "finished"}}));
  // a vertex with no relation is a cross product
  query q4(st);
  q4.append(node_filter::calculation(), "a").append(node_filter::workflow(), "b");
  EXPECT_EQ(q4.all(), (std::vector<query_row>{{c.pk, w.pk}}));
}

TEST(StoreQuery, AncestorsAndDescendantsAtAnyDepth) {
  temp_dir d;
  store st(d.path());
  // chain d0 -> c1 -> d1 -> c2 -> d2 -> c3 -> d3, plus a side branch d1 -> c4 -> d4
  std::vector<std::int64_t> data, calcs;
  {
    auto tx = st.begin_write();
    data.push_back(tx.add_data(Int{0}).pk);
    for (int i = 1; i <= 4; ++i) {
      const auto src = i == 4 ? data[1] : data.back();
      auto c = add_query_process(tx, node_kind::calc_function);
      tx.add_link(src, c.pk, link_type::input_calc, "x");
      auto o = tx.add_data(Int{i});
      tx.add_link(c.pk, o.pk, link_type::create, "result");
      calcs.push_back(c.pk);
      data.push_back(o.pk);
    }
    tx.commit();
  }
  auto pks = [](const std::vector<query_row>& rows) {
    std::set<std::int64_t> s;
    for (const auto& r : rows) s.insert(r.at(0).get<std::int64_t>());
    return s;
  };
  query desc(st);
  desc.append(node_filter::any(), "top").where(col("pk") == data[0]).append(node_filter::any(), "d").with_ancestor("top").project(col("pk"));
  auto want = st.read().descendants(data[0]);
  EXPECT_EQ(pks(desc.all()), std::set<std::int64_t>(want.begin(), want.end()));
  EXPECT_EQ(want.size(), 8u);
  query desc_data(st);  // only the data descendants, projecting their value
  desc_data.append(node_filter::any(), "top").where(col("pk") == data[1])
      .append(node_filter::data("core.int"), "d").with_ancestor("top").project(attr("")).order_by(attr(""));
  EXPECT_EQ(desc_data.all(), (std::vector<query_row>{{2}, {3}, {4}}));
  query anc(st);
  anc.append(node_filter::any(), "bottom").where(col("pk") == data[3])
      .append(node_filter::calculation(), "a").with_descendant("bottom").project(col("pk")).order_by(col("pk"));
  EXPECT_EQ(anc.all(), (std::vector<query_row>{{calcs[0]}, {calcs[1]}, {calcs[2]}}));
  auto a = st.read().ancestors(data[3]);
  EXPECT_EQ(a.size(), 6u);
  // several seeds at once, projecting the seed too: (seed, descendant) pairs
  query pairs(st);
  pairs.append(node_filter::data(), "top").where(in(col("pk"), {data[0], data[1]})).project(col("pk"))
      .append(node_filter::any(), "d").with_ancestor("top").project(col("pk"));
  EXPECT_EQ(pairs.count(), 8 + 6);
  std::set<std::pair<std::int64_t, std::int64_t>> seen;
  for (const auto& row : pairs.iterate()) seen.emplace(row[0].get<std::int64_t>(), row[1].get<std::int64_t>());
  EXPECT_EQ(seen.size(), 14u);
  EXPECT_TRUE(seen.contains({data[1], data[4]}));
  EXPECT_FALSE(seen.contains({data[1], data[1]}));
}

// "Descendants/ancestors of nodes given by pk" with no project(): the default projection
// (the pk of every vertex) must work in the shortcut that starts FROM the CTE, as it does
// in the general path: (seed pk, descendant pk) rows.
TEST(StoreQuery, PkSeedShortcutWithDefaultProjection) {
  temp_dir d;
  store st(d.path());
  std::vector<std::int64_t> data;
  {
    auto tx = st.begin_write();
    data.push_back(tx.add_data(Int{0}).pk);
    for (int i = 1; i <= 3; ++i) {
      auto c = add_query_process(tx, node_kind::calc_function);
      tx.add_link(data.back(), c.pk, link_type::input_calc, "x");
      auto o = tx.add_data(Int{i});
      tx.add_link(c.pk, o.pk, link_type::create, "result");
      data.push_back(o.pk);
    }
    tx.commit();
  }
  auto pairs = [](const std::vector<query_row>& rows) {
    std::set<std::pair<std::int64_t, std::int64_t>> s;
    for (const auto& r : rows) {
      EXPECT_EQ(r.size(), 2u);
      s.emplace(r.at(0).get<std::int64_t>(), r.at(1).get<std::int64_t>());
    }
    return s;
  };
  auto want_desc = st.read().descendants(data[0]);
  ASSERT_EQ(want_desc.size(), 6u);
  std::set<std::pair<std::int64_t, std::int64_t>> want;
  for (auto pk : want_desc) want.emplace(data[0], pk);

  query q(st);  // the shortcut: seed given by pk only, no projection
  q.append(node_filter::any(), "top").where(col("pk") == data[0]).append(node_filter::any(), "d").with_ancestor("top");
  EXPECT_EQ(q.count(), 6);
  EXPECT_EQ(pairs(q.all()), want);
  // the general path (the seed filtered on its kind too) gives the same rows
  query general(st);
  general.append(node_filter::data(), "top").where(col("pk") == data[0]).append(node_filter::any(), "d").with_ancestor("top");
  EXPECT_EQ(pairs(general.all()), want);
  // ancestors, with a filtered (so joined) second vertex
  query anc(st);
  anc.append(node_filter::any(), "bottom").where(col("pk") == data[3])
      .append(node_filter::data("core.int"), "a").with_descendant("bottom");
  EXPECT_EQ(anc.count(), 3);
  EXPECT_EQ(pairs(anc.all()), (std::set<std::pair<std::int64_t, std::int64_t>>{
                                  {data[3], data[0]}, {data[3], data[1]}, {data[3], data[2]}}));
}

}  // namespace
