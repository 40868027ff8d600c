#pragma once
// A typed query builder over the provenance graph (AiiDA's QueryBuilder, in C++).
//
//   query q(st);
//   q.append(node_filter::calc_job(), "calc")
//    .append(node_filter::data_prefix("core.code"), "code").with_outgoing("calc")
//        .where(col("label") == "my-code")
//    .append(node_filter::data("core.dict"), "params").with_outgoing("calc")
//        .where(attr("type") == "relax").project(attr("threshold"))
//    .append(node_filter::data("core.dict"), "out")
//        .with_incoming("calc", link_filter{}.label("results")).project(attr("energy"));
//   for (const query_row& row : q.iterate()) { ... row[0], row[1] ... }   // lazy
//
// append() adds a vertex (a node matched by kind/type) with a tag; the calls after it
// (with_incoming/with_outgoing/with_ancestor/with_descendant, where, project, order_by) apply
// to that vertex and relate it to an EARLIER tag. Filters work on columns (col) and on JSON
// paths into attributes (attr) and extras (extra): ==, !=, <, <=, >, >=, like, in, is_null,
// combined with && / ||. Ancestors/descendants follow the data provenance (INPUT_CALC and
// CREATE links) through a recursive CTE, at any depth.
//
// Every value, JSON path, type name and link label is bound as an SQL parameter; the SQL
// text holds only identifiers chosen from fixed lists. query::sql() shows it.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/store/error.hpp>
#include <tessera/store/link.hpp>
#include <tessera/store/node.hpp>
#include <tessera/store/store.hpp>

namespace tessera {

/// Which nodes a vertex matches.
struct node_filter {
  std::vector<node_kind> kinds;  // empty: any kind
  std::string type;              // exact type name; empty: any
  std::string type_prefix;       // "core.code" matches "core.code" and "core.code.*"

  static node_filter any() { return {}; }
  static node_filter data(std::string type_name = {}) { return {{node_kind::data}, std::move(type_name), {}}; }
  static node_filter data_prefix(std::string prefix) { return {{node_kind::data}, {}, std::move(prefix)}; }
  static node_filter process() {
    return {{node_kind::calc_function, node_kind::calc_job, node_kind::work_function, node_kind::work_chain}, {}, {}};
  }
  static node_filter calculation() { return {{node_kind::calc_function, node_kind::calc_job}, {}, {}}; }
  static node_filter workflow() { return {{node_kind::work_function, node_kind::work_chain}, {}, {}}; }
  static node_filter calc_function() { return {{node_kind::calc_function}, {}, {}}; }
  static node_filter calc_job() { return {{node_kind::calc_job}, {}, {}}; }
  static node_filter work_function() { return {{node_kind::work_function}, {}, {}}; }
  static node_filter work_chain() { return {{node_kind::work_chain}, {}, {}}; }
  /// Restricts to one process type (process_type) or data type name.
  node_filter of_type(std::string t) && {
    type = std::move(t);
    return std::move(*this);
  }
};

/// A column, or a JSON path into attributes or extras ("a.b[0]"; "" = the whole document).
struct field {
  enum class source : std::uint8_t { column, attribute, extra, link_label };
  source src = source::column;
  std::string name;
};

namespace store_detail {
/// Throws query_error unless `name` is a node column that may be filtered and projected.
/// Checked by col() and again wherever a column field is written into the SQL text (field
/// is an aggregate: a hand-built one must not splice an arbitrary name into the query).
inline const std::string& checked_column(const std::string& name) {
  static constexpr std::string_view allowed[] = {"pk",    "uuid",  "kind",          "type",        "label",
                                                 "description", "ctime", "mtime", "process_state",
                                                 "exit_status", "exit_message", "hash"};
  for (auto a : allowed) {
    if (a == name) return name;
  }
  throw query_error(fmt::format("unknown node column '{}' (known: pk, uuid, kind, type, label, description, "
                                "ctime, mtime, process_state, exit_status, exit_message, hash)",
                                name));
}
}  // namespace store_detail

/// Columns that may be filtered and projected.
inline field col(std::string_view name) {
  field f{field::source::column, std::string(name)};
  (void)store_detail::checked_column(f.name);
  return f;
}
inline field attr(std::string path) { return {field::source::attribute, std::move(path)}; }
inline field extra(std::string path) { return {field::source::extra, std::move(path)}; }
/// The label of the link that relates this vertex to its earlier tag (with_incoming/outgoing).
inline field link_label() { return {field::source::link_label, {}}; }

/// A filter expression.
struct condition {
  enum class op : std::uint8_t { eq, ne, lt, le, gt, ge, like, in, is_null, is_not_null, all_of, any_of };
  op o = op::eq;
  field f;
  nlohmann::json value;              // scalar, or array for `in`
  std::vector<condition> children;   // all_of / any_of

