#pragma once
#include <stdexcept>

namespace tessera::plugin {

/// A plugin library or entry point was refused, or an entry point was not found.
struct plugin_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace tessera::plugin
