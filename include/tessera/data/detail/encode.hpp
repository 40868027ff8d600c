#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <tessera/data/hasher.hpp>

// Byte-level building blocks of the hash encodings. Everything is written
// explicitly as little-endian bytes so digests do not depend on the host.
namespace tessera::detail {

inline void put_byte(hasher& h, std::uint8_t b) {
  const std::byte one[1] = {std::byte{b}};
  h.update(std::span<const std::byte>(one));
}

inline void put_u64_le(hasher& h, std::uint64_t v) {
  std::array<std::byte, 8> le{};
  for (std::size_t i = 0; i < le.size(); ++i) {
    le[i] = static_cast<std::byte>((v >> (8 * i)) & 0xffu);
  }
  h.update(std::span<const std::byte>(le));
}

// Length first, so ("ab","c") and ("a","bc") can never encode alike.
inline void put_string(hasher& h, std::string_view s) {
  put_u64_le(h, s.size());
  h.update(s);
}

}  // namespace tessera::detail
