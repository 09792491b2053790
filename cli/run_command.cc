#include "cli/run_command.h"

#include <poll.h>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/command_output.h"
#include "coordinator/bucket_history.h"
#include "coordinator/exit_codes.h"
#include "coordinator/farm.h"
#include "coordinator/halt_policy.h"
#include "coordinator/host_launcher.h"
#include "coordinator/run_directory.h"
#include "coordinator/signals.h"
#include "coordinator/task_options.h"
#include "dashboard/dashboard_server.h"
#include "journal/journal.h"
#include "journal/geocode_join.h"
#include "journal/result_writer.h"
#include "shared/curve_keys.h"
#include "shared/defaults.h"
#include "shared/gazetteer.h"
#include "shared/geocode_messages.h"
#include "shared/rate_limiter.h"
#include "shared/rate_spec.h"

namespace taskfarm {
namespace {

constexpr int kSpecVersion = 1;

struct RunOptions {
  TaskOptions tasks;
  unsigned workers = std::max(1u, std::thread::hardware_concurrency());
  std::string out;
  std::string db;
  bool resume = false;
  bool json = false;
  bool quiet = false;
  std::optional<double> progress_interval_s;
  std::vector<std::string> worker_log_args;
  // Network lane settings, handed to the workers.
  unsigned io_concurrency = defaults::kIoConcurrency;
  std::string user_agent;
  std::optional<uint32_t> retries;  // geocoding: defaults::kRetries; exec: none
  double http_timeout_s = defaults::Seconds(defaults::kHttpTimeout);
  double zero_retry_after_pause_s = defaults::Seconds(defaults::kZeroRetryAfterPause);
  std::string gazetteer;
  std::vector<std::string> converters;  // EXT=COMMAND, parsed into tasks.index.converters
  bool refresh = false;
  double grace_s = defaults::Seconds(defaults::kGrace);
  uint32_t max_attempts = defaults::kMaxAttempts;
  std::optional<double> task_timeout_s;
  uint64_t max_tasks_per_worker = 0;
  uint64_t max_worker_rss_mb = 0;
  // Remote hosts.
  std::string listen;
  std::string keys;
  bool insecure = false;
  double heartbeat_timeout_s = defaults::Seconds(defaults::kHeartbeatTimeout);
  uint32_t wait_hosts = 0;
  uint32_t max_host_workers = defaults::kMaxHostWorkers;
  double wait_hosts_timeout_s = defaults::Seconds(defaults::kWaitHostsTimeout);
  // The live dashboard and /metrics.
  std::string dashboard;  // [HOST:]PORT
  std::string dashboard_token;
  double dashboard_linger_s = 0;
  // Host agents the coordinator starts itself.
  std::string launcher;
  unsigned launch_hosts = 0;
  unsigned workers_per_host = 1;
  std::string slurm_options;
  // Commands per input (--exec), a program's own kinds (--kind), job files.
  std::string exec_lane = "cpu";
  std::string exec_rate;
  bool keep_order = false;
  std::string halt = "never";
  std::optional<std::vector<std::string>> trailing_inputs;  // after :::
};

/// A problem with what the user asked for: reported as one line, exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// --launcher, --hosts, --workers-per-host, --slurm-opt; nullopt without --launcher.
std::optional<LaunchConfig> MakeLaunchConfig(const RunOptions& options) {
  if (options.launcher.empty()) {
    if (options.launch_hosts > 0) throw UsageError("--hosts needs --launcher local|slurm");
    return std::nullopt;
  }
  if (options.launch_hosts == 0) {
    throw UsageError("--launcher " + options.launcher + " needs --hosts N (N >= 1)");
  }
  LaunchConfig config;
  config.launcher = options.launcher;
  config.hosts = options.launch_hosts;
  config.workers_per_host = options.workers_per_host;
  config.keys_dir = options.keys;
  config.insecure = options.insecure;
  std::istringstream words(options.slurm_options);
  for (std::string word; words >> word;) config.slurm_options.push_back(word);
  if (!config.slurm_options.empty() && config.launcher != "slurm") {
    throw UsageError("--slurm-opt needs --launcher slurm");
  }
  return config;
}

// --listen, --keys, --insecure as a ListenConfig; nullopt when the run takes no hosts.
std::optional<ListenConfig> MakeListenConfig(const RunOptions& options) {
  if (options.listen.empty()) {
    if (!options.keys.empty()) throw UsageError("--keys needs --listen tcp://ADDR:PORT");
    if (options.workers == 0) throw UsageError("--workers 0 needs --listen (remote hosts)");
    if (options.wait_hosts > 0) throw UsageError("--wait-hosts needs --listen tcp://ADDR:PORT");
    return std::nullopt;
  }
  if (options.listen.rfind("tcp://", 0) != 0) {
    throw UsageError("--listen " + options.listen + ": expected tcp://ADDR:PORT");
  }
  if (options.keys.empty() && !options.insecure) {
    throw UsageError("--listen " + options.listen +
                     " needs --keys DIR (CurveZMQ; make one with `taskfarm keygen DIR`), or "
                     "--insecure for unencrypted TCP that anyone can join");
  }
  if (options.insecure && !options.keys.empty()) {
    throw UsageError("--insecure and --keys exclude each other");
  }
  if (options.insecure) {
    spdlog::warn("--insecure: remote hosts join over plain TCP without authentication; "
                 "anyone who can reach {} can take tasks and send results",
                 options.listen);
  }
  if (!options.keys.empty()) {
    // Read now, so a missing or exposed key is a usage error before anything starts.
    LoadKeyPair(options.keys);
    LoadAuthorizedKeys(std::filesystem::path(options.keys) / "authorized_keys");
  }
  ListenConfig config;
  config.endpoint = options.listen;
  config.keys_dir = options.keys;
  config.insecure = options.insecure;
  config.timeout = std::chrono::milliseconds(std::llround(options.heartbeat_timeout_s * 1000));
  config.heartbeat = std::min(std::chrono::milliseconds(1000), config.timeout / 4);
  config.wait_for_hosts = options.wait_hosts;
  config.max_host_workers = options.max_host_workers;
  config.wait_limit =
      std::chrono::milliseconds(std::llround(options.wait_hosts_timeout_s * 1000));
  return config;
}

// A public service is asked only when named, and then as its policy says: taskfarm never
// falls back to one (an empty --endpoint used to mean nominatim.openstreetmap.org at 50/s).
void CheckPublicEndpoint(const GeocodeProviderPolicy& policy, const TaskOptions& tasks,
                         const std::string& user_agent) {
  std::string endpoint = tasks.geocode.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.empty()) {
    throw UsageError(fmt::format(
        "--provider {} needs --endpoint URL: taskfarm asks no public service unless told (for "
        "the public one, --endpoint {}; for a local test server, taskfarm geoserver)",
        policy.name, policy.public_endpoint));
  }
  if (endpoint != policy.public_endpoint) return;
  if (policy.public_needs_contact && user_agent.empty()) {
    throw UsageError(fmt::format("--endpoint {}: its usage policy asks for a User-Agent that "
                                 "names you: give --user-agent 'myapp/1.0 (you@example.org)'",
                                 endpoint));
  }
  if (policy.public_max_per_second <= 0) return;
  for (const std::string& text : tasks.rates) {
    std::string error;
    const std::optional<RateSpec> spec = ParseRateSpec(text, error);
    if (!spec || (spec->name != policy.name && spec->name != kDefaultBucket)) continue;
    for (const RateWindow& window : spec->windows) {
      if (window.per_second > policy.public_max_per_second * 1.000001) {
        throw UsageError(fmt::format("--rate {}: {} allows at most {}/s from everyone together",
                                     text, endpoint, policy.public_max_per_second));
      }
    }
  }
}

// Checks the providers, and adds the rate each service's policy asks for when the user
// gave none for it (kGeocodeProviders).
void CheckGeocoding(TaskOptions& tasks, const std::string& user_agent) {
  if (tasks.geocode.path.empty() && tasks.jobs.empty()) return;
  const auto has_bucket = [&](std::string_view name) {
    return std::any_of(tasks.rates.begin(), tasks.rates.end(), [&](const std::string& rate) {
      return rate.rfind(std::string(name) + "=", 0) == 0 ||
             (name == "default" && rate.find('=') == std::string::npos);
    });
  };
  for (const std::string& provider : tasks.geocode.providers) {
    const auto policy =
        std::find_if(kGeocodeProviders.begin(), kGeocodeProviders.end(),
                     [&](const GeocodeProviderPolicy& known) { return known.name == provider; });
    if (policy == kGeocodeProviders.end()) {
      throw UsageError("--provider '" + provider + "': use offline, nominatim or google");
    }
    if (provider != kOfflineProvider && !tasks.geocode.endpoint.empty() &&
        tasks.geocode.endpoint.rfind("http://", 0) != 0 &&
        tasks.geocode.endpoint.rfind("https://", 0) != 0) {
      throw UsageError("--endpoint " + tasks.geocode.endpoint +
                       ": expected a URL starting with http:// or https://");
    }
    if (!policy->key_variable.empty() &&
        std::getenv(std::string(policy->key_variable).c_str()) == nullptr) {
      throw UsageError("--provider " + provider + " needs the API key in " +
                       std::string(policy->key_variable));
    }
    if (!policy->default_rate.empty() && !has_bucket(provider) && !has_bucket("default")) {
      tasks.rates.emplace_back(policy->default_rate);
    }
    if (provider != kOfflineProvider) CheckPublicEndpoint(*policy, tasks, user_agent);
  }
}

std::vector<std::string> NetworkWorkerArgs(const RunOptions& options) {
  std::vector<std::string> args{"--io-concurrency", std::to_string(options.io_concurrency),
                                "--retries",
                                std::to_string(options.retries.value_or(defaults::kRetries)),
                                "--http-timeout", std::to_string(options.http_timeout_s),
                                "--zero-retry-after-pause",
                                std::to_string(options.zero_retry_after_pause_s)};
  if (!options.user_agent.empty()) {
    args.insert(args.end(), {"--user-agent", options.user_agent});
  }
  if (!options.gazetteer.empty()) {
    args.insert(args.end(), {"--gazetteer", options.gazetteer});
  }
  return args;
}

// The --rate specs as buckets.
std::vector<RateSpec> ParseRates(const TaskOptions& tasks) {
  std::vector<RateSpec> specs;
  for (const std::string& text : tasks.rates) {
    std::string error;
    auto spec = ParseRateSpec(text, error);
    if (!spec) throw UsageError(error);
    for (const RateSpec& other : specs) {
      if (other.name == spec->name) {
        throw UsageError("--rate '" + text + "': bucket '" + spec->name + "' is given twice");
      }
    }
    if (tasks.strict_rate) {
      if (tasks.burst && *tasks.burst != 1) {
        throw UsageError(fmt::format("--strict-rate spaces every token (a burst of 1); "
                                     "--burst {:g} contradicts it",
                                     *tasks.burst));
      }
      ApplyStrict(*spec, defaults::kStrictRateJitter);
    }
    ApplyBurst(*spec, tasks.burst);
    if (auto problem = CheckBursts(*spec)) throw UsageError(*problem);
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
    double limit = 0;
    for (const RateWindow& window : spec.windows) {
      limit = limit == 0 ? window.per_second : std::min(limit, window.per_second);
    }
    buckets.push_back(
        {spec.name, FormatRate(spec), bucket->max_tokens(), bucket->counters(), limit});
  }
  return buckets;
}

// --tick tasks draw from the first --rate unless told otherwise.
void DefaultTickBucket(TaskOptions& tasks) {
  if (tasks.tick == 0 || !tasks.tick_bucket.empty() || tasks.rates.empty()) return;
  std::string error;
  if (auto spec = ParseRateSpec(tasks.rates.front(), error)) tasks.tick_bucket = spec->name;
}

// What the run is to do: its tasks from the flags, or, with --resume, from the journal.
struct RunPlan {
  TaskOptions tasks;
  std::unique_ptr<Journal> journal;
  int64_t run_id = 0;
  std::vector<uint64_t> finished;  // resumed: tasks that already have a result
};

// --converter EXT=COMMAND into the index settings.
void ApplyConverters(const RunOptions& options, TaskOptions& tasks) {
  for (const std::string& converter : options.converters) {
    const auto eq = converter.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == converter.size()) {
      throw UsageError("--converter '" + converter + "' is not EXT=COMMAND (e.g. rtf='unrtf {}')");
    }
    std::string extension = converter.substr(0, eq);
    if (extension[0] == '.') extension.erase(0, 1);
    tasks.index.converters[extension] = converter.substr(eq + 1);
  }
}