  friend condition operator&&(condition a, condition b) { return {op::all_of, {}, {}, {std::move(a), std::move(b)}}; }
  friend condition operator||(condition a, condition b) { return {op::any_of, {}, {}, {std::move(a), std::move(b)}}; }
};

inline condition operator==(field f, nlohmann::json v) { return {condition::op::eq, std::move(f), std::move(v), {}}; }
inline condition operator!=(field f, nlohmann::json v) { return {condition::op::ne, std::move(f), std::move(v), {}}; }
inline condition operator<(field f, nlohmann::json v) { return {condition::op::lt, std::move(f), std::move(v), {}}; }
inline condition operator<=(field f, nlohmann::json v) { return {condition::op::le, std::move(f), std::move(v), {}}; }
inline condition operator>(field f, nlohmann::json v) { return {condition::op::gt, std::move(f), std::move(v), {}}; }
inline condition operator>=(field f, nlohmann::json v) { return {condition::op::ge, std::move(f), std::move(v), {}}; }
inline condition like(field f, std::string pattern) { return {condition::op::like, std::move(f), std::move(pattern), {}}; }
inline condition in(field f, nlohmann::json values) {
  if (!values.is_array()) throw query_error("in(): the values must be a JSON array");
  return {condition::op::in, std::move(f), std::move(values), {}};
}
inline condition is_null(field f) { return {condition::op::is_null, std::move(f), {}, {}}; }
inline condition is_not_null(field f) { return {condition::op::is_not_null, std::move(f), {}, {}}; }

/// Which links a with_incoming/with_outgoing relation follows.
struct link_filter {
  std::vector<link_type> types;  // empty: any type
  std::optional<std::string> label_eq;
  std::optional<std::string> label_like;

  link_filter&& type(link_type t) && {
    types.push_back(t);
    return std::move(*this);
  }
  link_filter&& label(std::string l) && {
    label_eq = std::move(l);
    return std::move(*this);
  }
  link_filter&& label_matching(std::string pattern) && {
    label_like = std::move(pattern);
    return std::move(*this);
  }
};

using query_row = std::vector<nlohmann::json>;

namespace store_detail {
using sql_param = std::variant<std::nullptr_t, std::int64_t, double, std::string, std::vector<std::byte>>;

inline void bind_params(statement& st, const std::vector<sql_param>& params) {
  int i = 0;
  for (const auto& p : params) {
    ++i;
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::vector<std::byte>>) {
            st.bind(i, std::span<const std::byte>(v));
          } else {
            st.bind(i, v);
          }
        },
        p);
  }
}
}  // namespace store_detail

class query_cursor;

class query {
 public:
  explicit query(store& st) : st_(&st) {}

