#pragma once
// A string usable as a template argument: port names, exit labels and namespaces are
// compile-time strings so that the compiler can check every use of them.
#include <cstddef>
#include <string_view>

namespace tessera {

template <std::size_t N>
struct fixed_string {
  char data[N + 1]{};

  constexpr fixed_string() = default;
  constexpr fixed_string(const char (&text)[N + 1]) {  // NOLINT: implicit on purpose
    for (std::size_t i = 0; i <= N; ++i) data[i] = text[i];
  }
  constexpr fixed_string(std::string_view text, std::size_t) {  // used by concat only
    for (std::size_t i = 0; i < N; ++i) data[i] = text[i];
  }

  static constexpr std::size_t size() { return N; }
  constexpr std::string_view view() const { return {data, N}; }
  constexpr operator std::string_view() const { return view(); }  // NOLINT

  template <std::size_t M>
  friend constexpr bool operator==(const fixed_string& a, const fixed_string<M>& b) {
    return a.view() == b.view();
  }
};

template <std::size_t N>
fixed_string(const char (&)[N]) -> fixed_string<N - 1>;

// "a" + "." + "b" when both are non-empty; used to put exposed ports into a namespace.
template <fixed_string A, fixed_string B>
constexpr auto join_dotted() {
  if constexpr (A.size() == 0) {
    return B;
  } else if constexpr (B.size() == 0) {
    return A;
  } else {
    char buffer[A.size() + 1 + B.size()]{};
    for (std::size_t i = 0; i < A.size(); ++i) buffer[i] = A.data[i];
    buffer[A.size()] = '.';
    for (std::size_t i = 0; i < B.size(); ++i) buffer[A.size() + 1 + i] = B.data[i];
    return fixed_string<A.size() + 1 + B.size()>(std::string_view(buffer, sizeof buffer), 0);
  }
}

}  // namespace tessera