// --exec / --kind, their inputs and settings into tasks.exec; --exec-rate into a bucket.
void SetUpPerInputTasks(const RunOptions& options, const Program& program, TaskOptions& tasks) {
  ExecInput& exec = tasks.exec;
  const bool has_inputs = !exec.inputs_path.empty() || options.trailing_inputs.has_value();
  if (!exec.command_line.empty() && !exec.kind.empty()) {
    throw UsageError("--exec and --kind exclude each other: a run has one per-input kind");
  }
  if (!exec.kind.empty()) {
    const auto lane = program.kinds.LaneOf(exec.kind);
    if (!lane || IsBuiltinKind(exec.kind)) {
      std::string known;
      for (const KindInfo& kind : program.kinds.UserKinds()) known += " " + kind.name;
      throw UsageError("--kind '" + exec.kind + "': this program has no such kind (its kinds:" +
                       (known.empty() ? std::string(" none") : known) + ")");
    }
    exec.lane = *lane;
  }
  if (!exec.command_line.empty()) {
    exec.kind = std::string(kinds::kExec);
    exec.command = ParseCommandTemplate(exec.command_line, exec.shell);
    exec.lane = ParseLaneName(options.exec_lane).value_or(Lane::kCpu);
  }
  if (!exec.active()) {
    if (has_inputs) throw UsageError("--inputs and ::: need --exec 'COMMAND {}' (or --kind NAME)");
    if (!options.exec_rate.empty()) throw UsageError("--exec-rate needs --exec");
  } else {
    if (!has_inputs) {
      throw UsageError("--exec needs inputs: --inputs FILE, --inputs - (stdin), or ::: ARG...");
    }
    if (!exec.inputs_path.empty() && options.trailing_inputs) {
      throw UsageError("give the inputs with --inputs or after :::, not both");
    }
    if (options.trailing_inputs) exec.args = *options.trailing_inputs;
    if (options.trailing_inputs && exec.args.empty()) throw UsageError("::: is followed by no inputs");
  }
  const int from_stdin = (exec.active() && exec.from_stdin()) + (tasks.geocode.path == "-") +
                         (tasks.jobs == "-");
  if (from_stdin > 1) throw UsageError("only one of --inputs, --geocode and --jobs can read stdin");
  exec.retries = options.retries.value_or(0);
  if (options.task_timeout_s) {
    exec.timeout_ms = static_cast<uint32_t>(std::min(*options.task_timeout_s * 1000, 4.0e9));
  }
  if (!exec.results_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(exec.results_dir, ec);
    if (ec || !std::filesystem::is_directory(exec.results_dir)) {
      throw UsageError("--results " + exec.results_dir + ": cannot make the folder" +
                       (ec ? ": " + ec.message() : std::string()));
    }
    exec.results_dir = std::filesystem::absolute(exec.results_dir).string();
  }
  if (!options.exec_rate.empty()) {
    // NAME=R/UNIT makes a bucket; a bare NAME draws on a --rate bucket of that name.
    if (options.exec_rate.find('/') == std::string::npos) {
      exec.bucket = options.exec_rate;
    } else {
      const std::string spec = options.exec_rate.find('=') == std::string::npos
                                   ? "exec=" + options.exec_rate
                                   : options.exec_rate;
      exec.bucket = spec.substr(0, spec.find('='));
      tasks.rates.push_back(spec);
    }
  }
}

