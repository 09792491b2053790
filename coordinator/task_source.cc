#include "coordinator/task_source.h"

namespace taskfarm {

bool TaskSource::NextInto(TaskSpec& spec) {
  std::optional<TaskSpec> next = Next();
  if (!next) return false;
  spec = std::move(*next);
  return true;
}

CountedSource::CountedSource(std::string kind, uint64_t count,
                             std::function<std::string(uint64_t)> payload_for)
    : kind_(std::move(kind)), count_(count), payload_for_(std::move(payload_for)) {}

std::optional<TaskSpec> TaskSource::NextByNextInto() {
  std::optional<TaskSpec> spec(std::in_place);
  if (!NextInto(*spec)) return std::nullopt;
  return spec;
}

std::optional<TaskSpec> CountedSource::Next() { return NextByNextInto(); }

bool CountedSource::NextInto(TaskSpec& spec) {
  if (produced_ >= count_) return false;
  spec.kind = kind_;
  if (payload_for_) {
    spec.payload = payload_for_(produced_);
  } else {
    spec.payload.clear();
  }
  spec.job_id.clear();
  ++produced_;
  return true;
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

std::optional<TaskSpec> InterleavedSource::Next() { return NextByNextInto(); }

bool InterleavedSource::NextInto(TaskSpec& spec) {
  while (!sources_.empty()) {
    next_ %= sources_.size();
    if (sources_[next_]->NextInto(spec)) {
      ++next_;
      return true;
    }
    sources_.erase(sources_.begin() + static_cast<std::ptrdiff_t>(next_));
  }
  return false;
}

}  // namespace taskfarm
