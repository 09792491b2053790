#pragma once
// The exit statuses of `taskfarm`, as the README and `taskfarm run --help` document them, and
// the one function that turns how a run ended into one of them.

namespace taskfarm::exit_codes {

inline constexpr int kSuccess = 0;      // every task succeeded
inline constexpr int kTasksFailed = 1;  // the run completed, some tasks failed (or --halt)
inline constexpr int kBadUsage = 2;     // bad flags or bad input stopped the run
inline constexpr int kNotRecorded = 3;  // results could not be written (disk full, I/O error)
inline constexpr int kFarmFailed = 4;   // the farm could not run (workers, shared memory...)

/// Interrupted by signal n: 128 + n, so 130 for SIGINT and 143 for SIGTERM.
constexpr int ForSignal(int signal_number) { return 128 + signal_number; }

/// How a run ended, in the terms the exit status distinguishes.
struct RunEnd {
  bool farm_failed = false;   // the farm itself could not go on
  bool not_recorded = false;  // a write of the journal or --out failed
  int signal = 0;             // the signal that stopped it, 0 if none
  bool halted = false;        // --halt stopped it
  bool tasks_failed = false;  // some task's outcome is a failure
};

/// The most serious first: a farm that failed, results not recorded, a signal, failures.
constexpr int ForRun(const RunEnd& end) {
  if (end.farm_failed) return kFarmFailed;
  if (end.not_recorded) return kNotRecorded;
  if (end.signal != 0) return ForSignal(end.signal);
  if (end.halted || end.tasks_failed) return kTasksFailed;
  return kSuccess;
}

}  // namespace taskfarm::exit_codes
