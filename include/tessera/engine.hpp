#pragma once
// The engine: runner (event loop + thread pool), calcfunctions and workfunctions, work
// chains with coroutine steps, durable checkpoints and replay, control, caching.
#include <tessera/engine/calcfunction.hpp>
#include <tessera/engine/control.hpp>
#include <tessera/engine/process_result.hpp>
#include <tessera/engine/runner.hpp>
#include <tessera/engine/step.hpp>
#include <tessera/engine/stored.hpp>
#include <tessera/engine/work_chain.hpp>
