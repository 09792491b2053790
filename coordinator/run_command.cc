#include "coordinator/run_command.h"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>

#include "coordinator/exit_codes.h"
#include "coordinator/farm.h"
#include "coordinator/result_writer.h"
#include "coordinator/task_source.h"
#include "shared/builtin_payloads.h"
#include "shared/rate_limiter.h"
#include "shared/rate_spec.h"

namespace taskfarm {
namespace {

struct RunOptions {
  unsigned workers = std::max(1u, std::thread::hardware_concurrency());
  uint64_t noop = 0;
  uint64_t burn = 0;
  uint64_t burn_us = 1000;
  uint64_t sleep = 0;
  std::vector<uint64_t> sleep_ms{10};
  uint64_t fault = 0;
  std::string fault_mode = "throw";
  std::string out;
  bool json = false;
  bool quiet = false;
  double grace_s = 10;
  uint32_t max_attempts = 3;
  std::vector<std::string> rates;
  std::optional<double> burst;
  uint64_t tick = 0;
  std::string tick_bucket;
};

// The --rate specs as buckets, or an error message naming the bad value.
std::optional<std::vector<RateSpec>> ParseRates(const RunOptions& options, std::string& error) {
  std::vector<RateSpec> specs;
  for (const std::string& text : options.rates) {
    auto spec = ParseRateSpec(text, error);
    if (!spec) return std::nullopt;
    for (const RateSpec& other : specs) {
      if (other.name == spec->name) {
        error = "--rate '" + text + "': bucket '" + spec->name + "' is given twice";
        return std::nullopt;
      }
    }
    ApplyBurst(*spec, options.burst);
    specs.push_back(std::move(*spec));
  }
  return specs;
}

std::vector<BucketSummary> SummarizeBuckets(RateLimiter& limiter,
                                            const std::vector<RateSpec>& specs) {
  std::vector<BucketSummary> buckets;
  for (const RateSpec& spec : specs) {
    TokenBucket* bucket = limiter.Find(spec.name);
    if (bucket == nullptr) continue;
    buckets.push_back({spec.name, FormatRate(spec), bucket->max_tokens(), bucket->counters()});
  }
  return buckets;
}

std::filesystem::path WorkerExecutable() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return self.parent_path() / "taskfarm-worker";
}

std::unique_ptr<TaskSource> MakeSource(const RunOptions& options) {
  std::vector<std::unique_ptr<TaskSource>> sources;
  if (options.noop > 0) {
    sources.push_back(std::make_unique<CountedSource>("noop", options.noop, nullptr));
  }
  if (options.burn > 0) {
    const std::string payload = payloads::EncodeUint(options.burn_us);
    sources.push_back(std::make_unique<CountedSource>(
        "burn", options.burn, [payload](uint64_t) { return payload; }));
  }
  if (options.sleep > 0) {
    auto pattern = options.sleep_ms;
    sources.push_back(std::make_unique<CountedSource>("sleep", options.sleep, [pattern](uint64_t i) {
      return payloads::EncodeUint(pattern[i % pattern.size()]);
    }));
  }
  if (options.tick > 0) {
    const std::string payload = payloads::EncodeText(options.tick_bucket);
    sources.push_back(std::make_unique<CountedSource>(
        "tick", options.tick, [payload](uint64_t) { return payload; }));
  }
  if (options.fault > 0) {
    const std::string payload = payloads::EncodeText(options.fault_mode);
    sources.push_back(std::make_unique<CountedSource>(
        "fault", options.fault, [payload](uint64_t) { return payload; }));
  }
  return std::make_unique<InterleavedSource>(std::move(sources));
}

int RunFarm(RunOptions options) {
  std::string error;
  std::optional<std::vector<RateSpec>> rates = ParseRates(options, error);
  if (!rates) {
    std::cerr << "taskfarm run: " << error << '\n';
    return exit_codes::kBadUsage;
  }
  if (options.tick > 0 && options.tick_bucket.empty()) {
    if (rates->empty()) {
      std::cerr << "taskfarm run: --tick needs a --rate to draw tokens from\n";
      return exit_codes::kBadUsage;
    }
    options.tick_bucket = rates->front().name;
  }
  std::unique_ptr<ResultWriter> writer;
  try {
    if (!options.out.empty()) writer = OpenResultWriter(options.out);
  } catch (const std::exception& e) {
    std::cerr << "taskfarm run: " << e.what() << '\n';
    return exit_codes::kBadUsage;
  }
  std::unique_ptr<TaskSource> source = MakeSource(options);
  if (source->Total().value_or(1) == 0) {
    std::cerr << "taskfarm run: no tasks given (use --noop, --burn, ...; see --help)\n";
    return exit_codes::kBadUsage;
  }
  FarmConfig config;
  config.workers = options.workers;
  config.worker_executable = WorkerExecutable();
  config.grace = std::chrono::milliseconds(static_cast<int64_t>(options.grace_s * 1000));
  config.max_attempts = options.max_attempts;

  RunSummary summary;
  FarmExit farm_exit;
  try {
    RemoveStaleSegments();
    std::unique_ptr<RateLimiter> limiter;
    if (!rates->empty()) {
      limiter = RateLimiter::Create(*rates);
      config.shm_segment = limiter->segment_name();
    }
    Farm farm(config, *source, summary, [&](const TaskRecord& record, const wire::Result& result) {
      if (writer) writer->Write(record, result);
    });
    farm_exit = farm.Run();
    if (limiter) summary.set_buckets(SummarizeBuckets(*limiter, *rates));
  } catch (const std::exception& e) {
    farm_exit.fatal_error = e.what();
  }
  if (writer) writer->Flush();
  if (!options.quiet) summary.Print(std::cerr);
  if (options.json) std::cout << summary.ToJson().dump() << std::endl;
  if (!farm_exit.fatal_error.empty()) {
    std::cerr << "taskfarm run: " << farm_exit.fatal_error << '\n';
    return exit_codes::kBadUsage;
  }
  if (farm_exit.interrupted_by != 0) return 128 + farm_exit.interrupted_by;
  return summary.ok() ? exit_codes::kSuccess : exit_codes::kTasksFailed;
}

}  // namespace

