#pragma once

// Umbrella header for the data layer.
#include <tessera/data/any_data.hpp>
#include <tessera/data/bool.hpp>
#include <tessera/data/canonical.hpp>
#include <tessera/data/dict.hpp>
#include <tessera/data/digest.hpp>
#include <tessera/data/error.hpp>
#include <tessera/data/float.hpp>
#include <tessera/data/hasher.hpp>
#include <tessera/data/int.hpp>
#include <tessera/data/list.hpp>
#include <tessera/data/registry.hpp>
#include <tessera/data/str.hpp>
#include <tessera/data/traits.hpp>