  query& append(node_filter f, std::string tag) {
    if (tag.empty()) throw query_error("append(): a vertex needs a non-empty tag");
    if (find(tag) >= 0) throw query_error(fmt::format("append(): tag '{}' is used twice", tag));
    vertices_.push_back(vertex{std::move(f), std::move(tag), {}, {}});
    return *this;
  }
  /// The current vertex has an incoming link from `tag` (tag -> this).
  query& with_incoming(std::string_view tag, link_filter lf = {}) { return relate(tag, rel::incoming, std::move(lf)); }
  /// The current vertex has an outgoing link to `tag` (this -> tag).
  query& with_outgoing(std::string_view tag, link_filter lf = {}) { return relate(tag, rel::outgoing, std::move(lf)); }
  /// The current vertex is a descendant of `tag` (data provenance, any depth).
  query& with_ancestor(std::string_view tag) { return relate(tag, rel::descendant_of, {}); }
  /// The current vertex is an ancestor of `tag` (data provenance, any depth).
  query& with_descendant(std::string_view tag) { return relate(tag, rel::ancestor_of, {}); }

  query& where(condition c) {
    if (mentions_link_label(c)) {
      throw query_error("where(): filter link labels with the link_filter of with_incoming/with_outgoing");
    }
    current("where").conditions.push_back(std::move(c));
    return *this;
  }
  query& project(field f) {
    check_link_field(f, "project");
    projections_.push_back({current_index("project"), std::move(f)});
    return *this;
  }
  query& order_by(field f, bool descending = false) {
    check_link_field(f, "order_by");
    order_.push_back({current_index("order_by"), std::move(f), descending});
    return *this;
  }
  query& limit(std::int64_t n) {
    limit_ = n;
    return *this;
  }
  query& offset(std::int64_t n) {
    offset_ = n;
    return *this;
  }
  query& distinct(bool on = true) {
    distinct_ = on;
    return *this;
  }

  /// The SQL text (values appear only as `?`).
  [[nodiscard]] std::string sql() const { return build().text; }
  /// Runs the query lazily: rows are produced as the cursor advances.
  [[nodiscard]] query_cursor iterate() const;
  [[nodiscard]] std::vector<query_row> all() const;
  [[nodiscard]] std::int64_t count() const;

 private:
  enum class rel : std::uint8_t { none, incoming, outgoing, descendant_of, ancestor_of };
  struct vertex {
    node_filter filter;
    std::string tag;
    std::vector<condition> conditions;
    struct {
      rel kind = rel::none;
      int other = -1;
      link_filter links;
    } relation;
  };
  struct projection {
    int v;
    field f;
  };
  struct ordering {
    int v;
    field f;
    bool descending;
  };
  struct built {
    std::string text;
    std::vector<store_detail::sql_param> params;
    std::vector<field> decode;  // how to turn each result column into JSON
  };
  friend class query_cursor;

  static bool mentions_link_label(const condition& c) {
    if (c.f.src == field::source::link_label) return true;
    for (const auto& k : c.children) {
      if (mentions_link_label(k)) return true;
    }
    return false;
  }
  int find(std::string_view tag) const {
    for (std::size_t i = 0; i < vertices_.size(); ++i) {
      if (vertices_[i].tag == tag) return static_cast<int>(i);
    }
    return -1;
  }
  int current_index(std::string_view what) const {
    if (vertices_.empty()) throw query_error(fmt::format("{}(): append() a vertex first", what));
    return static_cast<int>(vertices_.size()) - 1;
  }
  vertex& current(std::string_view what) { return vertices_[static_cast<std::size_t>(current_index(what))]; }
  void check_link_field(const field& f, std::string_view what) const {
    if (f.src != field::source::link_label) return;
    const auto& v = vertices_.at(static_cast<std::size_t>(current_index(what)));
    if (v.relation.kind != rel::incoming && v.relation.kind != rel::outgoing) {
      throw query_error(fmt::format("{}(link_label()): vertex '{}' is not related by a link", what, v.tag));
    }
  }
  query& relate(std::string_view tag, rel r, link_filter lf) {
    auto& v = current("relate");
    const int other = find(tag);
    if (other < 0) {
      throw query_error(fmt::format("vertex '{}' is related to unknown tag '{}' (relate only to earlier tags)", v.tag, tag));
    }
    if (other == current_index("relate")) throw query_error(fmt::format("vertex '{}' is related to itself", v.tag));
    if (v.relation.kind != rel::none) {
      throw query_error(fmt::format("vertex '{}' already has a relation; append another vertex", v.tag));
    }
    v.relation = {r, other, std::move(lf)};
    return *this;
  }

