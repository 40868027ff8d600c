#pragma once
// A list of types, concatenated with +, and O(1)-depth indexing (overload resolution on
// indexed bases instead of recursive tuple_element, which is slow to compile for long lists).
#include <cstddef>
#include <utility>

namespace tessera::spec::detail {

template <class... T>
struct type_list {
  static constexpr std::size_t size = sizeof...(T);
};

template <class... A, class... B>
constexpr type_list<A..., B...> operator+(type_list<A...>, type_list<B...>) {
  return {};
}

template <std::size_t I, class T>
struct indexed {
  using type = T;
};
template <class Sequence, class... T>
struct indexer;
template <std::size_t... I, class... T>
struct indexer<std::index_sequence<I...>, T...> : indexed<I, T>... {};
template <std::size_t I, class T>
indexed<I, T> select(const indexed<I, T>&);  // never defined: used in decltype only

template <std::size_t I, class List>
struct at;
template <std::size_t I, class... T>
struct at<I, type_list<T...>> {
  using type = typename decltype(select<I>(indexer<std::index_sequence_for<T...>, T...>{}))::type;
};
template <std::size_t I, class List>
using at_t = typename at<I, List>::type;

}  // namespace tessera::spec::detail
