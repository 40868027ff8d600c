#pragma once
// The whole of tessera. Include a layer's own header (<tessera/spec.hpp>, ...) to compile less.
#include "data/data.hpp"
#include "daemon/submit.hpp"
#include "engine.hpp"
#include "spec.hpp"
#include "store.hpp"
#include "version.hpp"
