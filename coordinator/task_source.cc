#include "coordinator/task_source.h"

namespace taskfarm {

CountedSource::CountedSource(std::string kind, uint64_t count,
                             std::function<std::string(uint64_t)> payload_for)
    : kind_(std::move(kind)), count_(count), payload_for_(std::move(payload_for)) {}

std::optional<TaskSpec> CountedSource::Next() {
  if (produced_ >= count_) return std::nullopt;
  std::optional<TaskSpec> spec(std::in_place);
  spec->kind = kind_;
  if (payload_for_) spec->payload = payload_for_(produced_);
  ++produced_;
  return spec;
}

InterleavedSource::InterleavedSource(std::vector<std::unique_ptr<TaskSource>> sources)
    : sources_(std::move(sources)) {
  uint64_t total = 0;
  for (const auto& source : sources_) {
    auto count = source->Total();
    if (!count) return;
    total += *count;
  }
  total_ = total;
}

std::optional<TaskSpec> InterleavedSource::Next() {
  // One source (one kind): its task as it comes, not moved once more on the way.
  if (sources_.size() == 1) return sources_.front()->Next();
  while (!sources_.empty()) {
    next_ %= sources_.size();
    if (auto spec = sources_[next_]->Next()) {
      ++next_;
      return spec;
    }
    sources_.erase(sources_.begin() + static_cast<std::ptrdiff_t>(next_));
  }
  return std::nullopt;
}

}  // namespace taskfarm
