#include "worker/builtin_handlers.h"

#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "shared/builtin_payloads.h"
#include "shared/clock.h"
#include "worker/handler_table.h"

namespace taskfarm {
namespace {

// Bounds that keep a typo from tying up a worker for days.
constexpr uint64_t kMaxBurnMicros = 3'600'000'000ull;
constexpr uint64_t kMaxSleepMillis = 3'600'000ull;
// Checking the CPU clock costs a system call; this many steps between checks is ~10 us.
constexpr int kBurnStepsPerClockCheck = 4096;

uint64_t DecodeBoundedUint(const wire::Task& task, uint64_t max) {
  auto value = payloads::DecodeUint(task.payload);
  if (!value || *value > max) {
    throw TaskFailure({ErrorCode::kBadPayload,
                       task.kind + " payload must be an unsigned integer up to " +
                           std::to_string(max),
                       false});
  }
  return *value;
}

}  // namespace

uint64_t BurnCpu(uint64_t micros) {
  const uint64_t until = ThreadCpuNanos() + micros * 1000;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  do {
    for (int i = 0; i < kBurnStepsPerClockCheck; ++i) {  // xorshift64*
      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
      x *= 0x2545F4914F6CDD1Dull;
    }
  } while (ThreadCpuNanos() < until);
  return x;
}

std::string RunNoop(const wire::Task&) { return {}; }

std::string RunBurn(const wire::Task& task) {
  return payloads::EncodeUint(BurnCpu(DecodeBoundedUint(task, kMaxBurnMicros)));
}

std::string RunSleep(const wire::Task& task) {
  std::this_thread::sleep_for(std::chrono::milliseconds(DecodeBoundedUint(task, kMaxSleepMillis)));
  return {};
}

std::string RunFault(const wire::Task& task) {
  auto mode = payloads::DecodeText(task.payload);
  if (!mode) throw TaskFailure({ErrorCode::kBadPayload, "fault payload must be a string", false});
  // "-once" modes misbehave on the first attempt only, so the retry succeeds.
  const bool once = mode->ends_with("-once");
  const std::string what = once ? mode->substr(0, mode->size() - 5) : *mode;
  if (once && task.attempt > 1) return {};
  if (what == "throw") throw std::runtime_error("fault task threw as asked");
  if (what == "abort") std::abort();
  if (what == "exit") _exit(3);
  if (what == "hang") {
    for (;;) pause();
  }
  throw TaskFailure({ErrorCode::kBadPayload, "unknown fault mode '" + *mode + "'", false});
}

std::string RunReject(const wire::Task& task) {
  throw TaskFailure({ErrorCode::kBadInput, payloads::DecodeText(task.payload).value_or("bad input"),
                     false});
}

std::string RunTick(const wire::Task& task, RateLimiter* limiter) {
  auto bucket_name = payloads::DecodeText(task.payload);
  if (!bucket_name) throw TaskFailure({ErrorCode::kBadPayload, "tick payload must be a string", false});
  TokenBucket* bucket = limiter ? limiter->Find(*bucket_name) : nullptr;
  if (bucket == nullptr) {
    throw TaskFailure({ErrorCode::kBadPayload, "no rate bucket '" + *bucket_name + "' in this run",
                       false});
  }
  return payloads::EncodeUint(bucket->Acquire().value_or(0));
}

}  // namespace taskfarm