  // ---- SQL generation ----
  struct sql_builder {
    std::string text;
    std::vector<store_detail::sql_param> params;
    void bind_json(const nlohmann::json& j, bool uuid_column, bool hash_column) {
      if (uuid_column) {
        if (!j.is_string()) throw query_error("uuid filters take the uuid as a string");
        auto u = uuid::parse(j.get<std::string>());
        params.emplace_back(std::vector<std::byte>(u.bytes.begin(), u.bytes.end()));
      } else if (hash_column) {
        if (!j.is_string()) throw query_error("hash filters take the hash as a hex string");
        auto d = digest::from_hex(j.get<std::string>());
        std::vector<std::byte> b;
        for (auto x : d.bytes) b.push_back(static_cast<std::byte>(x));
        params.emplace_back(std::move(b));
      } else if (j.is_null()) {
        params.emplace_back(nullptr);
      } else if (j.is_boolean()) {
        params.emplace_back(std::int64_t{j.get<bool>() ? 1 : 0});
      } else if (j.is_number_integer()) {
        params.emplace_back(j.get<std::int64_t>());
      } else if (j.is_number()) {
        params.emplace_back(j.get<double>());
      } else if (j.is_string()) {
        params.emplace_back(j.get<std::string>());
      } else {
        throw query_error(fmt::format("cannot compare with a JSON {} ({}): filter on a path inside it", j.type_name(),
                                      j.dump()));
      }
      text += "?";
    }
    void bind_text(std::string s) {
      params.emplace_back(std::move(s));
      text += "?";
    }
    void bind_int(std::int64_t v) {
      params.emplace_back(v);
      text += "?";
    }
  };

  static std::string json_path(const std::string& p) {
    if (p.empty()) return "$";
    if (p.front() == '$') return p;
    if (p.front() == '[') return "$" + p;
    return "$." + p;
  }

  // SQL expression of a field of a vertex (alias t = node row, l = its link), for filters.
  void render_field_expr(sql_builder& b, const field& f, const std::string& t, const std::string& l) const {
    switch (f.src) {
      case field::source::column:
        // "@expr": the vertex is only known by its pk, held in expr (see pk_only).
        b.text += t.front() == '@' ? t.substr(1) : t + "." + store_detail::checked_column(f.name);
        return;
      case field::source::attribute:
        b.text += "json_extract(" + t + ".attributes, ";
        b.bind_text(json_path(f.name));
        b.text += ")";
        return;
      case field::source::extra:
        b.text += "json_extract(" + t + ".extras, ";
        b.bind_text(json_path(f.name));
        b.text += ")";
        return;
      case field::source::link_label:
        b.text += l + ".label";
        return;
    }
  }