// The tasks as the flags define them, with every default filled in, so that a stored run
// and the same command line given again compare equal.
TaskOptions NormalizedTasks(const RunOptions& options, const Program& program) {
  TaskOptions tasks = options.tasks;
  ApplyConverters(options, tasks);
  SetUpPerInputTasks(options, program, tasks);
  return tasks;
}

// The keys in which two task settings differ, for the message refusing a --resume.
std::string DescribeDifference(const nlohmann::json& stored, const nlohmann::json& given) {
  std::string paths;
  for (const auto& change : nlohmann::json::diff(stored, given)) {
    if (!paths.empty()) paths += ", ";
    paths += change.at("path").get<std::string>();
  }
  return paths;
}

// The offline provider reads the gazetteer in each local worker: a missing one is said once,
// up front, rather than in every place's row.
void CheckGazetteer(const RunOptions& options, const TaskOptions& tasks, const Program& program) {
  const auto& providers = tasks.geocode.providers;
  if (tasks.geocode.path.empty() || options.workers == 0 ||
      std::find(providers.begin(), providers.end(), kOfflineProvider) == providers.end()) {
    return;
  }
  const std::filesystem::path dir =
      options.gazetteer.empty() ? Gazetteer::DefaultDataDir(program.worker_executable)
                                : std::filesystem::path(options.gazetteer);
  if (const auto missing = Gazetteer::FirstMissingFile(dir)) {
    throw UsageError("--provider offline needs the gazetteer: no " + missing->path.string() +
                     " (" + missing->provided_by + ")");
  }
}

RunPlan PlanRun(const RunOptions& options, const Program& program) {
  RunPlan plan;
  TaskOptions tasks = NormalizedTasks(options, program);
  CheckGeocoding(tasks, options.user_agent);
  if (options.resume) {
    if (options.db.empty()) throw UsageError("--resume needs the --db of the run to finish");
    if (!std::filesystem::exists(options.db)) {
      throw UsageError("--db " + options.db + ": no such file to resume");
    }
    plan.journal = std::make_unique<Journal>(options.db);
    auto latest = plan.journal->FindRun();
    if (!latest) throw UsageError("--db " + options.db + " holds no run to resume");
    plan.run_id = latest->run_id;
    nlohmann::json stored;
    try {
      stored = nlohmann::json::parse(latest->spec).at("tasks");
      plan.tasks = TaskOptionsFromJson(stored);
    } catch (const std::exception& e) {
      throw UsageError("--db " + options.db + ": run " + std::to_string(plan.run_id) +
                       " cannot be resumed: " + e.what());
    }
    // As with GNU parallel, the same command line may be given again with --resume.
    if (tasks.HasTasks() || !options.tasks.rates.empty()) {
      DefaultTickBucket(tasks);
      const nlohmann::json given = ToJson(tasks);
      if (given != stored) {
        throw UsageError("--resume: these settings differ from run " +
                         std::to_string(plan.run_id) + " in " + options.db + ": " +
                         DescribeDifference(stored, given) +
                         " (give the same tasks as that run, or none)");
      }
    }
    plan.finished = plan.journal->FinishedTasks(plan.run_id);
    return plan;
  }
  plan.tasks = std::move(tasks);
  if (!plan.tasks.HasTasks()) {
    throw UsageError("no tasks given (use --exec, --jobs, --noop, --burn, ...; see --help)");
  }
  DefaultTickBucket(plan.tasks);
  if (!options.db.empty()) plan.journal = std::make_unique<Journal>(options.db);
  return plan;
}

FarmConfig MakeFarmConfig(const RunOptions& options, const TaskOptions& tasks,
                          const Program& program) {
  FarmConfig config;
  config.workers = options.workers;
  config.launch.executable = program.worker_executable;
  config.launch.leading_args = program.worker_leading_args;
  config.grace = std::chrono::milliseconds(static_cast<int64_t>(options.grace_s * 1000));
  config.max_attempts = options.max_attempts;
  config.task_timeouts = DefaultTaskTimeouts(tasks);
  // A program's own kinds may take hours (as a command may): no limit unless --task-timeout.
  config.default_task_timeout = std::chrono::milliseconds(0);
  if (options.task_timeout_s) {
    const std::chrono::milliseconds limit(static_cast<int64_t>(*options.task_timeout_s * 1000));
    config.default_task_timeout = limit;
    for (auto& [kind, timeout] : config.task_timeouts) {
      if (timeout.count() > 0) timeout = limit;  // waiting for a token is not hanging
    }
  }
  config.max_tasks_per_worker = options.max_tasks_per_worker;
  std::vector<std::string>& worker_args = config.launch.extra_args;
  worker_args = options.worker_log_args;
  const auto network_args = NetworkWorkerArgs(options);
  worker_args.insert(worker_args.end(), network_args.begin(), network_args.end());
  if (tasks.exec.lane == Lane::kNetwork) worker_args.insert(worker_args.end(), {"--exec-lane", "io"});
  // Geocoding keeps twice its slots queued, so a slot that frees finds its next place at
  // once; a command in the I/O lane holds a thread for its whole run, so a worker takes only
  // as many as it runs and the rest stay free for other workers.
  const bool only_commands = tasks.geocode.path.empty() && tasks.jobs.empty();
  config.network_credit = std::size_t{only_commands ? 1u : 2u} * options.io_concurrency;
  config.max_worker_rss_bytes = options.max_worker_rss_mb << 20;
  return config;
}

constexpr uint64_t kSmallRunTable = 25;

// `Reykjavík, Iceland   64.14  -21.94  Reykjavík, Capital Region, Iceland`, in input order.
void PrintGeocodeTable(std::vector<OutcomeRow> rows, std::ostream& out) {
  std::sort(rows.begin(), rows.end(),
            [](const OutcomeRow& a, const OutcomeRow& b) { return a.task_id < b.task_id; });
  std::size_t width = 0;
  for (const OutcomeRow& row : rows) width = std::max(width, row.input.size());
  for (const OutcomeRow& row : rows) {
    std::string where;
    if (row.geocode && row.geocode->status == "ok") {
      where = fmt::format("{:8.2f} {:8.2f}  {}{}", row.geocode->lat, row.geocode->lon,
                          row.geocode->formatted_address,
                          row.geocode->ambiguous ? "  (ambiguous)" : "");
    } else if (row.geocode) {
      where = row.geocode->status;
    } else {
      where = "error: " + row.error;
    }
    out << fmt::format("  {:<{}}  {}\n", row.input, width, where);
  }
}

// Network tasks are numbered after the CPU tasks, so ids stay small and the same each run.
uint64_t NetworkFirstId(const TaskSource& cpu) {
  const auto total = cpu.Total();
  return total ? *total + 1 : kNetworkLaneFirstId;
}

ProgressDisplay MakeProgressDisplay(const RunOptions& options) {
  const ProgressDisplay::Mode mode =
      options.quiet ? ProgressDisplay::Mode::kOff : ProgressDisplay::ModeFor(stderr);
  // A terminal redraws often; a log gets a line every few seconds.
  const double default_s = mode == ProgressDisplay::Mode::kTerminal ? 0.25 : 5.0;
  const double seconds = options.progress_interval_s.value_or(default_s);
  return ProgressDisplay(mode, std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)),
                         stderr);
}

int ExitStatus(const FarmExit& farm_exit, const RunSummary& summary) {
  return exit_codes::ForRun({.farm_failed = !farm_exit.fatal_error.empty(),
                             .not_recorded = !summary.not_recorded().empty(),
                             .signal = farm_exit.interrupted_by,
                             .halted = farm_exit.halted,
                             .tasks_failed = !summary.ok()});
}

// Input numbers of --exec tasks that an earlier run finished (for --keep-order).
std::set<uint64_t> FinishedExecInputs(const std::vector<uint64_t>& finished, uint64_t first_id,
                                      const std::optional<uint64_t>& count) {
  std::set<uint64_t> seqs;
  for (uint64_t id : finished) {
    if (id >= first_id && (!count || id < first_id + *count)) seqs.insert(id - first_id + 1);
  }
  return seqs;
}

