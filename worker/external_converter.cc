#include "worker/child_command.h"
#include "worker/text_extractors.h"
#include "shared/system_text.h"
#include "shared/task_error.h"

namespace taskfarm {
namespace {

// A converter's stderr kept for its error row.
constexpr uint64_t kKeptErrorBytes = 64 * 1024;

}  // namespace

ExtractedText ExtractWithProgram(const std::vector<std::string>& argv,
                                 std::chrono::seconds timeout, uint64_t max_output,
                                 const CommandServices& services, FailedExit failed_exit) {
  ChildCommandSpec spec;
  spec.argv = argv;
  spec.capture_limit = max_output;
  spec.stderr_capture_limit = kKeptErrorBytes;  // only the reason of a failure is shown
  spec.timeout = timeout;
  spec.reaper = services.reaper;
  spec.programs = services.programs;
  ChildCommandResult result = RunChildCommand(spec);
  const auto fail = [](std::string why) {
    throw TaskFailure({ErrorCode::kHandlerFailed, std::move(why), false});
  };
  if (!result.start_error.empty()) fail("cannot run " + argv[0] + ": " + result.start_error);
  if (result.timed_out) {
    fail(argv[0] + " took longer than " + std::to_string(timeout.count()) + " s");
  }
  if (result.out_bytes > max_output) {
    fail(argv[0] + " wrote more than " + std::to_string(max_output) + " bytes");
  }
  if (result.signal != 0) fail(argv[0] + " crashed: " + SignalText(result.signal));
  const bool has_text = result.out.find_first_not_of(" \t\r\n\f") != std::string::npos;
  if (result.exit_status != 0 && !(failed_exit == FailedExit::kKeepText && has_text)) {
    fail(argv[0] + " failed with exit status " + std::to_string(result.exit_status));
  }
  ExtractedText extracted;
  extracted.text = std::move(result.out);
  if (result.exit_status != 0) {
    AddNote(extracted, "partial text: " + argv[0] + " exited with status " +
                           std::to_string(result.exit_status));
  }
  return extracted;
}

}  // namespace taskfarm
