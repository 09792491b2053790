#include "coordinator/fingerprint_set.h"

#include <glib.h>

#include <array>
#include <cstring>
#include <new>

namespace taskfarm {

namespace {
constexpr std::size_t kInitialSlots = 1024;
}  // namespace

FingerprintSet::FingerprintSet()
    : md5_(g_checksum_new(G_CHECKSUM_MD5)), slots_(kInitialSlots) {
  if (md5_ == nullptr) throw std::bad_alloc();
}

FingerprintSet::~FingerprintSet() { g_checksum_free(md5_); }

FingerprintSet::Fingerprint FingerprintSet::FingerprintOf(std::string_view text) {
  g_checksum_reset(md5_);
  g_checksum_update(md5_, reinterpret_cast<const guchar*>(text.data()),
                    static_cast<gssize>(text.size()));
  std::array<guint8, 16> digest{};
  gsize length = digest.size();
  g_checksum_get_digest(md5_, digest.data(), &length);
  Fingerprint print;
  std::memcpy(&print.high, digest.data(), 8);
  std::memcpy(&print.low, digest.data() + 8, 8);
  if (print == Fingerprint{}) print.low = 1;
  return print;
}

bool FingerprintSet::Place(const Fingerprint& print) {
  const std::size_t mask = slots_.size() - 1;
  // The digest is uniform, so its bits are the slot; linear probing from there.
  for (std::size_t slot = print.low & mask;; slot = (slot + 1) & mask) {
    if (slots_[slot] == print) return false;
    if (slots_[slot] == Fingerprint{}) {
      slots_[slot] = print;
      return true;
    }
  }
}

void FingerprintSet::Grow() {
  std::vector<Fingerprint> old(slots_.size() * 2);
  old.swap(slots_);
  for (const Fingerprint& print : old) {
    if (!(print == Fingerprint{})) Place(print);
  }
}

bool FingerprintSet::Insert(std::string_view text) {
  if (2 * (size_ + 1) > slots_.size()) Grow();
  if (!Place(FingerprintOf(text))) return false;
  ++size_;
  return true;
}

}  // namespace taskfarm
