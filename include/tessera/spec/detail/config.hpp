#pragma once
// Code that runs once per process type (building and rendering specs) is marked cold: the
// optimizer then keeps it small instead of inlining it into every define(), which is what
// makes a spec cheap to compile. It costs nothing where it matters: nothing here is hot.
#if defined(__GNUC__) || defined(__clang__)
#define TESSERA_COLD [[gnu::cold, gnu::noinline]]
#else
#define TESSERA_COLD
#endif
