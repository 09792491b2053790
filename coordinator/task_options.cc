#include "coordinator/task_options.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "shared/builtin_payloads.h"

namespace taskfarm {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kMinimumTimeout{60'000};

std::unique_ptr<TaskSource> Repeat(const std::string& kind, uint64_t count, std::string payload) {
  return std::make_unique<CountedSource>(
      kind, count, [payload = std::move(payload)](uint64_t) { return payload; });
}

}  // namespace

// Defined below MakeRunSources, which reads better first.
std::unique_ptr<TaskSource> MakeCountedSource(const TaskOptions& o, const KindCatalog& catalog,
                                              Lane lane);

nlohmann::json ToJson(const TaskOptions& o) {
  nlohmann::json json = {
      {"noop", o.noop},   {"burn", o.burn},           {"burn_us", o.burn_us},
      {"sleep", o.sleep}, {"sleep_ms", o.sleep_ms},   {"fault", o.fault},
      {"fault_mode", o.fault_mode}, {"tick", o.tick}, {"tick_bucket", o.tick_bucket},
      {"rates", o.rates},
  };
  if (o.burst) json["burst"] = *o.burst;
  if (!o.index.roots.empty()) {
    json["index"] = {{"roots", o.index.roots},
                     {"excludes", o.index.excludes},
                     {"max_file_size", o.index.max_file_size},
                     {"max_text_bytes", o.index.max_text_bytes},
                     {"converter_timeout_s", o.index.converter_timeout_s},
                     {"converters", o.index.converters},
                     {"retry_failed", o.index.retry_failed}};
  }
  if (o.exec.active()) {
    json["exec"] = {{"kind", o.exec.kind},
                    {"command_line", o.exec.command_line},
                    {"shell", o.exec.shell},
                    {"command", o.exec.command},
                    {"inputs", o.exec.inputs_path},
                    {"args", o.exec.args},
                    {"null", o.exec.null_separated},
                    {"capture_limit", o.exec.capture_limit},
                    {"results", o.exec.results_dir},
                    {"timeout_ms", o.exec.timeout_ms},
                    {"retries", o.exec.retries},
                    {"bucket", o.exec.bucket},
                    {"lane", LaneName(o.exec.lane)}};
  }
  if (!o.jobs.empty()) json["jobs"] = o.jobs;
  if (!o.geocode.path.empty()) {
    json["geocode"] = {{"path", o.geocode.path},
                       {"column", o.geocode.column},
                       {"delimiter", std::string(1, o.geocode.delimiter)},
                       {"providers", o.geocode.providers},
                       {"endpoint", o.geocode.endpoint},
                       {"country", o.geocode.country},
                       {"language", o.geocode.language},
                       {"candidates", o.geocode.candidates},
                       {"keep_columns", o.geocode.keep_columns}};
  }
  return json;
}

TaskOptions TaskOptionsFromJson(const nlohmann::json& json) {
  try {
    TaskOptions o;
    o.noop = json.at("noop").get<uint64_t>();
    o.burn = json.at("burn").get<uint64_t>();
    o.burn_us = json.at("burn_us").get<uint64_t>();
    o.sleep = json.at("sleep").get<uint64_t>();
    o.sleep_ms = json.at("sleep_ms").get<std::vector<uint64_t>>();
    o.fault = json.at("fault").get<uint64_t>();
    o.fault_mode = json.at("fault_mode").get<std::string>();
    o.tick = json.at("tick").get<uint64_t>();
    o.tick_bucket = json.at("tick_bucket").get<std::string>();
    o.rates = json.at("rates").get<std::vector<std::string>>();
    if (json.contains("burst")) o.burst = json.at("burst").get<double>();
    if (json.contains("index")) {
      const auto& index = json.at("index");
      o.index.roots = index.at("roots").get<std::vector<std::string>>();
      o.index.excludes = index.at("excludes").get<std::vector<std::string>>();
      o.index.max_file_size = index.at("max_file_size").get<uint64_t>();
      o.index.max_text_bytes = index.at("max_text_bytes").get<uint64_t>();
      o.index.converter_timeout_s = index.at("converter_timeout_s").get<uint32_t>();
      o.index.converters = index.at("converters").get<std::map<std::string, std::string>>();
      o.index.retry_failed = index.value("retry_failed", false);
    }
    if (json.contains("geocode")) {
      const auto& geocode = json.at("geocode");
      o.geocode.path = geocode.at("path").get<std::string>();
      o.geocode.column = geocode.at("column").get<std::string>();
      const std::string delimiter =
          geocode.value("delimiter", std::string(1, defaults::kCsvDelimiter));
      o.geocode.delimiter = delimiter.size() == 1 ? delimiter[0] : defaults::kCsvDelimiter;
      o.geocode.providers = geocode.at("providers").get<std::vector<std::string>>();
      o.geocode.endpoint = geocode.at("endpoint").get<std::string>();
      // Runs recorded before these settings existed had neither.
      o.geocode.country = geocode.value("country", std::string());
      o.geocode.candidates = geocode.value("candidates", uint32_t{0});
      o.geocode.keep_columns = geocode.value("keep_columns", false);
      o.geocode.language = geocode.value("language", std::string());
    }
    if (json.contains("exec")) {
      const auto& exec = json.at("exec");
      o.exec.kind = exec.at("kind").get<std::string>();
      o.exec.command_line = exec.at("command_line").get<std::string>();
      o.exec.shell = exec.at("shell").get<bool>();
      o.exec.command = exec.at("command").get<std::vector<std::string>>();
      o.exec.inputs_path = exec.at("inputs").get<std::string>();
      o.exec.args = exec.at("args").get<std::vector<std::string>>();
      o.exec.null_separated = exec.at("null").get<bool>();
      o.exec.capture_limit = exec.at("capture_limit").get<uint64_t>();
      o.exec.results_dir = exec.at("results").get<std::string>();
      o.exec.timeout_ms = exec.at("timeout_ms").get<uint32_t>();
      o.exec.retries = exec.at("retries").get<uint32_t>();
      o.exec.bucket = exec.at("bucket").get<std::string>();
      o.exec.lane = ParseLaneName(exec.at("lane").get<std::string>()).value_or(Lane::kCpu);
    }
    if (json.contains("jobs")) o.jobs = json.at("jobs").get<std::string>();
    if (o.sleep_ms.empty()) throw std::runtime_error("empty sleep_ms");
    return o;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("the stored run settings are not readable: ") + e.what());
  }
}

