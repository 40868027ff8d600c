// tessera::compiled: tessera's run-time support (JSON conversion, hashing, validation,
// rendering) compiled once, for programs built with TESSERA_SEPARATE_COMPILATION (which
// linking tessera::compiled defines for them). See include/tessera/data/detail/json_config.hpp.
#include <tessera/src.hpp>
