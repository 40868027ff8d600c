#pragma once
// The plugin layer: entry points over Boost.DLL and the registry that loads them.
#include <tessera/plugin/entry_point.hpp>
#include <tessera/plugin/error.hpp>
#include <tessera/plugin/group.hpp>
#include <tessera/plugin/registry.hpp>
