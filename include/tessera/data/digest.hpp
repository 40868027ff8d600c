#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <tessera/data/error.hpp>

namespace tessera {

// A 32-byte content hash (BLAKE2b-256). Plain value: comparable, ordered,
// printable as lowercase hex, which is how the store keeps it.
struct digest {
  std::array<std::uint8_t, 32> bytes{};

  std::string hex() const {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(bytes.size() * 2, '0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      out[2 * i] = digits[bytes[i] >> 4];
      out[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    return out;
  }

  // Accepts exactly 64 hex digits, either case.
  static digest from_hex(std::string_view text) {
    if (text.size() != 64) {
      throw data_error("digest::from_hex expects 64 hex digits, got " +
                       std::to_string(text.size()) + " characters");
    }
    digest d;
    for (std::size_t i = 0; i < d.bytes.size(); ++i) {
      const int hi = nibble(text[2 * i]);
      const int lo = nibble(text[2 * i + 1]);
      if (hi < 0 || lo < 0) {
        throw data_error("digest::from_hex: invalid hex digit in '" + std::string(text) + "'");
      }
      d.bytes[i] = static_cast<std::uint8_t>((hi << 4) | lo);
    }
    return d;
  }

  friend auto operator<=>(const digest&, const digest&) = default;

 private:
  static constexpr int nibble(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
};

}  // namespace tessera

// For unordered containers keyed by digest (caches, the store). The bytes are
// already uniformly distributed, so the first eight make a good bucket hash.
template <>
struct std::hash<tessera::digest> {
  std::size_t operator()(const tessera::digest& d) const noexcept {
    std::uint64_t h = 0;
    std::memcpy(&h, d.bytes.data(), sizeof h);
    return static_cast<std::size_t>(h);
  }
};
