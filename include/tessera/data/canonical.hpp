#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

#include <tessera/data/detail/json_config.hpp>

#include <tessera/data/detail/encode.hpp>
#include <tessera/data/error.hpp>
#include <tessera/data/hasher.hpp>

// The canonical encoding of a JSON value, the input of every content hash.
// It must never change silently: golden digests in tests/unit/data_hash_test.cpp
// pin it. Layout (all multi-byte numbers little-endian):
//   null      0x00
//   boolean   0x01, then 0x00 or 0x01
//   integer   0x02, then int64 two's complement (8 bytes); signed and unsigned
//             values that fit in int64 share this tag, so parsed "1" == json(1)
//   big uint  0x03, then uint64 (8 bytes), for unsigned values > INT64_MAX
//   float     0x04, then IEEE-754 binary64 bits (8 bytes); -0.0 written as 0.0,
//             every NaN as 0x7ff8000000000000
//   string    0x05, then byte length (u64) and the UTF-8 bytes
//   array     0x06, then element count (u64) and each element
//   object    0x07, then member count (u64) and, in byte-wise key order, each
//             key as length (u64) + bytes (no tag) followed by its value
//   binary    0x08, then 0x00 (no subtype) or 0x01 + subtype (u64), then
//             byte length (u64) and the bytes
namespace tessera {

namespace detail {

enum class canonical_tag : std::uint8_t {
  null = 0x00,
  boolean = 0x01,
  integer = 0x02,
  big_unsigned = 0x03,
  floating = 0x04,
  string = 0x05,
  array = 0x06,
  object = 0x07,
  binary = 0x08,
};

TESSERA_DECL canonical_tag canonical_tag_of(const nlohmann::json& j);

// Only valid when canonical_tag_of(j) == integer.
TESSERA_DECL std::int64_t canonical_int(const nlohmann::json& j);

inline std::uint64_t canonical_float_bits(double d) noexcept {
  if (d != d) return 0x7ff8000000000000u;  // NaN; not std::isnan, to keep <cmath> out
  if (d == 0.0) return 0;  // folds -0.0 into +0.0
  return std::bit_cast<std::uint64_t>(d);
}

}  // namespace detail

// Feeds the canonical encoding of `j` (see the table above) to `h`.
// Throws data_error only for a discarded value (a parser-callback artifact).
TESSERA_DECL void hash_canonical_json(hasher& h, const nlohmann::json& j);

// True iff a and b have the same canonical encoding: unlike nlohmann's ==,
// 1 and 1.0 differ; unlike IEEE ==, NaN equals NaN; -0.0 equals 0.0.
// Compares directly rather than hashing, so it is exact and cheap.
TESSERA_DECL bool strict_json_equal(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace tessera

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include <tessera/data/impl/canonical.ipp>
#endif
