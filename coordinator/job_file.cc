#include "coordinator/job_file.h"

#include <algorithm>
#include <filesystem>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "shared/builtin_payloads.h"
#include "shared/geocode_messages.h"

namespace taskfarm {
namespace {

using nlohmann::json;

/// One line of a job file, classified.
struct JobLine {
  bool skip = false;       // blank or a comment
  Lane lane = Lane::kCpu;
  TaskSpec spec;           // a task, or a reject
  std::string index_root;  // an index job: the folder (walked after every other line)
};

JobLine Reject(uint64_t number, const std::string& why) {
  JobLine line;
  line.spec = {std::string(kinds::kReject),
               payloads::EncodeText(fmt::format("job line {}: {}", number, why))};
  return line;
}

std::string JobId(const json& job) {
  if (!job.contains("id")) return {};
  const json& id = job.at("id");
  return id.is_string() ? id.get<std::string>() : id.dump();
}

std::optional<std::string> TextField(const json& job, const char* name) {
  if (!job.contains(name) || !job.at(name).is_string()) return std::nullopt;
  return job.at(name).get<std::string>();
}

std::optional<uint64_t> UintField(const json& job, const char* name, uint64_t fallback) {
  if (!job.contains(name)) return fallback;
  if (!job.at(name).is_number_unsigned()) return std::nullopt;
  return job.at(name).get<uint64_t>();
}

// The payload of a job of `kind`, or the reason the line cannot be one.
std::variant<std::string, std::string> PayloadOf(const std::string& kind, const json& job,
                                                 const JobDefaults& defaults) {
  using Result = std::variant<std::string, std::string>;
  const auto error = [](std::string why) { return Result(std::in_place_index<1>, std::move(why)); };
  const auto ok = [](std::string payload) { return Result(std::in_place_index<0>, std::move(payload)); };
  if (kind == kinds::kExec) {
    ExecRequest request = MakeExecRequest(defaults.exec);
    request.expand = false;
    if (job.contains("argv") && job.at("argv").is_array() && !job.at("argv").empty() &&
        std::all_of(job.at("argv").begin(), job.at("argv").end(),
                    [](const json& word) { return word.is_string(); })) {
      request.command = job.at("argv").get<std::vector<std::string>>();
    } else if (auto cmd = TextField(job, "cmd")) {
      request.command = {"/bin/sh", "-c", *cmd};
    } else {
      return error("an exec job needs \"argv\" (a non-empty array of strings) or \"cmd\"");
    }
    if (auto input = TextField(job, "input")) request.input = *input;
    return ok(EncodeExecRequest(request));
  }
  if (kind == kinds::kGeocode) {
    auto query = TextField(job, "query");
    if (!query || query->empty()) return error("a geocode job needs \"query\" (a string)");
    if (query->size() > GeocodeSource::kMaxPlaceBytes) {
      return error(fmt::format("\"query\" is longer than {} bytes", GeocodeSource::kMaxPlaceBytes));
    }
    GeocodeRequest request{*query, defaults.geocode.providers, defaults.geocode.endpoint, {},
                           defaults.geocode.country, defaults.geocode.candidates, 0,
                           defaults.geocode.language};
    if (defaults.cache) {
      if (auto answer = defaults.cache(GeocodeCacheKey(request))) {
        request.cached_answer = std::move(*answer);
      }
    }
    return ok(EncodeGeocodeRequest(request));
  }
  if (kind == kinds::kNoop) return ok({});
  if (kind == kinds::kBurn || kind == kinds::kSleep) {
    const char* field = kind == kinds::kBurn ? "us" : "ms";
    auto amount = UintField(job, field, kind == kinds::kBurn ? 1000 : 10);
    if (!amount) return error(fmt::format("\"{}\" must be an unsigned integer", field));
    return ok(payloads::EncodeUint(*amount));
  }
  // A program's own kind: its input is the payload.
  if (auto input = TextField(job, "input")) return ok(*input);
  return error(fmt::format("a {} job needs \"input\" (a string)", kind));
}

JobLine ClassifyJobLine(const std::string& text, uint64_t number, const JobDefaults& defaults) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos || text[first] == '#') {
    JobLine blank;
    blank.skip = true;
    return blank;
  }
  json job = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (job.is_discarded()) return Reject(number, "not valid JSON");
  if (!job.is_object()) return Reject(number, "not a JSON object");
  auto kind = TextField(job, "kind");
  if (!kind) return Reject(number, "no \"kind\" (a string)");
  const auto lane = defaults.catalog.LaneOf(*kind);
  if (!lane || *kind == kinds::kReject || *kind == kinds::kTick || *kind == kinds::kFault) {
    return Reject(number, fmt::format("unknown kind '{}'", *kind));
  }
  if (*kind == kinds::kIndex) {
    auto path = TextField(job, "path");
    if (!path || !std::filesystem::is_directory(*path)) {
      return Reject(number, "an index job needs \"path\", a folder");
    }
    JobLine line;
    line.skip = true;  // its files are tasks of the folder walk, after every line
    line.index_root = *path;
    return line;
  }
  auto payload = PayloadOf(*kind, job, defaults);
  if (payload.index() == 1) return Reject(number, std::get<1>(payload));
  JobLine line;
  line.lane = *lane;
  line.spec = {*kind, std::move(std::get<0>(payload)), JobId(job)};
  return line;
}

JobLine TooLong(uint64_t number) {
  return Reject(number, fmt::format("longer than {} bytes", InputLines::kMaxInputBytes));
}

}  // namespace

JobFileScan ScanJobFile(const std::string& path, const JobDefaults& run_defaults) {
  JobDefaults defaults = run_defaults;
  defaults.cache = nullptr;  // counting needs no cached answers
  JobFileScan scan;
  InputLines lines(path, /*null_separated=*/false);
  while (auto line = lines.Next()) {
    const JobLine job =
        line->too_long ? TooLong(line->number) : ClassifyJobLine(line->text, line->number, defaults);
    if (!job.index_root.empty()) scan.index_roots.push_back(job.index_root);
    if (job.skip) continue;
    ++scan.kind_totals[job.spec.kind];
    ++(job.lane == Lane::kCpu ? scan.cpu_jobs : scan.network_jobs);
  }
  return scan;
}

JobSource::JobSource(const std::string& path, Lane lane, JobDefaults defaults, uint64_t total)
    : lines_(path, /*null_separated=*/false), lane_(lane), defaults_(std::move(defaults)),
      total_(total) {}

std::optional<TaskSpec> JobSource::Next() {
  while (auto line = lines_.Next()) {
    JobLine job = line->too_long ? TooLong(line->number)
                                 : ClassifyJobLine(line->text, line->number, defaults_);
    if (job.skip || job.lane != lane_) continue;
    return std::move(job.spec);
  }
  return std::nullopt;
}

}  // namespace taskfarm
