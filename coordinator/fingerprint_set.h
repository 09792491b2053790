#pragma once
// FingerprintSet: which strings have been seen, kept as 128-bit fingerprints (MD5, through
// GLib's GChecksum) in an open-addressing table of 16-byte slots, at most half full. A
// million distinct strings take 32 MiB, where a std::unordered_set<std::string> of short
// place names takes about 150 bytes each. Two different strings share a fingerprint with
// probability about n^2 / 2^129 (1e-27 for a million): the set then takes them as one.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

typedef struct _GChecksum GChecksum;

namespace taskfarm {

class FingerprintSet {
 public:
  FingerprintSet();
  ~FingerprintSet();
  FingerprintSet(const FingerprintSet&) = delete;
  FingerprintSet& operator=(const FingerprintSet&) = delete;

  /// True when `text` was not in the set; it is now.
  bool Insert(std::string_view text);
  std::size_t size() const { return size_; }

 private:
  struct Fingerprint {
    uint64_t high = 0;
    uint64_t low = 0;  // {0, 0} marks an empty slot; a real {0, 0} is stored as {0, 1}
    bool operator==(const Fingerprint&) const = default;
  };
  Fingerprint FingerprintOf(std::string_view text);
  /// Places `print` in its slot; false when it was there already.
  bool Place(const Fingerprint& print);
  void Grow();

  GChecksum* md5_;
  std::vector<Fingerprint> slots_;  // a power of two in size
  std::size_t size_ = 0;
};

}  // namespace taskfarm
