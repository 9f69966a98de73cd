// How C handles get their owners: a unique_ptr with the library's own free function. Each C
// library has its own small header (handles_bus.h, handles_nft.h, ...) so that a file includes
// only the libraries it uses.
#pragma once

#include <memory>

namespace rampart {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    if (p) Free(p);
  }
};

template <class T, auto Free>
using Handle = std::unique_ptr<T, Deleter<Free>>;

}  // namespace rampart
