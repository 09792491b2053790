#pragma once
// Every default a user can change, written once: the coordinator's options, the worker's
// options and `--help` all read them from here.

#include <chrono>
#include <cstdint>

namespace taskfarm::defaults {

/// Workers one pool (the local one, or one host's) may have.
inline constexpr uint32_t kMaxWorkers = 1024;
/// Workers a remote host is given at most, whatever it asks (--max-host-workers).
inline constexpr uint32_t kMaxHostWorkers = 256;

// A run.
inline constexpr std::chrono::milliseconds kGrace{10'000};  // after SIGINT/SIGTERM
inline constexpr uint32_t kMaxAttempts = 3;  // runs of a task whose worker dies
inline constexpr std::chrono::milliseconds kWorkerStartup{10'000};  // until its Hello

// The network lane (geocoding; commands in the I/O lane).
inline constexpr unsigned kIoConcurrency = 16;  // requests in flight per worker
// The CSV field separator of a --geocode file with --column (--delimiter).
inline constexpr char kCsvDelimiter = ',';
// The next candidates a row names when its place is ambiguous (--candidates).
inline constexpr unsigned kGeocodeCandidates = 3;
inline constexpr uint32_t kRetries = 4;         // per provider, after the first attempt
inline constexpr std::chrono::milliseconds kConnectTimeout{5'000};
inline constexpr std::chrono::milliseconds kHttpTimeout{20'000};
inline constexpr std::chrono::milliseconds kZeroRetryAfterPause{60'000};  // 429, Retry-After: 0
// --strict-rate: how much later than its token a request may reach the service.
inline constexpr std::chrono::milliseconds kStrictRateJitter{50};

// Indexing.
inline constexpr uint32_t kConverterTimeoutSeconds = 120;
inline constexpr uint64_t kMaxFileSize = uint64_t{256} << 20;
inline constexpr uint64_t kMaxTextBytes = uint64_t{16} << 20;

// Search.
inline constexpr int kSearchResults = 10;
inline constexpr std::chrono::milliseconds kSearchTimeLimit{10'000};

// Remote hosts.
inline constexpr std::chrono::milliseconds kHeartbeatTimeout{10'000};
inline constexpr std::chrono::milliseconds kWaitHostsTimeout{60'000};

/// Seconds as the command line takes them.
constexpr double Seconds(std::chrono::milliseconds duration) {
  return static_cast<double>(duration.count()) / 1000.0;
}

}  // namespace taskfarm::defaults
