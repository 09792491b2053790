#include "coordinator/task_options.h"

#include <algorithm>
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
std::unique_ptr<TaskSource> MakeCpuSource(const TaskOptions& o);

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
                     {"converters", o.index.converters}};
  }
  if (!o.geocode.path.empty()) {
    json["geocode"] = {{"path", o.geocode.path},
                       {"column", o.geocode.column},
                       {"providers", o.geocode.providers},
                       {"endpoint", o.geocode.endpoint}};
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
    }
    if (json.contains("geocode")) {
      const auto& geocode = json.at("geocode");
      o.geocode.path = geocode.at("path").get<std::string>();
      o.geocode.column = geocode.at("column").get<std::string>();
      o.geocode.providers = geocode.at("providers").get<std::vector<std::string>>();
      o.geocode.endpoint = geocode.at("endpoint").get<std::string>();
    }
    if (o.sleep_ms.empty()) throw std::runtime_error("empty sleep_ms");
    return o;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("the stored run settings are not readable: ") + e.what());
  }
}

RunSources MakeRunSources(const TaskOptions& o, const GeocodeCache& cache,
                          std::unordered_map<std::string, FileStamp> known_files) {
  RunSources sources;
  sources.cpu = MakeCpuSource(o);
  sources.kind_totals = KindTotals(o);
  sources.counted_cpu_tasks = sources.cpu->Total().value_or(0);
  if (!o.index.roots.empty()) {
    for (const std::string& root : o.index.roots) {
      if (!std::filesystem::is_directory(root)) throw InputError("--index " + root + ": not a folder");
    }
    auto index = std::make_unique<IndexSource>(o.index, std::move(known_files));
    sources.index = index.get();
    sources.cpu = std::make_unique<ChainedSource>(std::move(sources.cpu), std::move(index));
  }
  if (!o.geocode.path.empty()) {
    auto geocode = std::make_unique<GeocodeSource>(o.geocode, cache);
    for (const auto& [kind, count] : geocode->KindCounts()) sources.kind_totals[kind] += count;
    sources.duplicate_places = geocode->duplicates();
    sources.cache_hits = geocode->cache_hits();
    sources.network = std::move(geocode);
  }
  return sources;
}

std::unique_ptr<TaskSource> MakeCpuSource(const TaskOptions& o) {
  std::vector<std::unique_ptr<TaskSource>> sources;
  if (o.noop > 0) sources.push_back(std::make_unique<CountedSource>("noop", o.noop, nullptr));
  if (o.burn > 0) sources.push_back(Repeat("burn", o.burn, payloads::EncodeUint(o.burn_us)));
  if (o.sleep > 0) {
    const std::vector<uint64_t> pattern = o.sleep_ms;
    sources.push_back(std::make_unique<CountedSource>("sleep", o.sleep, [pattern](uint64_t i) {
      return payloads::EncodeUint(pattern[i % pattern.size()]);
    }));
  }
  if (o.tick > 0) sources.push_back(Repeat("tick", o.tick, payloads::EncodeText(o.tick_bucket)));
  if (o.fault > 0) sources.push_back(Repeat("fault", o.fault, payloads::EncodeText(o.fault_mode)));
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
      {"index", std::max(kMinimumTimeout, milliseconds(o.index.converter_timeout_s * 2000))},
      {"tick", milliseconds(0)},
  };
}

}  // namespace taskfarm
