// Self-test of tessera_add_compile_fail_test: this must not compile, and the first error
// must be the static_assert below.
template <class T>
inline constexpr bool false_v = false;

template <class T>
void refuse() {
  static_assert(false_v<T>, "tessera: compile-fail self-test");
}

int main() { refuse<int>(); }
