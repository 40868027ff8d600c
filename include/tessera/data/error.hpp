#pragma once

#include <stdexcept>

namespace tessera {

// One exception type for the whole data layer, so callers (the store, the
// engine) can tell "this value is malformed" apart from I/O or logic errors.
struct data_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace tessera