  void render_condition(sql_builder& b, const condition& c, const std::string& t, const std::string& l) const {
    using op = condition::op;
    if (c.o == op::all_of || c.o == op::any_of) {
      b.text += "(";
      for (std::size_t i = 0; i < c.children.size(); ++i) {
        if (i > 0) b.text += c.o == op::all_of ? " AND " : " OR ";
        render_condition(b, c.children[i], t, l);
      }
      b.text += ")";
      return;
    }
    const bool is_uuid = c.f.src == field::source::column && c.f.name == "uuid";
    const bool is_hash = c.f.src == field::source::column && c.f.name == "hash";
    const bool is_kind = c.f.src == field::source::column && c.f.name == "kind";
    auto bind_value = [&](const nlohmann::json& v) {
      if (is_kind && v.is_string()) {
        for (int k = 0; k <= 4; ++k) {
          if (to_string(static_cast<node_kind>(k)) == v.get<std::string>()) {
            b.bind_int(k);
            return;
          }
        }
        throw query_error(fmt::format("unknown node kind '{}'", v.get<std::string>()));
      }
      if (is_kind && v.is_number_integer()) {
        b.bind_int(v.get<std::int64_t>());
        return;
      }
      if (!c.f.name.empty() && c.f.src == field::source::column && c.f.name == "process_state" && v.is_string()) {
        (void)process_state_from_string(v.get<std::string>());  // a typo would silently match nothing
      }
      b.bind_json(v, is_uuid, is_hash);
    };
    b.text += "(";
    render_field_expr(b, c.f, t, l);
    switch (c.o) {
      case op::eq: b.text += " = "; bind_value(c.value); break;
      case op::ne: b.text += " <> "; bind_value(c.value); break;
      case op::lt: b.text += " < "; bind_value(c.value); break;
      case op::le: b.text += " <= "; bind_value(c.value); break;
      case op::gt: b.text += " > "; bind_value(c.value); break;
      case op::ge: b.text += " >= "; bind_value(c.value); break;
      case op::like:
        b.text += " LIKE ";
        bind_value(c.value);
        break;
      case op::in:
        if (c.value.empty()) {
          b.text += " IS NULL AND 0";
          break;
        }
        b.text += " IN (";
        for (std::size_t i = 0; i < c.value.size(); ++i) {
          if (i > 0) b.text += ", ";
          bind_value(c.value[i]);
        }
        b.text += ")";
        break;
      case op::is_null: b.text += " IS NULL"; break;
      case op::is_not_null: b.text += " IS NOT NULL"; break;
      case op::all_of:
      case op::any_of: break;
    }
    b.text += ")";
  }

  // Kind/type filter and conditions of vertex i on alias t (appends " AND ..." terms).
  void render_vertex_filters(sql_builder& b, const vertex& v, const std::string& t, const std::string& l) const {
    const auto& f = v.filter;
    const bool only_processes =
        !f.kinds.empty() && std::find(f.kinds.begin(), f.kinds.end(), node_kind::data) == f.kinds.end();
    if (only_processes) {
      // A constant of the schema, not a value: written literally so that SQLite can use
      // the partial indexes "WHERE kind > 0" (it cannot see through a bound parameter).
      b.text += " AND " + t + ".kind > 0";
    }
    if (!f.kinds.empty() && f.kinds.size() < 5 && !(only_processes && f.kinds.size() == 4)) {
      b.text += " AND " + t + ".kind IN (";
      for (std::size_t i = 0; i < f.kinds.size(); ++i) {
        if (i > 0) b.text += ", ";
        b.bind_int(static_cast<std::int64_t>(f.kinds[i]));
      }
      b.text += ")";
    }
    if (!f.type.empty()) {
      b.text += " AND " + t + ".type = ";
      b.bind_text(f.type);
    }
    if (!f.type_prefix.empty()) {
      b.text += " AND (" + t + ".type = ";
      b.bind_text(f.type_prefix);
      b.text += " OR substr(" + t + ".type, 1, ";
      b.bind_int(static_cast<std::int64_t>(f.type_prefix.size() + 1));
      b.text += ") = ";
      b.bind_text(f.type_prefix + ".");
      b.text += ")";
    }
    for (const auto& c : v.conditions) {
      b.text += " AND ";
      render_condition(b, c, t, l);
    }
  }

  static bool pk_condition(const condition& c) {
    if (c.o == condition::op::all_of || c.o == condition::op::any_of) {
      return std::all_of(c.children.begin(), c.children.end(), pk_condition);
    }
    return c.f.src == field::source::column && c.f.name == "pk";
  }
  static bool pk_only(const vertex& v) {
    return (v.filter.kinds.empty() || v.filter.kinds.size() == 5) && v.filter.type.empty() &&
           v.filter.type_prefix.empty() && !v.conditions.empty() &&
           std::all_of(v.conditions.begin(), v.conditions.end(), pk_condition);
  }
  /// Vertex 0 is neither projected nor ordered on (so only its pk, in the CTE, matters).
  bool elidable_seed() const {
    return std::none_of(projections_.begin(), projections_.end(), [](const projection& p) { return p.v == 0; }) &&
           std::none_of(order_.begin(), order_.end(), [](const ordering& o) { return o.v == 0; });
  }
  static bool filters_vertex(const vertex& v) {
    return (!v.filter.kinds.empty() && v.filter.kinds.size() < 5) || !v.filter.type.empty() ||
           !v.filter.type_prefix.empty() || !v.conditions.empty();
  }

