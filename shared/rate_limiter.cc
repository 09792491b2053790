#include "shared/rate_limiter.h"

#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <fmt/format.h>

#include "shared/owner_pid.h"

namespace taskfarm {

namespace bip = boost::interprocess;

namespace {

constexpr uint64_t kMagic = 0x7461736b66726d31ull;  // "taskfrm1"
constexpr uint32_t kLayoutVersion = 1;
constexpr const char* kShmDirectory = "/dev/shm";

std::string NewSegmentName() {
  std::random_device random;
  return OwnedNamePrefix() + fmt::format("{:08x}", random());
}

}  // namespace

struct RateLimiter::Segment {
  uint64_t magic = 0;
  uint32_t version = 0;
  uint32_t bucket_count = 0;
  TokenBucket buckets[kMaxBuckets];
};

struct RateLimiter::Mapping {
  bip::shared_memory_object object;
  bip::mapped_region region;
};

RateLimiter::RateLimiter(std::string name, bool owner)
    : segment_name_(std::move(name)), owner_(owner) {}

RateLimiter::~RateLimiter() {
  mapping_.reset();
  if (owner_) bip::shared_memory_object::remove(segment_name_.c_str());
}

std::unique_ptr<RateLimiter> RateLimiter::Create(const std::vector<RateSpec>& specs) {
  if (specs.size() > kMaxBuckets) {
    throw std::runtime_error(fmt::format("at most {} rate buckets per run", kMaxBuckets));
  }
  std::unique_ptr<RateLimiter> limiter(new RateLimiter(NewSegmentName(), /*owner=*/true));
  try {
    bip::permissions owner_only(0600);
    auto mapping = std::make_unique<Mapping>();
    mapping->object = bip::shared_memory_object(bip::create_only, limiter->segment_name_.c_str(),
                                                bip::read_write, owner_only);
    mapping->object.truncate(sizeof(Segment));
    mapping->region = bip::mapped_region(mapping->object, bip::read_write);
    limiter->mapping_ = std::move(mapping);
  } catch (const bip::interprocess_exception& e) {
    throw std::runtime_error(fmt::format("cannot create shared memory {}: {}",
                                         limiter->segment_name_, e.what()));
  }
  auto* segment = new (limiter->mapping_->region.get_address()) Segment();
  const uint64_t now = MonotonicNanos();
  for (const RateSpec& spec : specs) segment->buckets[segment->bucket_count++].Init(spec, now);
  segment->version = kLayoutVersion;
  std::atomic_thread_fence(std::memory_order_release);
  segment->magic = kMagic;
  limiter->segment_ = segment;
  return limiter;
}

std::unique_ptr<RateLimiter> RateLimiter::Open(const std::string& segment_name) {
  std::unique_ptr<RateLimiter> limiter(new RateLimiter(segment_name, /*owner=*/false));
  try {
    auto mapping = std::make_unique<Mapping>();
    mapping->object =
        bip::shared_memory_object(bip::open_only, segment_name.c_str(), bip::read_write);
    mapping->region = bip::mapped_region(mapping->object, bip::read_write);
    if (mapping->region.get_size() < sizeof(Segment)) {
      throw std::runtime_error("shared memory " + segment_name + " is too small");
    }
    limiter->mapping_ = std::move(mapping);
  } catch (const bip::interprocess_exception& e) {
    throw std::runtime_error(fmt::format("cannot open shared memory {}: {}", segment_name,
                                         e.what()));
  }
  auto* segment = static_cast<Segment*>(limiter->mapping_->region.get_address());
  if (segment->magic != kMagic || segment->version != kLayoutVersion) {
    throw std::runtime_error("shared memory " + segment_name + " is not a taskfarm rate limiter");
  }
  limiter->segment_ = segment;
  return limiter;
}

TokenBucket* RateLimiter::Find(std::string_view name) {
  for (uint32_t i = 0; i < segment_->bucket_count; ++i) {
    if (name == segment_->buckets[i].name) return &segment_->buckets[i];
  }
  return nullptr;
}

std::vector<TokenBucket*> RateLimiter::buckets() {
  std::vector<TokenBucket*> all;
  for (uint32_t i = 0; i < segment_->bucket_count; ++i) all.push_back(&segment_->buckets[i]);
  return all;
}

int RemoveStaleSegments() {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(kShmDirectory, ec)) {
    const std::string name = entry.path().filename().string();
    if (IsStale(name) && bip::shared_memory_object::remove(name.c_str())) ++removed;
  }
  return removed;
}

void RemoveSegment(const std::string& segment_name) {
  if (!segment_name.empty()) bip::shared_memory_object::remove(segment_name.c_str());
}

}  // namespace taskfarm