// Everything the options decide before any process starts. Built by SetUpRun, which throws
// on bad usage or bad input (a bad --out, an unreadable --db, a task file that is wrong).
struct RunSetup {
  RunPlan plan;
  HaltPolicy halt;
  std::vector<RateSpec> rates;
  std::optional<ListenConfig> listen;
  std::optional<LaunchConfig> launch;
  std::unique_ptr<ResultWriter> writer;
  std::unique_ptr<GeocodeJoin> geocode_join;  // --out of a --geocode input: a row per input row
  RunSources sources;
  std::unique_ptr<RunDirectory> run_keys;  // keys made for --launcher local; removed at the end
};

// Local agents need no keys from the user: a key pair made for the run, in a private
// directory (0700) that goes with the run, serves the coordinator and its agents.
void MakeKeysForLocalHosts(RunOptions& options, RunSetup& setup) {
  if (options.launcher != "local" || !options.keys.empty() || options.insecure) return;
  setup.run_keys = std::make_unique<RunDirectory>();
  const std::filesystem::path keys = setup.run_keys->path() / "keys";
  WriteNewKeyPair(keys);
  options.keys = keys.string();
}

void CheckOptions(RunOptions& options, const RunSetup& setup) {
  if (!options.launcher.empty() && options.listen.empty()) {
    // Local agents need no address of ours that others can reach; Slurm's nodes do.
    if (options.launcher == "slurm") {
      throw UsageError("--launcher slurm needs --listen tcp://ADDR:PORT (an address the "
                       "nodes reach; port 0 picks one)");
    }
    options.listen = "tcp://127.0.0.1:0";
  }
  if (setup.plan.tasks.tick > 0 && setup.plan.tasks.tick_bucket.empty()) {
    throw UsageError("--tick needs a --rate to draw tokens from");
  }
  const std::string& bucket = setup.plan.tasks.exec.bucket;
  if (!bucket.empty() &&
      std::none_of(setup.rates.begin(), setup.rates.end(),
                   [&](const RateSpec& spec) { return spec.name == bucket; })) {
    throw UsageError("--exec-rate " + bucket + ": no --rate " + bucket + "=R/UNIT to draw from");
  }
  if (!setup.plan.tasks.index.roots.empty() && !setup.plan.journal) {
    throw UsageError("--index needs --db: the database is where the index is kept");
  }
  const GeocodeInput& geocode = setup.plan.tasks.geocode;
  if (geocode.keep_columns && (geocode.column.empty() || options.out.empty())) {
    throw UsageError("--keep-columns needs a CSV input (--geocode FILE --column NAME) and --out");
  }
  if (options.out == kStdoutPath && (options.json || setup.plan.tasks.exec.kind == kinds::kExec)) {
    throw UsageError(std::string("--out - and ") + (options.json ? "--json" : "--exec's output") +
                     " would both write to stdout: give --out a file");
  }
  std::error_code ec;
  if (!options.out.empty() && !options.db.empty() &&
      std::filesystem::weakly_canonical(options.out, ec) ==
          std::filesystem::weakly_canonical(options.db, ec)) {
    throw UsageError("--out " + options.out + " is the --db file: give them different files");
  }
}

RunSources OpenSources(const RunOptions& options, const Program& program, RunPlan& plan) {
  GeocodeCache cache;
  if (plan.journal && !options.refresh) {
    Journal* journal = plan.journal.get();  // the plan moves; the journal stays where it is
    cache = [journal](const std::string& key) { return journal->CachedGeocode(key); };
  }
  KindCatalog catalog = program.kinds;
  if (plan.tasks.exec.kind == kinds::kExec) {
    catalog.Set(std::string(kinds::kExec), plan.tasks.exec.lane);
  }
  const bool indexing = plan.journal && !plan.tasks.index.roots.empty();
  RunSources sources = MakeRunSources(
      plan.tasks, catalog, cache,
      indexing ? plan.journal->KnownDocuments() : std::unordered_map<std::string, FileStamp>{});
  if (sources.index != nullptr) {
    // Ids after the counted CPU tasks belong to the folder walk, which changes from run to
    // run; the walk itself skips files already indexed.
    std::erase_if(plan.finished, [&](uint64_t id) {
      return id > sources.counted_cpu_tasks && id < kNetworkLaneFirstId;
    });
  }
  return sources;
}

// The run's row in the journal: from here on it is this process's run (JournalInUse while
// another live coordinator writes the database).
void BeginJournal(const RunOptions& options, RunPlan& plan) {
  if (!plan.journal) return;
  if (options.resume) {
    plan.journal->ContinueRun(plan.run_id);
    return;
  }
  const nlohmann::json spec = {
      {"version", kSpecVersion}, {"tasks", ToJson(plan.tasks)}, {"workers", options.workers}};
  plan.run_id = plan.journal->BeginRun(spec.dump(), TASKFARM_VERSION);
}

// A row to --out: through the geocoding join when it answers rows of the --geocode input.
void WriteRow(RunSetup& setup, const OutcomeRow& row) {
  if (!setup.geocode_join || !setup.geocode_join->Add(row)) setup.writer->Write(row);
}

// A resumed run's --out starts with every row the journal holds, written again: the file
// may have lost some that the journal kept (a full disk, a kill between the two writes), and
// the tasks behind them do not run again.
void RewriteRecordedRows(const RunOptions& options, RunSetup& setup) {
  if (!options.resume || !setup.writer || !setup.plan.journal) return;
  setup.plan.journal->ForEachResult(setup.plan.run_id, [&](const OutcomeRow& row) {
    WriteRow(setup, row);
  });
  setup.writer->Flush();
}

// A --geocode input's rows reach --out through the join, one per input row; every other
// row is written as it comes.
void OpenGeocodeJoin(RunSetup& setup) {
  if (!setup.writer || setup.sources.geocode_path.empty()) return;
  setup.geocode_join = std::make_unique<GeocodeJoin>(setup.plan.tasks.geocode,
                                                     setup.sources.geocode_path, *setup.writer);
}

RunSetup SetUpRun(RunOptions& options, const Program& program) {
  RunSetup setup;
  setup.plan = PlanRun(options, program);
  CheckGazetteer(options, setup.plan.tasks, program);
  setup.rates = ParseRates(setup.plan.tasks);
  setup.halt = ParseHaltPolicy(options.halt);
  CheckOptions(options, setup);
  MakeKeysForLocalHosts(options, setup);
  setup.listen = MakeListenConfig(options);
  setup.launch = MakeLaunchConfig(options);
  if (!options.out.empty()) setup.writer = OpenResultWriter(options.out, /*append=*/false);
  setup.sources = OpenSources(options, program, setup.plan);
  OpenGeocodeJoin(setup);
  RewriteRecordedRows(options, setup);
  BeginJournal(options, setup.plan);
  return setup;
}

// Where --exec's input 1 sits among the task ids, and the inputs an earlier run finished.
CommandOutput MakeCommandOutput(const RunOptions& options, const RunSetup& setup) {
  const TaskOptions& tasks = setup.plan.tasks;
  const uint64_t lane_first_id = tasks.exec.lane == Lane::kCpu ? 1 : NetworkFirstId(*setup.sources.cpu);
  const uint64_t exec_first_id = lane_first_id + setup.sources.exec_offset;
  std::optional<uint64_t> exec_count;
  if (tasks.exec.kind == kinds::kExec) {
    // Inputs from stdin are not counted ahead: then no earlier input counts as finished.
    const auto& totals = setup.sources.kind_totals;
    const auto total = totals.find(std::string(kinds::kExec));
    exec_count = total == totals.end() ? 0 : total->second;
  }
  return CommandOutput(options.keep_order, stdout, stderr,
                       FinishedExecInputs(setup.plan.finished, exec_first_id, exec_count));
}