  built build() const {
    if (vertices_.empty()) throw query_error("empty query: append() a vertex first");
    const auto n = vertices_.size();
    // Which vertices need their node row joined (a vertex reached through a recursive CTE
    // with no filter, no projection but pk, no ordering and not used by another relation's
    // link join can use the CTE's pk directly: the common "descendants of X" case).
    std::vector<bool> needs_row(n, true);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& v = vertices_[i];
      if (v.relation.kind != rel::descendant_of && v.relation.kind != rel::ancestor_of) continue;
      if (filters_vertex(v)) continue;
      bool used = false;
      for (const auto& p : projections_) used |= p.v == static_cast<int>(i) && !(p.f.src == field::source::column && p.f.name == "pk");
      for (const auto& o : order_) used |= o.v == static_cast<int>(i) && !(o.f.src == field::source::column && o.f.name == "pk");
      if (!used) needs_row[i] = false;
    }
    auto t = [](std::size_t i) { return fmt::format("t{}", i); };
    auto l = [](std::size_t i) { return fmt::format("l{}", i); };
    auto r = [](std::size_t i) { return fmt::format("r{}", i); };
    auto pk_of = [&](std::size_t i) { return needs_row[i] ? t(i) + ".pk" : r(i) + ".pk"; };

    sql_builder b;
    // Recursive CTEs first (their parameters come first in the text).
    bool any_cte = false;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& v = vertices_[i];
      const bool down = v.relation.kind == rel::descendant_of;
      if (!down && v.relation.kind != rel::ancestor_of) continue;
      const auto& src = vertices_[static_cast<std::size_t>(v.relation.other)];
      b.text += any_cte ? ",\n" : "WITH RECURSIVE ";
      any_cte = true;
      const std::string from = down ? "input" : "output";
      const std::string to = down ? "output" : "input";
      b.text += fmt::format("{}(src, pk) AS (SELECT s.{}, s.{} FROM link s WHERE s.type IN (1, 3)", r(i), from, to);
      if (pk_only(src)) {
        // the seed vertex is filtered on pk only: no need to visit its node rows
        for (const auto& c : src.conditions) {
          b.text += " AND ";
          render_condition(b, c, "@s." + from, "");
        }
      } else if (filters_vertex(src)) {
        b.text += fmt::format(" AND s.{} IN (SELECT sn.pk FROM node sn WHERE 1", from);
        render_vertex_filters(b, src, "sn", "");
        b.text += ")";
      }
      b.text += fmt::format(" UNION SELECT c.src, s.{} FROM {} c JOIN link s ON s.{} = c.pk WHERE s.type IN (1, 3))\n",
                            to, r(i), from);
    }
    // "Descendants (or ancestors) of nodes given by pk" needs no node row of the seed vertex:
    // its filter is already in the CTE seed, so the query starts FROM the CTE, and the seed's
    // pk is the CTE's src column.
    const bool seed_only = n == 2 && pk_only(vertices_[0]) && elidable_seed() &&
                           (vertices_[1].relation.kind == rel::descendant_of ||
                            vertices_[1].relation.kind == rel::ancestor_of);
    std::vector<field> decode;
    b.text += distinct_ ? "SELECT DISTINCT " : "SELECT ";
    if (projections_.empty()) {
      // default: the pk of every vertex
      for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) b.text += ", ";
        b.text += seed_only && i == 0 ? r(1) + ".src" : pk_of(i);
        decode.push_back(col("pk"));
      }
    } else {
      for (std::size_t k = 0; k < projections_.size(); ++k) {
        if (k > 0) b.text += ", ";
        const auto& p = projections_[k];
        const auto vi = static_cast<std::size_t>(p.v);
        render_projection(b, p.f, needs_row[vi] ? t(vi) : r(vi), l(vi), !needs_row[vi]);
        decode.push_back(p.f);
      }
    }
    // FROM: vertex 0, then each vertex joined through its relation (see seed_only above).
    if (seed_only) {
      b.text += "\nFROM " + r(1);
      if (needs_row[1]) b.text += fmt::format("\nJOIN node {0} ON {0}.pk = {1}.pk", t(1), r(1));
      b.text += "\nWHERE 1";
      render_vertex_filters(b, vertices_[1], t(1), l(1));
    } else {
      b.text += "\nFROM node t0";
    }
    for (std::size_t i = 1; i < n && !seed_only; ++i) {
      const auto& v = vertices_[i];
      const auto o = static_cast<std::size_t>(v.relation.other);
      switch (v.relation.kind) {
        case rel::none:
          b.text += fmt::format("\nCROSS JOIN node {}", t(i));
          break;
        case rel::incoming:
        case rel::outgoing: {
          const bool in = v.relation.kind == rel::incoming;  // other -> this
          b.text += fmt::format("\nJOIN link {0} ON {0}.{1} = {2}", l(i), in ? "input" : "output", pk_of(o));
          const auto& lf = v.relation.links;
          if (!lf.types.empty()) {
            b.text += fmt::format(" AND {}.type IN (", l(i));
            for (std::size_t k = 0; k < lf.types.size(); ++k) {
              if (k > 0) b.text += ", ";
              b.bind_int(static_cast<std::int64_t>(lf.types[k]));
            }
            b.text += ")";
          }
          if (lf.label_eq) {
            b.text += fmt::format(" AND {}.label = ", l(i));
            b.bind_text(*lf.label_eq);
          }
          if (lf.label_like) {
            b.text += fmt::format(" AND {}.label LIKE ", l(i));
            b.bind_text(*lf.label_like);
          }
          b.text += fmt::format("\nJOIN node {0} ON {0}.pk = {1}.{2}", t(i), l(i), in ? "output" : "input");
          break;
        }
        case rel::descendant_of:
        case rel::ancestor_of:
          b.text += fmt::format("\nJOIN {0} ON {0}.src = {1}", r(i), pk_of(o));
          if (needs_row[i]) b.text += fmt::format("\nJOIN node {0} ON {0}.pk = {1}.pk", t(i), r(i));
          break;
      }
    }
    if (!seed_only) {
      b.text += "\nWHERE 1";
      for (std::size_t i = 0; i < n; ++i) {
        if (needs_row[i]) render_vertex_filters(b, vertices_[i], t(i), l(i));
      }
    }
    if (!order_.empty()) {
      b.text += "\nORDER BY ";
      for (std::size_t k = 0; k < order_.size(); ++k) {
        if (k > 0) b.text += ", ";
        const auto vi = static_cast<std::size_t>(order_[k].v);
        if (order_[k].f.src == field::source::column) (void)store_detail::checked_column(order_[k].f.name);
        if (!needs_row[vi]) {
          b.text += r(vi) + ".pk";
        } else {
          render_field_expr(b, order_[k].f, t(vi), l(vi));
        }
        b.text += order_[k].descending ? " DESC" : " ASC";
      }
    }
    if (limit_ || offset_) {
      b.text += "\nLIMIT ";
      b.bind_int(limit_ ? *limit_ : -1);
      if (offset_) {
        b.text += " OFFSET ";
        b.bind_int(*offset_);
      }
    }
    return {std::move(b.text), std::move(b.params), std::move(decode)};
  }

  void render_projection(sql_builder& b, const field& f, const std::string& t, const std::string& l, bool cte_only) const {
    if (f.src == field::source::column) (void)store_detail::checked_column(f.name);
    if (cte_only) {
      b.text += t + ".pk";
      return;
    }
    switch (f.src) {
      case field::source::column:
        b.text += t + "." + store_detail::checked_column(f.name);
        return;
      case field::source::attribute:
      case field::source::extra: {
        const std::string column = f.src == field::source::attribute ? "attributes" : "extras";
        if (f.name.empty()) {
          b.text += t + "." + column;
        } else {
          b.text += "(" + t + "." + column + " -> ";
          b.bind_text(json_path(f.name));
          b.text += ")";
        }
        return;
      }
      case field::source::link_label:
        b.text += l + ".label";
        return;
    }
  }

  store* st_;
  std::vector<vertex> vertices_;
  std::vector<projection> projections_;
  std::vector<ordering> order_;
  std::optional<std::int64_t> limit_, offset_;
  bool distinct_ = false;
};