void AddRunCommand(CLI::App& app, int* exit_status) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* run = app.add_subcommand("run", "Run a farm until its tasks are done");
  run->footer(R"(Examples:
  taskfarm run --noop 20000                 measure the farm itself
  taskfarm run --burn 1000 --burn-us 10000  1000 CPU tasks of 10 ms each, on every core
  taskfarm run --burn 200 --json            the summary as one JSON object on stdout

Exit status: 0 all tasks succeeded; 1 some tasks failed; 2 bad usage or input;
130/143 interrupted by SIGINT/SIGTERM.)");
  run->add_option("--workers", options->workers, "worker processes (default: number of cores)")
      ->check(CLI::Range(1u, 1024u));
  run->add_option("--noop", options->noop, "COUNT no-op tasks (measures the farm itself)");
  run->add_option("--burn", options->burn, "COUNT CPU tasks of about --burn-us each");
  run->add_option("--burn-us", options->burn_us, "CPU time of one burn task, in microseconds")
      ->check(CLI::Range(uint64_t{0}, uint64_t{3'600'000'000}));
  run->add_option("--out", options->out, "write each task's result to FILE (.jsonl or .csv)");
  run->add_flag("--json", options->json, "print the final summary as one JSON object on stdout");
  run->add_flag("--quiet", options->quiet, "no progress output and no summary on stderr");
  run->add_option("--grace", options->grace_s,
                  "seconds tasks in flight may take to finish after SIGINT/SIGTERM")
      ->check(CLI::Range(0.0, 86400.0));
  run->add_option("--max-attempts", options->max_attempts,
                  "give up a task after its worker died running it this many times")
      ->check(CLI::Range(1u, 100u));

  const std::string testing = "Testing and diagnostics";
  run->add_option("--sleep", options->sleep, "COUNT tasks that sleep (no CPU)")->group(testing);
  run->add_option("--sleep-ms", options->sleep_ms,
                  "milliseconds each sleep task takes; a list cycles: 1,1,1,1,200")
      ->delimiter(',')
      ->check(CLI::Range(uint64_t{0}, uint64_t{3'600'000}))
      ->group(testing);
  run->add_option("--fault", options->fault, "COUNT tasks that misbehave as --fault-mode says")
      ->group(testing);
  run->add_option("--fault-mode", options->fault_mode, "throw, abort, exit or hang")
      ->check(CLI::IsMember({"throw", "abort", "exit", "hang"}))
      ->group(testing);

  run->add_option("--rate", options->rates,
                  "rate limit [NAME=]R/UNIT[,R/UNIT...], units s, min, h, day; repeatable "
                  "(e.g. 10/s, google=50/s, locationiq=2/s,60/min)")
      ->delimiter('\0');  // commas separate a bucket's windows, not values
  run->add_option("--burst", options->burst,
                  "bucket capacity in tokens (default: one second's worth of each rate)")
      ->check(CLI::Range(1.0, 1e6));
  run->add_option("--tick", options->tick, "COUNT tasks that each take one rate-limit token")
      ->group(testing);
  run->add_option("--tick-bucket", options->tick_bucket,
                  "the bucket --tick tasks draw from (default: the first --rate)")
      ->group(testing);

  run->callback([options, exit_status] { *exit_status = RunFarm(*options); });
}

}  // namespace taskfarm