// What happens to each outcome: the halt policy, the commands' output, --out, the journal, and
// the table of a small geocoding run.
class OutcomeSinks {
 public:
  OutcomeSinks(const RunOptions& options, RunSetup& setup, CommandOutput& command_output,
               RunSummary& summary)
      : setup_(setup),
        command_output_(command_output),
        summary_(summary),
        print_commands_(!options.json && (setup.plan.tasks.exec.kind == kinds::kExec ||
                                          !setup.plan.tasks.jobs.empty())),
        small_geocode_run_(setup.sources.kind_totals["geocode"] <= kSmallRunTable) {}

  void set_farm(Farm* farm) { farm_ = farm; }
  void set_dashboard(DashboardServer* dashboard) { dashboard_ = dashboard; }
  const std::vector<OutcomeRow>& table() const { return table_; }

  void operator()(const TaskRecord& record, const wire::Result& result) {
    ++outcomes_;
    failures_ += result.ok ? 0 : 1;
    if (!result.ok && dashboard_ != nullptr) {
      dashboard_->RecordFailure(record.spec.kind, record.id, result.error.message);
    }
    if (farm_ != nullptr && setup_.halt.Triggered(failures_, outcomes_)) {
      farm_->Halt(setup_.halt.when == HaltPolicy::When::kNow, "--halt");
    }
    if (record.spec.kind == kinds::kGeocode) CountHttpRetries(result);
    const bool printed = print_commands_ && record.spec.kind == kinds::kExec;
    const bool tabled = small_geocode_run_ && record.spec.kind == kinds::kGeocode;
    if (!setup_.writer && !setup_.plan.journal && !printed && !tabled) return;
    OutcomeRow row = MakeOutcomeRow(record, result);
    if (row.document && row.document->status == "skipped") {
      summary_.RecordSkipped(row.kind, row.document->note);
    }
    if (row.document && !row.document->members.empty()) RecordMembers(row.document->members);
    if (printed) command_output_.Add(row);
    if (setup_.writer && summary_.not_recorded().empty()) {
      try {
        WriteRow(setup_, row);
      } catch (const WriteError& e) {
        NotRecorded(e.what());
      }
    }
    if (tabled) table_.push_back(row);
    // Append says whether the journal still writes, under the lock it takes anyway.
    if (setup_.plan.journal && !setup_.plan.journal->Append(std::move(row))) {
      NotRecorded(setup_.plan.journal->failure().value_or("the journal stopped writing"));
    }
  }

  void RecordMembers(const std::vector<IndexedMember>& members) {
    const auto indexed = static_cast<uint64_t>(std::count_if(
        members.begin(), members.end(), [](const IndexedMember& m) { return m.status == "indexed"; }));
    summary_.RecordArchiveMembers(indexed, members.size() - indexed);
  }

  /// A place's HTTP requests made again count as retries of its kind, as re-sent tasks do
  /// (before, 16 of 50 places retried over HTTP and the summary said "0 retried").
  void CountHttpRetries(const wire::Result& result) {
    if (auto answer = DecodeGeocodeAnswer(result.payload); answer && answer->retries > 0) {
      summary_.RecordRetries(std::string(kinds::kGeocode), answer->retries);
    }
  }

  /// Results cannot be written: no more tasks are sent (those in flight finish), and the
  /// summary and exit status say so.
  void NotRecorded(const std::string& why) {
    if (!summary_.not_recorded().empty()) return;
    spdlog::error("results cannot be recorded: {}", why);
    summary_.set_not_recorded(why);
    if (farm_ != nullptr) farm_->Halt(/*now=*/false, "results cannot be recorded");
  }

 private:
  RunSetup& setup_;
  CommandOutput& command_output_;
  RunSummary& summary_;
  const bool print_commands_;
  const bool small_geocode_run_;
  Farm* farm_ = nullptr;
  uint64_t outcomes_ = 0;
  uint64_t failures_ = 0;
  std::vector<OutcomeRow> table_;
  DashboardServer* dashboard_ = nullptr;
};

// Starts the rate limiter and the journal's run, then the farm; returns how it ended. Any
// failure here is the farm's own (shared memory, sockets, workers), not the user's.
FarmExit ExecuteRun(const RunOptions& options, RunSetup& setup, FarmConfig config,
                    OutcomeSinks& sinks, RunSummary& summary) {
  FarmExit farm_exit;
  try {
    RemoveStaleSegments();
    std::unique_ptr<RateLimiter> limiter;
    if (!setup.rates.empty()) {
      limiter = RateLimiter::Create(setup.rates);
      config.shm_segment = limiter->segment_name();
      config.rate_specs = setup.rates;
      config.local_limiter = limiter.get();
      config.bucket_figures = [&] { return SummarizeBuckets(*limiter, setup.rates); };
    }
    ProgressDisplay progress = MakeProgressDisplay(options);
    const std::array<LaneSource, kLaneCount> lanes{
        LaneSource{setup.sources.cpu.get(), 1},
        LaneSource{setup.sources.network.get(), NetworkFirstId(*setup.sources.cpu)}};
    Farm farm(std::move(config), lanes, summary, std::ref(sinks), &progress);
    // The sinks may halt the farm while it runs, never after: it goes with this scope.
    struct Unset {
      OutcomeSinks& sinks;
      ~Unset() { sinks.set_farm(nullptr); }
    } unset{sinks};
    sinks.set_farm(&farm);
    farm_exit = farm.Run();
    if (limiter) summary.set_buckets(SummarizeBuckets(*limiter, setup.rates));
  } catch (const std::exception& e) {
    farm_exit.fatal_error = e.what();
  }
  return farm_exit;
}

// --dashboard [HOST:]PORT: the server, bound and serving; its address goes to stderr.
std::unique_ptr<DashboardServer> StartDashboard(const RunOptions& options) {
  DashboardOptions dashboard{"127.0.0.1", 0, options.dashboard_token};
  std::string port = options.dashboard;
  if (const auto colon = port.rfind(':'); colon != std::string::npos) {
    dashboard.host = port.substr(0, colon);
    if (dashboard.host.size() > 2 && dashboard.host.front() == '[') {
      dashboard.host = dashboard.host.substr(1, dashboard.host.size() - 2);  // [::1]
    }
    port = port.substr(colon + 1);
  }
  int number = -1;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (error != std::errc() || end != port.data() + port.size() || number < 0 || number > 65535) {
    throw std::runtime_error(fmt::format(
        "--dashboard '{}': expected [HOST:]PORT, a port from 0 (any free one) to 65535",
        options.dashboard));
  }
  dashboard.port = number;
  auto server = std::make_unique<DashboardServer>(dashboard);
  std::cerr << "taskfarm: dashboard at " << server->url() << std::endl;
  return server;
}

// --dashboard-linger: the final figures stay on the page a while after the run; a signal
// (Ctrl-C) ends the wait.
void LingerForTheDashboard(SignalPipe& signals, double seconds) {
  std::cerr << fmt::format("taskfarm: the dashboard stays up {:g} s more (Ctrl-C ends it)\n",
                           seconds)
            << std::flush;
  pollfd wait{signals.fd(), POLLIN, 0};
  poll(&wait, 1, static_cast<int>(seconds * 1000));
}

// The last rows of --out and the journal reach their files, or the run says they did not.
void FlushResults(RunSetup& setup, OutcomeSinks& sinks) {
  if (setup.writer) {
    try {
      if (setup.geocode_join) setup.geocode_join->Finish();
      setup.writer->Flush();
    } catch (const WriteError& e) {
      sinks.NotRecorded(e.what());
    }
  }
  if (setup.plan.journal) {
    setup.plan.journal->Flush();
    if (auto failure = setup.plan.journal->failure()) sinks.NotRecorded(*failure);
  }
}

