#pragma once
// Definitions for canonical.hpp (inline when header-only; compiled once by <tessera/src.hpp>
// under TESSERA_SEPARATE_COMPILATION).
#include <nlohmann/json.hpp>

#include <tessera/data/canonical.hpp>

namespace tessera {

namespace detail {

TESSERA_DECL canonical_tag canonical_tag_of(const nlohmann::json& j) {
  using vt = nlohmann::json::value_t;
  switch (j.type()) {
    case vt::null: return canonical_tag::null;
    case vt::boolean: return canonical_tag::boolean;
    case vt::number_integer: return canonical_tag::integer;
    case vt::number_unsigned:
      return j.get_ref<const nlohmann::json::number_unsigned_t&>() <=
                     static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                 ? canonical_tag::integer
                 : canonical_tag::big_unsigned;
    case vt::number_float: return canonical_tag::floating;
    case vt::string: return canonical_tag::string;
    case vt::array: return canonical_tag::array;
    case vt::object: return canonical_tag::object;
    case vt::binary: return canonical_tag::binary;
    case vt::discarded: break;
  }
  throw data_error("a discarded JSON value has no canonical encoding");
}

TESSERA_DECL std::int64_t canonical_int(const nlohmann::json& j) {
  if (j.is_number_unsigned()) {
    return static_cast<std::int64_t>(j.get_ref<const nlohmann::json::number_unsigned_t&>());
  }
  return j.get_ref<const nlohmann::json::number_integer_t&>();
}

}  // namespace detail

// Feeds the canonical encoding of `j` (see the table above) to `h`.
// Throws data_error only for a discarded value (a parser-callback artifact).
TESSERA_DECL void hash_canonical_json(hasher& h, const nlohmann::json& j) {
  using detail::canonical_tag;
  const canonical_tag tag = detail::canonical_tag_of(j);
  detail::put_byte(h, static_cast<std::uint8_t>(tag));
  switch (tag) {
    case canonical_tag::null: return;
    case canonical_tag::boolean: detail::put_byte(h, j.get<bool>() ? 1 : 0); return;
    case canonical_tag::integer:
      detail::put_u64_le(h, static_cast<std::uint64_t>(detail::canonical_int(j)));
      return;
    case canonical_tag::big_unsigned:
      detail::put_u64_le(h, j.get_ref<const nlohmann::json::number_unsigned_t&>());
      return;
    case canonical_tag::floating:
      detail::put_u64_le(h, detail::canonical_float_bits(j.get<double>()));
      return;
    case canonical_tag::string:
      detail::put_string(h, j.get_ref<const nlohmann::json::string_t&>());
      return;
    case canonical_tag::array:
      detail::put_u64_le(h, j.size());
      for (const auto& element : j) hash_canonical_json(h, element);
      return;
    case canonical_tag::object:
      detail::put_u64_le(h, j.size());
      // nlohmann::json keeps members in a std::map<std::string, ...>, whose
      // std::less<std::string> compares chars as unsigned char (required of
      // char_traits<char>::lt), i.e. byte-wise: iteration order is canonical.
      for (auto it = j.begin(); it != j.end(); ++it) {
        detail::put_string(h, it.key());
        hash_canonical_json(h, it.value());
      }
      return;
    case canonical_tag::binary: {
      const auto& bin = j.get_binary();
      if (bin.has_subtype()) {
        detail::put_byte(h, 1);
        detail::put_u64_le(h, bin.subtype());
      } else {
        detail::put_byte(h, 0);
      }
      detail::put_u64_le(h, bin.size());
      h.update(std::as_bytes(std::span(bin.data(), bin.size())));
      return;
    }
  }
}

// True iff a and b have the same canonical encoding: unlike nlohmann's ==,
// 1 and 1.0 differ; unlike IEEE ==, NaN equals NaN; -0.0 equals 0.0.
// Compares directly rather than hashing, so it is exact and cheap.
TESSERA_DECL bool strict_json_equal(const nlohmann::json& a, const nlohmann::json& b) {
  using detail::canonical_tag;
  const canonical_tag tag = detail::canonical_tag_of(a);
  if (tag != detail::canonical_tag_of(b)) return false;
  switch (tag) {
    case canonical_tag::null: return true;
    case canonical_tag::boolean: return a.get<bool>() == b.get<bool>();
    case canonical_tag::integer: return detail::canonical_int(a) == detail::canonical_int(b);
    case canonical_tag::big_unsigned:
      return a.get_ref<const nlohmann::json::number_unsigned_t&>() ==
             b.get_ref<const nlohmann::json::number_unsigned_t&>();
    case canonical_tag::floating:
      return detail::canonical_float_bits(a.get<double>()) ==
             detail::canonical_float_bits(b.get<double>());
    case canonical_tag::string:
      return a.get_ref<const nlohmann::json::string_t&>() ==
             b.get_ref<const nlohmann::json::string_t&>();
    case canonical_tag::array: {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!strict_json_equal(a[i], b[i])) return false;
      }
      return true;
    }
    case canonical_tag::object: {
      if (a.size() != b.size()) return false;
      // Both sides iterate in the same (sorted) key order.
      auto ia = a.begin();
      auto ib = b.begin();
      for (; ia != a.end(); ++ia, ++ib) {
        if (ia.key() != ib.key() || !strict_json_equal(ia.value(), ib.value())) return false;
      }
      return true;
    }
    case canonical_tag::binary: {
      return a.get_binary() == b.get_binary();  // bytes, subtype and its presence
    }
  }
  return false;
}

}  // namespace tessera
