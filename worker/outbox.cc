#include "worker/outbox.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

#include <spdlog/spdlog.h>

#include "shared/transport.h"

namespace taskfarm {
namespace {

// Results still queued when the worker stops get this long to reach the coordinator.
constexpr std::chrono::milliseconds kSinkLinger{5000};
constexpr int kSinkHwm = 1000;

// What a result adds to the pending Report's size (Outbox::kMaxPendingBytes).
std::size_t PendingBytesOf(const wire::Result& result) {
  return result.payload.size() + result.error.message.size();
}

}  // namespace

Outbox::Outbox(zmq::context_t& context, std::string sink_endpoint, uint32_t worker_id)
    : context_(context), sink_endpoint_(std::move(sink_endpoint)), worker_id_(worker_id) {
  pending_.worker_id = worker_id_;
  sender_ = std::thread([this] { Run(); });
}

Outbox::~Outbox() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_.notify_one();
  sender_.join();
}

bool Outbox::HasPending() const {
  return !pending_.started.empty() || !pending_.results.empty() || pending_.returns_answered > 0;
}

void Outbox::AddStarted(uint64_t task_id) {
  // No wake-up: the sender looks at least every kStartedNoteDelay.
  std::lock_guard lock(mutex_);
  if (!HasPending()) deadline_ = MonoClock::now() + kStartedNoteDelay;
  pending_.started.push_back(task_id);
}

void Outbox::AddResults(const std::vector<uint64_t>& started,
                        std::vector<wire::Result>& results) {
  bool notify;
  {
    std::lock_guard lock(mutex_);
    const bool had_results = !pending_.results.empty();
    const auto due = MonoClock::now() + kMaxDelay;
    if (!HasPending() || (!had_results && due < deadline_)) deadline_ = due;
    pending_.started.insert(pending_.started.end(), started.begin(), started.end());
    for (wire::Result& result : results) {
      pending_bytes_ += PendingBytesOf(result);
      pending_.results.push_back(std::move(result));
    }
    notify = !had_results || pending_.results.size() >= wire::kMaxBatch ||
             pending_bytes_ >= kMaxPendingBytes;
  }
  if (notify) wake_.notify_one();  // the sender arms its kMaxDelay timer
}

void Outbox::AddReturned(const std::vector<uint64_t>& task_ids) {
  {
    std::lock_guard lock(mutex_);
    pending_.returned.insert(pending_.returned.end(), task_ids.begin(), task_ids.end());
    ++pending_.returns_answered;
    flush_requested_ = true;
  }
  wake_.notify_one();
}

void Outbox::Flush() {
  {
    std::lock_guard lock(mutex_);
    if (!HasPending()) return;
    flush_requested_ = true;
  }
  wake_.notify_one();
}

void Outbox::SendControl(wire::Message message) {
  {
    std::lock_guard lock(mutex_);
    controls_.push_back(std::move(message));
  }
  wake_.notify_one();
}

wire::Report Outbox::TakePending() {
  wire::Report report;
  report.worker_id = worker_id_;
  report.results = std::move(spare_results_);  // empty, with the room a Report needed before
  spare_results_.clear();
  std::swap(report, pending_);
  pending_bytes_ = 0;
  if (report.results.size() > wire::kMaxBatch) {  // a Report holds kMaxBatch at most
    const auto rest = report.results.begin() + wire::kMaxBatch;
    pending_.results.assign(std::make_move_iterator(rest),
                            std::make_move_iterator(report.results.end()));
    report.results.erase(rest, report.results.end());
    for (const wire::Result& result : pending_.results) pending_bytes_ += PendingBytesOf(result);
  }
  return report;
}

void Outbox::AddVitals(wire::Report& report) {
  const auto now = MonoClock::now();
  if (now < next_vitals_) return;
  next_vitals_ = now + kVitalsInterval;
  long pages_total = 0, pages_resident = 0;
  if (std::ifstream statm("/proc/self/statm"); statm >> pages_total >> pages_resident) {
    report.rss_bytes = static_cast<uint64_t>(pages_resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  }
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  const auto nanos = [](const timeval& t) {
    return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(t.tv_usec) * 1000ull;
  };
  report.cpu_ns = nanos(self.ru_utime) + nanos(self.ru_stime) + nanos(children.ru_utime) +
                  nanos(children.ru_stime);
}

void Outbox::Run() {
  zmq::socket_t sink = MakeSocket(context_, zmq::socket_type::push, {kSinkHwm, kSinkLinger});
  sink.connect(sink_endpoint_);
  msgpack::sbuffer scratch;
  std::unique_lock lock(mutex_);
  for (;;) {
    const bool due = HasPending() && (flush_requested_ || closing_ || !controls_.empty() ||
                                      pending_.results.size() >= wire::kMaxBatch ||
                                      pending_bytes_ >= kMaxPendingBytes ||
                                      MonoClock::now() >= deadline_);
    if (due) {
      wire::Message message{TakePending()};  // moved in: a Report would be copied
      flush_requested_ = false;
      lock.unlock();
      auto& report = std::get<wire::Report>(message);
      AddVitals(report);
      SendMessage(sink, message, scratch, /*dont_wait=*/false);
      report.results.clear();
      lock.lock();
      if (report.results.capacity() > spare_results_.capacity()) {
        spare_results_ = std::move(report.results);
      }
      continue;
    }
    if (!controls_.empty()) {
      wire::Message message = std::move(controls_.front());
      controls_.pop_front();
      lock.unlock();
      SendMessage(sink, message, scratch, /*dont_wait=*/false);
      lock.lock();
      continue;
    }
    if (closing_) break;
    if (HasPending()) {
      wake_.wait_until(lock, deadline_);
    } else {
      wake_.wait_for(lock, kStartedNoteDelay);  // Started notes arrive without a wake-up
    }
  }
  lock.unlock();
  sink.close();  // lingers up to kSinkLinger for what is still queued
}

}  // namespace taskfarm