// Closes the journal's run; a complete walk of the folders also drops the vanished files.
void EndJournal(RunSetup& setup, const FarmExit& farm_exit, int status, RunSummary& summary,
                const BucketHistory& bucket_history) {
  RunPlan& plan = setup.plan;
  if (!plan.journal || plan.run_id == 0) return;
  try {
    nlohmann::json rate_limits = summary.ToJson()["rate_limits"];
    const nlohmann::json history = bucket_history.ToJson();
    for (auto& [name, bucket] : rate_limits.items()) {
      bucket["used_over_time"] = history.contains(name) ? history[name] : nlohmann::json::array();
    }
    plan.journal->EndRun(plan.run_id, status, rate_limits.dump());
    IndexSource* index = setup.sources.index;
    if (index == nullptr) return;
    IndexCounts counts = index->counts();
    if (index->walked_all() && farm_exit.interrupted_by == 0) {
      const auto vanished = index->Vanished();
      plan.journal->RemoveDocuments(vanished);
      counts.removed = vanished.size();
    }
    summary.set_index_counts(counts);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
  }
}

// More places than the closing table shows, and nowhere to keep their answers: said before
// the run, not discovered after it.
void WarnIfAnswersAreNotKept(const RunOptions& options, RunSetup& setup) {
  const uint64_t places = setup.sources.kind_totals["geocode"];
  if (places <= kSmallRunTable || !options.out.empty() || !options.db.empty()) return;
  std::cerr << fmt::format("taskfarm: warning: {} places and neither --out nor --db: only the "
                           "summary will be printed, not their answers\n",
                           places);
}

int RunFarm(RunOptions options, const Program& program) {  // a copy: --launcher fills in --listen
  RunSetup setup;
  try {
    setup = SetUpRun(options, program);
  } catch (const WriteError& e) {  // writing a resumed run's rows to --out again
    std::cerr << "taskfarm run: " << e.what() << '\n';
    return exit_codes::kNotRecorded;
  } catch (const std::exception& e) {
    std::cerr << "taskfarm run: " << e.what() << '\n';
    return exit_codes::kBadUsage;
  }
  FarmConfig config = MakeFarmConfig(options, setup.plan.tasks, program);
  config.listen = setup.listen;
  if (!options.resume) config.kind_totals = setup.sources.kind_totals;
  // Declared before the Farm, so destroyed after it: the hosts have been told to stop when
  // the launcher cancels what is left of their jobs.
  std::unique_ptr<HostLauncher> launcher;
  if (setup.launch) launcher = std::make_unique<HostLauncher>(*setup.launch);
  if (launcher) {
    config.launched_hosts_running = [&launcher] { return launcher->AnyAgentRunning(); };
  }
  config.on_listening = [&launcher](const std::string& endpoint) {
    spdlog::info("accepting remote hosts on {}", endpoint);
    if (!launcher) std::cerr << "taskfarm: accepting remote hosts on " << endpoint << std::endl;
    if (launcher) launcher->Launch(endpoint);
  };
  CommandOutput command_output = MakeCommandOutput(options, setup);
  WarnIfAnswersAreNotKept(options, setup);
  config.finished_tasks = std::move(setup.plan.finished);
  RunSummary summary;
  summary.set_geocode_input(setup.sources.cache_hits, setup.sources.duplicate_places);
  OutcomeSinks sinks(options, setup, command_output, summary);
  std::unique_ptr<DashboardServer> dashboard;
  if (!options.dashboard.empty()) {
    try {
      dashboard = StartDashboard(options);
    } catch (const std::exception& e) {
      std::cerr << "taskfarm run: " << e.what() << '\n';
      return exit_codes::kBadUsage;
    }
    sinks.set_dashboard(dashboard.get());
  }
  // Snapshots every 0.25 s: the buckets' use over time (kept with the run for its report),
  // and the dashboard's figures.
  BucketHistory bucket_history;
  config.publish = [&dashboard, &bucket_history](const ProgressSnapshot& snapshot) {
    bucket_history.Record(snapshot);
    if (dashboard) dashboard->Publish(snapshot);
  };
  const FarmExit farm_exit = ExecuteRun(options, setup, std::move(config), sinks, summary);
  command_output.Finish();
  FlushResults(setup, sinks);
  const int status = ExitStatus(farm_exit, summary);
  EndJournal(setup, farm_exit, status, summary, bucket_history);
  // Caught from before the summary is printed, so a signal sent once it is there ends the
  // dashboard's linger instead of killing the process.
  std::optional<SignalPipe> linger_signals;
  if (dashboard && options.dashboard_linger_s > 0 && farm_exit.interrupted_by == 0) {
    linger_signals.emplace();  // a run stopped by Ctrl-C does not linger
  }
  if (!options.quiet) {
    PrintGeocodeTable(sinks.table(), std::cerr);
    summary.Print(std::cerr);
  }
  if (options.json) {
    nlohmann::json json = summary.ToJson();
    json["version"] = TASKFARM_VERSION;
    std::cout << json.dump() << std::endl;
  }
  if (!farm_exit.fatal_error.empty()) std::cerr << "taskfarm run: " << farm_exit.fatal_error << '\n';
  if (linger_signals) LingerForTheDashboard(*linger_signals, options.dashboard_linger_s);
  return status;
}

// A count or a limit held in an unsigned: CLI11 would read "-5" as 2^64 - 5.
const CLI::Validator kNotNegative(
    [](const std::string& text) {
      return text.starts_with('-') ? "must not be negative (got " + text + ")" : std::string();
    },
    "", "NotNegative");

}  // namespace