/// A running query: holds a pooled read connection and the statement; rows are decoded to
/// JSON one at a time. Columns: pk/exit_status/ctime/mtime -> integer, uuid -> string,
/// hash -> hex string, kind -> its name ("CalcJobNode"), attributes/extras paths -> their
/// JSON value (null when missing).
class query_cursor {
 public:
  query_cursor(store& st, const query& q)
      : lease_(st.read()), built_(q.build()), stmt_(lease_.connection().cached(built_.text)) {
    store_detail::bind_params(*stmt_, built_.params);
  }

  /// Advances to the next row; false when there is none.
  bool next(query_row& row) {
    if (done_ || !stmt_->step()) {
      done_ = true;
      return false;
    }
    row.clear();
    for (int c = 0; c < static_cast<int>(built_.decode.size()); ++c) {
      row.push_back(decode(c, built_.decode[static_cast<std::size_t>(c)]));
    }
    return true;
  }

  class iterator {
   public:
    using value_type = query_row;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(query_cursor* c) : c_(c) { ++*this; }
    const query_row& operator*() const { return row_; }
    const query_row* operator->() const { return &row_; }
    iterator& operator++() {
      if (c_ != nullptr && !c_->next(row_)) c_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) { return a.c_ == b.c_; }

   private:
    query_cursor* c_ = nullptr;
    query_row row_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

