#pragma once
// ContentHash: FNV-1a 64 over a document's bytes, fed chunk by chunk: a change detector and
// the key that collapses identical documents in search, not a security hash.

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace taskfarm {

class ContentHash {
 public:
  void Add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash_ ^= c;
      hash_ *= 0x100000001b3ull;
    }
  }
  std::string Hex() const { return fmt::format("{:016x}", hash_); }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ull;
};

}  // namespace taskfarm
