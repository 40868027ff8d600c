#pragma once
// What every compile-fail snippet needs: the spec layer and the built-in data types.
#include <tessera/data/data.hpp>
#include <tessera/spec.hpp>

using namespace tessera;
using namespace tessera::spec;