RunSources::RunSources() = default;
RunSources::~RunSources() = default;
RunSources::RunSources(RunSources&&) noexcept = default;
RunSources& RunSources::operator=(RunSources&&) noexcept = default;

namespace {

// All of the first source, then all of the next, and so on; null when there are none.
std::unique_ptr<TaskSource> Chain(std::vector<std::unique_ptr<TaskSource>> parts) {
  std::unique_ptr<TaskSource> chain;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!*it) continue;
    chain = chain ? std::make_unique<ChainedSource>(std::move(*it), std::move(chain)) : std::move(*it);
  }
  return chain;
}

struct JobSources {
  std::unique_ptr<TaskSource> cpu;
  std::unique_ptr<TaskSource> network;
};

JobSources MakeJobSources(const TaskOptions& o, const KindCatalog& catalog,
                          const GeocodeCache& cache, RunSources& sources,
                          std::vector<std::string>& index_roots) {
  if (o.jobs.empty()) return {};
  std::string path = o.jobs;
  if (path == "-") {
    sources.spooled_jobs = std::make_unique<SpooledStdin>("--jobs");
    path = sources.spooled_jobs->path();
  } else if (std::filesystem::is_directory(path)) {
    throw InputError("--jobs " + path + ": is a folder, not a job file");
  }
  JobDefaults defaults{catalog, o.exec, o.geocode, cache};
  const JobFileScan scan = ScanJobFile(path, defaults);
  for (const auto& [kind, count] : scan.kind_totals) sources.kind_totals[kind] += count;
  index_roots.insert(index_roots.end(), scan.index_roots.begin(), scan.index_roots.end());
  JobSources jobs;
  if (scan.cpu_jobs > 0) jobs.cpu = std::make_unique<JobSource>(path, Lane::kCpu, defaults, scan.cpu_jobs);
  if (scan.network_jobs > 0) {
    jobs.network = std::make_unique<JobSource>(path, Lane::kNetwork, defaults, scan.network_jobs);
  }
  return jobs;
}

}  // namespace