 private:
  nlohmann::json decode(int c, const field& f) const {
    if (stmt_->is_null(c)) {
      if (f.src != field::source::column && f.name.empty() && f.src != field::source::link_label) {
        return nlohmann::json::object();  // whole attributes/extras, stored NULL when empty
      }
      return nullptr;
    }
    if (f.src == field::source::column) {
      if (f.name == "uuid") return uuid::from_bytes(stmt_->blob(c)).str();
      if (f.name == "hash") {
        auto d = store_detail::digest_column(*stmt_, c);
        return d ? nlohmann::json(d->hex()) : nlohmann::json(nullptr);
      }
      if (f.name == "kind") return std::string(to_string(node_kind_from_int(stmt_->int64(c))));
      switch (stmt_->type(c)) {
        case SQLITE_INTEGER: return stmt_->int64(c);
        case SQLITE_FLOAT: return stmt_->real(c);
        default: return std::string(stmt_->text(c));
      }
    }
    if (f.src == field::source::link_label) return std::string(stmt_->text(c));
    return nlohmann::json::parse(stmt_->text(c));
  }

  read_lease lease_;
  query::built built_;
  store_detail::statement_lease stmt_;  // cached per connection: same-shaped queries reuse it
  bool done_ = false;
};

inline query_cursor query::iterate() const { return query_cursor(*st_, *this); }

inline std::vector<query_row> query::all() const {
  std::vector<query_row> out;
  auto cur = iterate();
  query_row row;
  while (cur.next(row)) out.push_back(row);
  return out;
}

inline std::int64_t query::count() const {
  auto b = build();
  auto lease = st_->read();
  auto st = lease.connection().cached("SELECT count(*) FROM (" + b.text + ")");
  store_detail::bind_params(*st, b.params);
  st->step();
  return st->int64(0);
}

}  // namespace tessera
