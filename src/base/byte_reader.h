// Reading and writing the little-endian binary files rampart keeps (the block snapshot, the
// nftables log): fixed-size values copied as they lie in memory, so only little-endian hosts
// read what they wrote (each file starts with a byte-order probe).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace rampart {

template <class T>
void put_bytes(std::string& out, T value) {
  char b[sizeof(T)];
  std::memcpy(b, &value, sizeof value);
  out.append(b, sizeof b);
}

// Every read checks what is left, so a truncated file is an error, never a read past its end.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  template <class T>
  bool get(T& v) {
    if (in_.size() < sizeof(T)) return false;
    std::memcpy(&v, in_.data(), sizeof v);
    in_.remove_prefix(sizeof v);
    return true;
  }
  bool bytes(void* p, size_t n) {
    if (in_.size() < n) return false;
    std::memcpy(p, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool str(std::string& s, size_t n) {
    if (in_.size() < n) return false;
    s.assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  // A string after its u32 length.
  bool str(std::string& s) {
    uint32_t n = 0;
    return get(n) && str(s, n);
  }
  size_t left() const { return in_.size(); }
  std::string_view rest() const { return in_; }
  void skip(size_t n) { in_.remove_prefix(n); }

 private:
  std::string_view in_;
};

}  // namespace rampart
