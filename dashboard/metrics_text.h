#pragma once
// A run's figures in the Prometheus text exposition format (version 0.0.4), as the
// dashboard's /metrics serves them: counters end in _total, units are seconds and bytes,
// every family has its HELP and TYPE, label values are escaped.

#include <string>

#include <nlohmann/json.hpp>

namespace taskfarm {

/// `status` is the dashboard's status document (DashboardServer::Status).
std::string PrometheusText(const nlohmann::json& status);

}  // namespace taskfarm