void AddRunCommand(CLI::App& app, RunCommandContext context, int* exit_status) {
  auto options = std::make_shared<RunOptions>();
  options->trailing_inputs = std::move(context.trailing_inputs);
  TaskOptions& tasks = options->tasks;
  CLI::App* run = app.add_subcommand("run", "Run a farm until its tasks are done");
  run->footer(R"(Examples:
  taskfarm run --noop 20000                 measure the farm itself
  taskfarm run --burn 1000 --burn-us 10000  1000 CPU tasks of 10 ms each, on every core
  taskfarm run --burn 200 --json            the summary as one JSON object on stdout
  taskfarm run --burn 5000 --db run.db      journal results; after a crash:
  taskfarm run --resume --db run.db         finish the tasks that have no result
  taskfarm run --exec 'echo {/.} {//}' ::: a/b.txt c.tar.gz   a command per input, as parallel
  taskfarm run --shell --exec 'echo {} | rev' -k ::: abc def   through /bin/sh, in input order

Exit status: 0 all tasks succeeded; 1 some tasks failed (or --halt stopped the run); 2 bad
usage or input; 3 results could not be recorded (disk full, I/O error); 4 the farm could not
run (workers fail to start, no shared memory); 130/143 interrupted by SIGINT/SIGTERM.)");
  run->add_option("--workers", options->workers,
                  "local worker processes (default: number of cores; 0 with --listen: remote "
                  "hosts only)")
      ->check(CLI::Range(0u, defaults::kMaxWorkers));
  run->add_option("--noop", tasks.noop, "COUNT no-op tasks (measures the farm itself)")
      ->check(kNotNegative);
  run->add_option("--burn", tasks.burn, "COUNT CPU tasks of about --burn-us each")
      ->check(kNotNegative);
  run->add_option("--burn-us", tasks.burn_us, "CPU time of one burn task, in microseconds")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{0}, uint64_t{3'600'000'000}));
  run->add_option("--rate", tasks.rates,
                  "rate limit [NAME=]R/UNIT[,R/UNIT...], units s, min, h, day; repeatable "
                  "(e.g. 10/s, google=50/s, locationiq=2/s,60/min)")
      ->delimiter('\0');  // commas separate a bucket's windows, not values
  run->add_option("--burst", tasks.burst,
                  "bucket capacity in tokens (default: one second's worth of each rate)")
      ->check(CLI::Range(1.0, 1e6));
  run->add_flag("--strict-rate", tasks.strict_rate,
                fmt::format("never more than N requests in any window of a rate's unit, as a "
                            "service that counts strictly sees them: tokens spaced by (unit + "
                            "{} ms of arrival jitter) / N, no burst",
                            defaults::kStrictRateJitter.count()));
  run->add_option("--dashboard", options->dashboard,
                  "serve a live page of the run, its status as JSON and Prometheus /metrics on "
                  "[HOST:]PORT (loopback unless HOST is given; 0: any free port; the address "
                  "is printed on stderr)");
  run->add_option("--dashboard-token", options->dashboard_token,
                  "TOKEN every dashboard request must carry (?token=TOKEN); required for a "
                  "HOST other than loopback");
  run->add_option("--dashboard-linger", options->dashboard_linger_s,
                  "keep the dashboard up SECONDS after the run ends, its final figures on the "
                  "page (a signal ends the wait)")
      ->check(CLI::Range(0.0, 86400.0));
  run->add_option("--db", options->db,
                  "the run's SQLite database: every result is journaled there as it arrives");
  run->add_flag("--resume", options->resume,
                "finish the latest run in --db: only its tasks that have no result");
  run->add_option("--out", options->out,
                  "write each task's result to FILE (.jsonl or .csv; - for JSON Lines on stdout)");
  run->add_flag("--json", options->json, "print the final summary as one JSON object on stdout");
  run->add_flag("--quiet", options->quiet, "no progress output and no summary on stderr");
  run->add_option("--progress-interval", options->progress_interval_s,
                  "seconds between progress updates (default: 0.25 on a terminal, where lines "
                  "are rewritten in place; 5 otherwise, one key=value line per kind)")
      ->check(CLI::Range(0.01, 3600.0));

  const std::string geocoding = "Geocoding";
  run->add_option("--geocode", tasks.geocode.path,
                  "FILE of places to geocode, one per line ('-' = stdin); blank lines and # "
                  "comments are skipped, identical places asked once; --out has a row per "
                  "input row, in input order")
      ->group(geocoding);
  run->add_option("--column", tasks.geocode.column,
                  "the --geocode FILE is CSV: geocode the column of its header called NAME, or "
                  "the Nth field (a number) of a file without a header")
      ->group(geocoding);
  run->add_flag("--keep-columns", tasks.geocode.keep_columns,
                "each --out row carries its CSV record's own columns (a .csv --out puts them "
                "first; .jsonl under \"columns\")")
      ->group(geocoding);
  run->add_option_function<std::string>(
         "--delimiter",
         [&tasks](const std::string& text) {
           const std::string value = text == "tab" || text == "\\t" ? "\t" : text;
           if (value.size() != 1 || value == "\"" || value == "\n" || value == "\r") {
             throw CLI::ValidationError("--delimiter", "'" + text +
                                        "' is not one field separator (e.g. ';', or tab)");
           }
           tasks.geocode.delimiter = value[0];
         },
         fmt::format("the CSV field separator with --column: one character, or tab (default "
                     "'{}')",
                     defaults::kCsvDelimiter))
      ->group(geocoding);
  run->add_option("--provider", tasks.geocode.providers,
                  "offline, nominatim, google, or a cascade: google,offline (default offline); "
                  "google reads its key from GOOGLE_MAPS_API_KEY")
      ->delimiter(',')
      ->group(geocoding);
  run->add_option("--endpoint", tasks.geocode.endpoint,
                  "base URL of the Google- or Nominatim-compatible server to ask (needed: no "
                  "public service is asked unless named; e.g. taskfarm geoserver's URL)")
      ->group(geocoding);
  run->add_option("--country", tasks.geocode.country,
                  "answers only in this country (ISO 3166-1 alpha-2, e.g. CA)")
      ->transform([](std::string code) {
        const bool ok = code.size() == 2 && std::isalpha(static_cast<unsigned char>(code[0])) &&
                        std::isalpha(static_cast<unsigned char>(code[1]));
        if (!ok) {
          throw CLI::ValidationError("'" + code +
                                     "' is not a two-letter country code (ISO 3166-1, e.g. CA)");
        }
        for (char& c : code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return code;
      })
      ->group(geocoding);
  run->add_option("--language", tasks.geocode.language,
                  "answers in this language (BCP 47: de, pt-BR), as Google's language and "
                  "Nominatim's accept-language give them; the offline gazetteer finds names in "
                  "every language but answers in English")
      ->check([](const std::string& tag) -> std::string {
        static const std::regex kTag("[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*");
        return std::regex_match(tag, kTag)
                   ? std::string()
                   : "'" + tag + "' is not a language tag (BCP 47, e.g. de or pt-BR)";
      })
      ->group(geocoding);
  run->add_option("--candidates", tasks.geocode.candidates,
                  fmt::format("for an ambiguous place, how many other places it could be to name "
                              "in its row (offline provider; default {})",
                              defaults::kGeocodeCandidates))
      ->check(CLI::Range(0u, 20u))
      ->group(geocoding);
  run->add_option("--io-concurrency", options->io_concurrency,
                  fmt::format("network requests in flight per worker (default {})",
                              defaults::kIoConcurrency))
      ->check(CLI::Range(1u, 1024u))
      ->group(geocoding);
  run->add_option("--retries", options->retries,
                  fmt::format("geocoding: retries of a transient failure (429, 5xx, timeout) per "
                              "provider (default {}); --exec: runs again of a failed command "
                              "(default 0)",
                              defaults::kRetries))
      ->check(CLI::Range(0u, 100u))
      ->group(geocoding);
  run->add_option("--user-agent", options->user_agent,
                  "User-Agent of requests (Nominatim's policy asks for one naming your app)")
      ->group(geocoding);
  run->add_option("--http-timeout", options->http_timeout_s, fmt::format("seconds one request may take (default {})",
                  defaults::Seconds(defaults::kHttpTimeout)))
      ->check(CLI::Range(0.1, 3600.0))
      ->group(geocoding);
  run->add_option("--zero-retry-after-pause", options->zero_retry_after_pause_s,
                  fmt::format("seconds to pause a provider that answers 429 with "
                              "Retry-After: 0 (default {})",
                              defaults::Seconds(defaults::kZeroRetryAfterPause)))
      ->check(CLI::Range(0.0, 86400.0))
      ->group(geocoding);
  run->add_flag("--refresh", options->refresh,
                "ask the services again even for places the --db cache has answered")
      ->group(geocoding);
  run->add_option("--gazetteer", options->gazetteer,
                  "directory of the offline provider's GeoNames data (default: data/geonames)")
      ->group(geocoding);

  const std::string indexing = "Indexing";
  run->add_option("--index", tasks.index.roots,
                  "FOLDER to index into --db (text, Markdown, HTML, PDF, ODT/DOCX...); "
                  "repeatable; a second run converts only new and changed files")
      ->group(indexing);
  run->add_option("--exclude", tasks.index.excludes,
                  "skip files and folders matching GLOB (e.g. '*.log', '.git'); repeatable")
      ->group(indexing);
  run->add_option("--max-file-size", tasks.index.max_file_size,
                  fmt::format("files larger than this many bytes are error rows (default {} MiB)",
                              defaults::kMaxFileSize >> 20))
      ->group(indexing);
  run->add_option("--converter", options->converters,
                  "EXT=COMMAND: convert .EXT files with COMMAND ({} is the path), its stdout "
                  "is the text; repeatable (e.g. rtf='unrtf --text {}')")
      ->group(indexing);
  run->add_option("--converter-timeout", tasks.index.converter_timeout_s,
                  fmt::format("seconds an external converter may run (default {})",
                              defaults::kConverterTimeoutSeconds))
      ->check(CLI::Range(1u, 7u * 86400u))
      ->group(indexing);
  run->add_flag("--retry-failed", tasks.index.retry_failed,
                "convert again the files whose conversion failed before, though unchanged "
                "(without it they stay failed until they change, so a re-run does not fail on "
                "them again)")
      ->group(indexing);

  const std::string commands = "Commands per input (as GNU parallel), job files";
  run->add_option("--exec", tasks.exec.command_line,
                  "run COMMAND once per input; {} {.} {/} {//} {/.} {#} {%} as in GNU parallel "
                  "(without any, the input is added as the last argument); run directly, "
                  "not through a shell, unless --shell")
      ->group(commands);
  run->add_option("--inputs", tasks.exec.inputs_path,
                  "FILE of inputs for --exec, one a line ('-' = stdin); or give them after :::")
      ->group(commands);
  run->add_flag("-0,--null", tasks.exec.null_separated, "inputs end at NUL bytes, not newlines")
      ->group(commands);
  run->add_flag("--shell", tasks.exec.shell,
                "run --exec through /bin/sh -c, each replacement shell-quoted (for pipes, "
                "redirections, &&)")
      ->group(commands);
  run->add_flag("-k,--keep-order", options->keep_order,
                "print commands' output in input order, not as they finish (geocoding rows "
                "in --out are always in input order)")
      ->group(commands);
  run->add_option("--halt", options->halt,
                  "stop after failures: never (default), soon,fail=N (no new tasks), now,fail=N "
                  "(kill those running too); N may be a percentage, e.g. now,fail=10%")
      ->group(commands);
  run->add_option("--results", tasks.exec.results_dir,
                  "write each command's whole stdout and stderr to DIR/<input number>/")
      ->group(commands);
  run->add_option("--capture-limit", tasks.exec.capture_limit,
                  fmt::format("bytes of each command's stdout and of its stderr kept in its "
                              "result and printed (default {}); the rest is counted",
                              kDefaultCaptureLimitBytes))
      ->check(CLI::Range(uint64_t{0}, uint64_t{16} << 20))
      ->group(commands);
  run->add_option("--exec-rate", options->exec_rate,
                  "[NAME=]R/UNIT: each command takes a token of this shared rate limit before "
                  "it starts (or NAME: draw on --rate NAME=...)")
      ->group(commands);
  run->add_option("--exec-lane", options->exec_lane,
                  "cpu: one command at a time per worker (default); io: up to --io-concurrency "
                  "per worker, for commands that wait on the network")
      ->check(CLI::IsMember({"cpu", "io"}))
      ->group(commands);
  run->add_option("--jobs", tasks.jobs,
                  "FILE of JSON lines, one task each, of any kind: {\"kind\":\"exec\",\"argv\":[...]}, "
                  "{\"kind\":\"geocode\",\"query\":...}, {\"kind\":\"index\",\"path\":...}; "
                  "\"id\" comes back as job_id ('-' = stdin)")
      ->group(commands);
  if (!context.program->kinds.UserKinds().empty()) {
    std::string names;
    for (const KindInfo& kind : context.program->kinds.UserKinds()) {
      names += (names.empty() ? "" : ", ") + kind.name;
    }
    run->add_option("--kind", tasks.exec.kind,
                    "run a task of this program's kind NAME per input (" + names + ")")
        ->group(commands);
  }

  const std::string reliability = "Reliability";
  run->add_option("--grace", options->grace_s,
                  fmt::format("seconds tasks in flight may take to finish after SIGINT/SIGTERM "
                              "(default {})",
                              defaults::Seconds(defaults::kGrace)))
      ->check(CLI::Range(0.0, 86400.0))
      ->group(reliability);
  run->add_option("--max-attempts", options->max_attempts,
                  fmt::format("quarantine a task after its worker died running it this many "
                              "times (default {})",
                              defaults::kMaxAttempts))
      ->check(CLI::Range(1u, 100u))
      ->group(reliability);
  run->add_option("--task-timeout", options->task_timeout_s,
                  "seconds a task may run before its worker is killed and the task retried "
                  "(default per built-in kind: at least 60; none for --exec and a program's own "
                  "kinds); an --exec command past it has its process group killed and fails; "
                  "time spent waiting for a rate-limit token does not count")
      ->check(CLI::Range(0.001, 31'536'000.0))
      ->group(reliability);
  run->add_option("--max-tasks-per-worker", options->max_tasks_per_worker,
                  "replace a worker cleanly after this many tasks (default: never)")
      ->check(kNotNegative)
      ->group(reliability);
  run->add_option("--max-worker-rss", options->max_worker_rss_mb,
                  "replace a worker cleanly, between tasks, once it uses more than MB of "
                  "memory (default: never)")
      ->check(kNotNegative)
      ->group(reliability);

  const std::string testing = "Testing and diagnostics";
  run->add_option("--sleep", tasks.sleep, "COUNT tasks that sleep (no CPU)")
      ->check(kNotNegative)
      ->group(testing);
  run->add_option("--sleep-ms", tasks.sleep_ms,
                  "milliseconds each sleep task takes; a list cycles: 1,1,1,1,200")
      ->delimiter(',')
      ->check(CLI::Range(uint64_t{0}, uint64_t{3'600'000}))
      ->group(testing);
  run->add_option("--fault", tasks.fault, "COUNT tasks that misbehave as --fault-mode says")
      ->check(kNotNegative)
      ->group(testing);
  run->add_option("--fault-mode", tasks.fault_mode,
                  "throw, abort, exit or hang; with -once (abort-once...) only the first attempt")
      ->check(CLI::IsMember({"throw", "abort", "exit", "hang", "throw-once", "abort-once",
                             "exit-once", "hang-once"}))
      ->group(testing);
  run->add_option("--tick", tasks.tick, "COUNT tasks that each take one rate-limit token")
      ->check(kNotNegative)
      ->group(testing);
  run->add_option("--tick-bucket", tasks.tick_bucket,
                  "the bucket --tick tasks draw from (default: the first --rate)")
      ->group(testing);

  const std::string hosts = "Remote hosts";
  run->add_option("--listen", options->listen,
                  "also accept remote host agents (taskfarm host) on tcp://ADDR:PORT; port 0 "
                  "picks one, printed at start")
      ->group(hosts);
  run->add_option("--keys", options->keys,
                  "DIR with this coordinator's CurveZMQ key pair and the authorized_keys of the "
                  "hosts it accepts (taskfarm keygen DIR)")
      ->group(hosts);
  run->add_flag("--insecure", options->insecure,
                "accept hosts over plain TCP: no encryption, no authentication")
      ->group(hosts);
  run->add_option("--heartbeat-timeout", options->heartbeat_timeout_s,
                  fmt::format("seconds of silence after which a host is dropped and its tasks "
                              "re-sent (default {})",
                              defaults::Seconds(defaults::kHeartbeatTimeout)))
      ->check(CLI::Range(0.5, 3600.0))
      ->group(hosts);
  run->add_option("--launcher", options->launcher,
                  "start --hosts host agents: local (processes on this machine) or slurm (one "
                  "srun job each)")
      ->check(CLI::IsMember({"local", "slurm"}))
      ->group(hosts);
  run->add_option("--hosts", options->launch_hosts, "how many host agents --launcher starts")
      ->check(CLI::Range(1u, 4096u))
      ->group(hosts);
  run->add_option("--workers-per-host", options->workers_per_host,
                  "workers of each launched host (1); Slurm gives each job that many CPUs")
      ->check(CLI::Range(1u, defaults::kMaxWorkers))
      ->group(hosts);
  run->add_option("--slurm-opt", options->slurm_options,
                  "more srun options for every agent's job, e.g. \"--partition=short --time=60\"")
      ->group(hosts);
  run->add_option("--max-host-workers", options->max_host_workers,
                  fmt::format("most workers a remote host is given, whatever it asks (default {})",
                              defaults::kMaxHostWorkers))
      ->check(CLI::Range(1u, defaults::kMaxWorkers))
      ->group(hosts);
  run->add_option("--wait-hosts", options->wait_hosts,
                  "hold tasks back until N hosts have joined (or --wait-hosts-timeout passed)")
      ->group(hosts);
  run->add_option("--wait-hosts-timeout", options->wait_hosts_timeout_s,
                  fmt::format("seconds --wait-hosts waits at most; then the run starts with the "
                              "hosts it has (default {})",
                              defaults::Seconds(defaults::kWaitHostsTimeout)))
      ->check(CLI::Range(0.0, 86400.0))
      ->group(hosts);

  run->callback([options, context, exit_status] {
    options->worker_log_args = context.logging->AsArgs();
    *exit_status = RunFarm(*options, *context.program);
  });
}

}  // namespace taskfarm
