#pragma once
// The exit statuses of `taskfarm`, as the README and `taskfarm run --help` document them.

namespace taskfarm::exit_codes {

inline constexpr int kSuccess = 0;      // every task succeeded
inline constexpr int kTasksFailed = 1;  // the run completed, some tasks failed
inline constexpr int kBadUsage = 2;     // bad flags or bad input stopped the run
// Interrupted: 128 + the signal, so 130 for SIGINT and 143 for SIGTERM.

}  // namespace taskfarm::exit_codes
