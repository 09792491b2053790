#include "coordinator/geocode_source.h"

#include <fmt/format.h>

#include "shared/builtin_payloads.h"
#include "shared/kinds.h"

namespace taskfarm {

GeocodeSource::GeocodeSource(const GeocodeInput& input, const GeocodeCache& cache)
    : input_(input), cache_(cache), path_(input.path) {
  RefuseCsvWithoutColumn(input);
  if (path_ == "-") {
    spooled_ = std::make_unique<SpooledStdin>("--geocode");
    path_ = spooled_->path();
  }
  PlaceReader count(path_, input_, /*find_duplicates=*/true, /*keep_fields=*/false);
  while (std::optional<PlaceRow> row = count.Next()) {
    switch (row->kind) {
      case PlaceRow::Kind::kRefused: ++rejects_; break;
      case PlaceRow::Kind::kDuplicate: ++duplicates_; break;
      case PlaceRow::Kind::kEmpty: break;
      case PlaceRow::Kind::kPlace:
        ++places_;
        if (cache_ && cache_(CacheKey(row->text))) ++cache_hits_;
        break;
    }
  }
}

GeocodeSource::~GeocodeSource() = default;

std::string GeocodeSource::CacheKey(std::string_view query) const {
  return GeocodeCacheKey(query, input_.providers, input_.country, input_.candidates,
                         input_.language);
}

std::map<std::string, uint64_t> GeocodeSource::KindCounts() const {
  std::map<std::string, uint64_t> counts;
  if (places_ > 0) counts[std::string(kinds::kGeocode)] = places_;
  if (rejects_ > 0) counts[std::string(kinds::kReject)] = rejects_;
  return counts;
}

std::optional<TaskSpec> GeocodeSource::Next() {
  if (!reader_) {
    reader_ = std::make_unique<PlaceReader>(path_, input_, /*find_duplicates=*/true,
                                            /*keep_fields=*/false);
  }
  std::optional<PlaceRow> row = reader_->Next();
  while (row && (row->kind == PlaceRow::Kind::kDuplicate || row->kind == PlaceRow::Kind::kEmpty)) {
    row = reader_->Next();
  }
  if (!row) return std::nullopt;
  if (row->kind == PlaceRow::Kind::kRefused) {
    return TaskSpec{std::string(kinds::kReject), payloads::EncodeText(row->text)};
  }
  GeocodeRequest request{std::move(row->text), input_.providers, input_.endpoint, {},
                         input_.country, input_.candidates, row->line, input_.language};
  if (cache_) {
    if (auto answer = cache_(CacheKey(request.query))) {
      request.cached_answer = std::move(*answer);
    }
  }
  return TaskSpec{std::string(kinds::kGeocode), EncodeGeocodeRequest(request)};
}

}  // namespace taskfarm
