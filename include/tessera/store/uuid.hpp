#pragma once
// Node identity: a random (version 4) UUID, stored as a 16-byte BLOB, shown as the usual
// 36-character text form.
#include <pthread.h>
#include <sodium/core.h>
#include <sodium/randombytes.h>
#include <sodium/utils.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <tessera/store/error.hpp>

namespace tessera {

struct uuid {
  std::array<std::byte, 16> bytes{};

  /// A fresh version-7 UUID (RFC 9562): 48 bits of Unix time in milliseconds, then 74
  /// random bits from libsodium's CSPRNG (safe across forked processes). Time-ordered ids
  /// land at the right edge of the uuid index, so a commit of many new nodes touches a
  /// few index pages instead of one random page per node (v4 ids cost the group commit
  /// about a third of its throughput). Uniqueness is the random part's, as with v4.
  static uuid generate() {
    static const int init = sodium_init();
    (void)init;
    uuid u;
    random_bytes(u.bytes.data() + 6, u.bytes.size() - 6);
    const auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    for (int i = 0; i < 6; ++i) u.bytes[static_cast<std::size_t>(i)] = static_cast<std::byte>(ms >> (8 * (5 - i)));
    u.bytes[6] = (u.bytes[6] & std::byte{0x0f}) | std::byte{0x70};
    u.bytes[8] = (u.bytes[8] & std::byte{0x3f}) | std::byte{0x80};
    return u;
  }

  /// `n` (<= 64) bytes from libsodium's CSPRNG, drawn 4 KiB at a time per thread (one
  /// getrandom call per node cost the store's committer ~2%). A forked child refills at
  /// once, so it never hands out the bytes its parent will.
  static void random_bytes(std::byte* out, std::size_t n) {
    static std::atomic<unsigned> forks{0};
    static const int registered = ::pthread_atfork(nullptr, nullptr, [] { forks.fetch_add(1); });
    (void)registered;
    thread_local struct {
      std::array<std::byte, 4096> bytes;
      std::size_t used = 4096;
      unsigned forks = 0;
    } pool;
    const unsigned f = forks.load(std::memory_order_relaxed);
    if (pool.used + n > pool.bytes.size() || pool.forks != f) {
      randombytes_buf(pool.bytes.data(), pool.bytes.size());
      pool.used = 0;
      pool.forks = f;
    }
    std::memcpy(out, pool.bytes.data() + pool.used, n);
    sodium_memzero(pool.bytes.data() + pool.used, n);  // bytes handed out are not kept
    pool.used += n;
  }

  /// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (or the 32 hex digits without dashes).
  static uuid parse(std::string_view s) {
    uuid u;
    std::size_t n = 0;
    auto nibble = [&](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = -1;
    for (char c : s) {
      if (c == '-') continue;
      const int v = nibble(c);
      if (v < 0 || n >= 16) throw store_error(fmt::format("invalid uuid '{}'", s));
      if (hi < 0) {
        hi = v;
      } else {
        u.bytes[n++] = static_cast<std::byte>((hi << 4) | v);
        hi = -1;
      }
    }
    if (n != 16 || hi >= 0) throw store_error(fmt::format("invalid uuid '{}'", s));
    return u;
  }

  static uuid from_bytes(std::span<const std::byte> b) {
    if (b.size() != 16) throw store_error(fmt::format("invalid uuid blob of {} bytes", b.size()));
    uuid u;
    for (std::size_t i = 0; i < 16; ++i) u.bytes[i] = b[i];
    return u;
  }

  [[nodiscard]] std::string str() const {
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    s.reserve(36);
    for (std::size_t i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
      const auto v = std::to_integer<unsigned>(bytes[i]);
      s.push_back(hex[v >> 4]);
      s.push_back(hex[v & 0xf]);
    }
    return s;
  }
  [[nodiscard]] std::span<const std::byte> span() const noexcept { return bytes; }

  friend bool operator==(const uuid&, const uuid&) = default;
  friend auto operator<=>(const uuid&, const uuid&) = default;
};

}  // namespace tessera

template <>
struct std::hash<tessera::uuid> {
  std::size_t operator()(const tessera::uuid& u) const noexcept {
    std::size_t h = 0;
    for (auto b : u.bytes) h = h * 131 + std::to_integer<std::size_t>(b);
    return h;
  }
};

template <>
struct fmt::formatter<tessera::uuid> : fmt::formatter<std::string_view> {
  auto format(const tessera::uuid& u, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(u.str(), ctx);
  }
};
