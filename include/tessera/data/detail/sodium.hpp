#pragma once

#include <sodium/core.h>

#include <tessera/data/error.hpp>

namespace tessera::detail {

// libsodium must be initialised once before use; a function-local static
// makes that thread-safe and lazy without asking users to call anything.
inline void ensure_sodium_initialized() {
  static const int status = sodium_init();  // 0: done now, 1: already done, -1: failed
  if (status < 0) throw data_error("libsodium failed to initialise (sodium_init)");
}

}  // namespace tessera::detail
