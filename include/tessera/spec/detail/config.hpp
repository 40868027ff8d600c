#pragma once
// Code that runs once per process type (building and rendering specs) is marked cold: the
// optimizer then keeps it small instead of inlining it into every define(), which is what
// makes a spec cheap to compile. It costs nothing where it matters: nothing here is hot.
#if defined(__GNUC__) || defined(__clang__)
#define TESSERA_COLD [[gnu::cold, gnu::noinline]]
// For functions declared first and defined later (in impl/*.ipp, inline when header-only, or
// compiled once under TESSERA_SEPARATE_COMPILATION): GCC refuses noinline on an inline
// declaration without a body, and a cold function is kept out of its callers anyway.
#define TESSERA_COLD_SUPPORT [[gnu::cold]]
#else
#define TESSERA_COLD_SUPPORT
#define TESSERA_COLD
#endif
