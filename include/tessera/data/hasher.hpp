#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include <sodium/core.h>  // not <sodium.h>, which parses every libsodium API
#include <sodium/crypto_generichash.h>

#include <tessera/data/detail/sodium.hpp>
#include <tessera/data/digest.hpp>
#include <tessera/data/error.hpp>

namespace tessera {

// Incremental BLAKE2b-256 (libsodium crypto_generichash, unkeyed, 32-byte
// output). Copyable: a copy continues independently from the same prefix.
class hasher {
 public:
  hasher() {
    detail::ensure_sodium_initialized();
    if (crypto_generichash_init(&state_, nullptr, 0, digest_size) != 0) {
      throw data_error("crypto_generichash_init failed");
    }
  }

  void update(std::span<const std::byte> data) {
    check_open();
    // libsodium takes unsigned char*; std::byte and unsigned char may alias.
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    if (crypto_generichash_update(&state_, p, data.size()) != 0) {
      throw data_error("crypto_generichash_update failed");
    }
  }

  void update(std::string_view text) { update(std::as_bytes(std::span(text.data(), text.size()))); }

  // Ends the hash; the hasher may not be used afterwards (libsodium would
  // silently produce garbage, so we refuse instead).
  digest finish() {
    check_open();
    finished_ = true;
    digest d;
    if (crypto_generichash_final(&state_, d.bytes.data(), d.bytes.size()) != 0) {
      throw data_error("crypto_generichash_final failed");
    }
    return d;
  }

 private:
  static constexpr std::size_t digest_size = 32;
  static_assert(digest_size == sizeof(digest::bytes));

  void check_open() const {
    if (finished_) throw data_error("hasher used after finish()");
  }

  crypto_generichash_state state_{};
  bool finished_ = false;
};

}  // namespace tessera
