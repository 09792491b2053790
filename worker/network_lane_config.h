#pragma once
// NetworkLaneConfig: how a worker's HTTP lane (geocode) asks its services; set from the
// worker's command line, so it is known before the lane (in the kinds module) is loaded.

#include <chrono>
#include <cstdint>
#include <string>

#include "shared/defaults.h"

namespace taskfarm {

struct NetworkLaneConfig {
  unsigned concurrency = defaults::kIoConcurrency;
  std::string user_agent = "taskfarm/0.1 (batch geocoding; https://example.invalid/taskfarm)";
  uint32_t retries = defaults::kRetries;  // per provider, after the first attempt
  std::chrono::milliseconds connect_timeout = defaults::kConnectTimeout;
  std::chrono::milliseconds request_timeout = defaults::kHttpTimeout;
  std::chrono::milliseconds first_backoff{250};
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds zero_retry_after_pause = defaults::kZeroRetryAfterPause;
  std::string google_key;  // from GOOGLE_MAPS_API_KEY; never logged
};

}  // namespace taskfarm