RunSources MakeRunSources(const TaskOptions& o, const KindCatalog& catalog,
                          const GeocodeCache& cache,
                          std::unordered_map<std::string, FileStamp> known_files) {
  RunSources sources;
  std::unique_ptr<TaskSource> counted = MakeCountedSource(o, catalog, Lane::kCpu);
  sources.kind_totals = KindTotals(o);
  std::unique_ptr<TaskSource> exec;
  if (o.exec.active()) {
    exec = std::make_unique<ExecSource>(o.exec);
    if (auto total = exec->Total()) sources.kind_totals[o.exec.kind] += *total;
  }
  std::vector<std::string> index_roots = o.index.roots;
  JobSources jobs = MakeJobSources(o, catalog, cache, sources, index_roots);
  std::unique_ptr<GeocodeSource> geocode;
  if (!o.geocode.path.empty()) {
    geocode = std::make_unique<GeocodeSource>(o.geocode, cache);
    for (const auto& [kind, count] : geocode->KindCounts()) sources.kind_totals[kind] += count;
    sources.duplicate_places = geocode->duplicates();
    sources.cache_hits = geocode->cache_hits();
    sources.geocode_path = geocode->path();
  }
  const bool exec_in_cpu_lane = exec && o.exec.lane == Lane::kCpu;
  if (exec) {
    // --exec tasks follow the counted tasks in the CPU lane, or the places in the network lane.
    const std::optional<uint64_t> before =
        exec_in_cpu_lane ? counted->Total() : (geocode ? geocode->Total() : uint64_t{0});
    sources.exec_offset = before.value_or(0);
  }
  std::vector<std::unique_ptr<TaskSource>> cpu_parts;
  cpu_parts.push_back(std::move(counted));
  if (exec_in_cpu_lane) cpu_parts.push_back(std::move(exec));
  cpu_parts.push_back(std::move(jobs.cpu));
  sources.cpu = Chain(std::move(cpu_parts));
  sources.counted_cpu_tasks = sources.cpu->Total().value_or(0);
  if (!index_roots.empty()) {
    IndexInput index = o.index;
    index.roots = index_roots;
    for (const std::string& root : index.roots) {
      if (!std::filesystem::is_directory(root)) throw InputError("--index " + root + ": not a folder");
    }
    auto walk = std::make_unique<IndexSource>(index, std::move(known_files));
    sources.index = walk.get();
    sources.cpu = std::make_unique<ChainedSource>(std::move(sources.cpu), std::move(walk));
  }
  std::vector<std::unique_ptr<TaskSource>> network_parts;
  network_parts.push_back(std::move(geocode));
  if (exec) network_parts.push_back(std::move(exec));  // --exec-lane io
  network_parts.push_back(std::move(jobs.network));
  network_parts.push_back(MakeCountedSource(o, catalog, Lane::kNetwork));
  sources.network = Chain(std::move(network_parts));
  return sources;
}

// The counted kinds (--noop, --burn, ...) whose lane is `lane`, interleaved; each goes to the
// lane its kind is declared with, so a kind that only waits (tick) holds no CPU slot.
std::unique_ptr<TaskSource> MakeCountedSource(const TaskOptions& o, const KindCatalog& catalog,
                                              Lane lane) {
  std::vector<std::unique_ptr<TaskSource>> sources;
  const auto add = [&](std::string_view kind, std::unique_ptr<TaskSource> source) {
    if (catalog.LaneOf(kind) == lane) sources.push_back(std::move(source));
  };
  if (o.noop > 0) add(kinds::kNoop, std::make_unique<CountedSource>("noop", o.noop, nullptr));
  if (o.burn > 0) add(kinds::kBurn, Repeat("burn", o.burn, payloads::EncodeUint(o.burn_us)));
  if (o.sleep > 0) {
    const std::vector<uint64_t> pattern = o.sleep_ms;
    add(kinds::kSleep, std::make_unique<CountedSource>("sleep", o.sleep, [pattern](uint64_t i) {
      return payloads::EncodeUint(pattern[i % pattern.size()]);
    }));
  }
  if (o.tick > 0) add(kinds::kTick, Repeat("tick", o.tick, payloads::EncodeText(o.tick_bucket)));
  if (o.fault > 0) add(kinds::kFault, Repeat("fault", o.fault, payloads::EncodeText(o.fault_mode)));
  if (sources.empty() && lane == Lane::kNetwork) return nullptr;
  return std::make_unique<InterleavedSource>(std::move(sources));
}

std::map<std::string, uint64_t> KindTotals(const TaskOptions& o) {
  std::map<std::string, uint64_t> totals;
  const std::pair<const char*, uint64_t> counts[] = {
      {"noop", o.noop}, {"burn", o.burn}, {"sleep", o.sleep}, {"tick", o.tick}, {"fault", o.fault}};
  for (const auto& [kind, count] : counts) {
    if (count > 0) totals[kind] = count;
  }
  return totals;
}

std::map<std::string, milliseconds> DefaultTaskTimeouts(const TaskOptions& o) {
  const uint64_t longest_sleep = *std::max_element(o.sleep_ms.begin(), o.sleep_ms.end());
  return {
      {"noop", kMinimumTimeout},
      {"burn", std::max(kMinimumTimeout, milliseconds(o.burn_us / 100))},  // 10x the CPU time
      {"sleep", std::max(kMinimumTimeout, milliseconds(longest_sleep * 10))},
      {"fault", kMinimumTimeout},
      {"index", std::max(kMinimumTimeout, milliseconds(int64_t{o.index.converter_timeout_s} * 2000))},
      {"tick", milliseconds(0)},
      // A command enforces --task-timeout itself (killing its process group, not its worker).
      {"exec", milliseconds(0)},
  };
}

}  // namespace taskfarm
