#pragma once
// taskfarm::App: your own program as a taskfarm. Register a handler for each kind of task
// your program does; App::Run gives it the whole `taskfarm` command line (run with
// --workers, --inputs or :::, --jobs, --rate, --db, --resume, --out, progress and summary;
// host and keygen for remote hosts; report), and runs the same program as its workers:
//
//   #include <taskfarm/app.h>
//
//   std::string Thumbnail(const taskfarm::TaskInput& task) {
//     ...                             // task.input: one line of --inputs, or a job's "input"
//     return "written " + out_path;   // the result row's "output"
//   }
//
//   int main(int argc, char** argv) {
//     taskfarm::App app("thumbnailer");
//     app.AddKind("thumbnail", taskfarm::Lane::kCpu, &Thumbnail);
//     return app.Run(argc, argv);
//   }
//
//   $ thumbnailer run --kind thumbnail --inputs photos.txt --workers 8 --db run.db
//
// A handler fails its task by throwing any std::exception: the task becomes an error row with
// the exception's message. Every guarantee of the farm holds for these kinds: one outcome
// per task, a task whose worker dies is sent again, --task-timeout, the journal and
// --resume. A handler runs in a worker process; CPU-lane handlers one at a time, I/O-lane
// handlers on up to --io-concurrency threads at once (so those must be thread-safe).
//
// Build against the installed package:
//   find_package(taskfarm REQUIRED)
//   target_link_libraries(app PRIVATE taskfarm::taskfarm)

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "taskfarm/lane.h"

#define TASKFARM_API __attribute__((visibility("default")))

namespace taskfarm {

/// What a handler is asked to do. The views live as long as the call.
struct TaskInput {
  std::string_view input;  // the input (any bytes: a line of --inputs, a job's "input")
  uint64_t id = 0;         // the task's id in this run (stable across --resume)
  uint32_t attempt = 1;    // 2 and more when a worker died running it before
};

/// Runs one task; returns its output (kept in the result row), or throws to fail it.
using KindHandler = std::function<std::string(const TaskInput&)>;

class TASKFARM_API App {
 public:
  /// `name` is the program's name in its help and messages.
  explicit App(std::string name);

  /// Adds a kind. Throws std::invalid_argument for a name that is taken by a built-in kind
  /// (exec, geocode, index, noop, ...), given twice, or not 1-64 of [A-Za-z0-9_-].
  App& AddKind(std::string name, Lane lane, KindHandler handler);

  /// The program's main: parses argc/argv as `taskfarm` does and returns the exit status
  /// (0 all tasks succeeded, 1 some failed, 2 bad usage, 130/143 interrupted). Started with
  /// --taskfarm-worker first, the process is one of the run's workers instead.
  int Run(int argc, char** argv);

 private:
  struct Kind {
    std::string name;
    Lane lane;
    KindHandler handler;
  };
  std::string name_;
  std::vector<Kind> kinds_;
};

}  // namespace taskfarm
