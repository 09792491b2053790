#include "shared/geocode_messages.h"

#include "shared/msgpack_payload.h"
#include "shared/place_folding.h"

namespace taskfarm {
namespace {

constexpr std::size_t kMaxTextBytes = std::size_t{64} << 10;

}  // namespace

std::string GeocodeCacheKey(std::string_view query, const std::vector<std::string>& providers,
                            std::string_view country, uint32_t candidates,
                            std::string_view language) {
  std::string key = FoldPlaceName(query) + "|";
  for (std::size_t i = 0; i < providers.size(); ++i) key += (i ? "," : "") + providers[i];
  if (!country.empty()) key += "|country=" + std::string(country);
  if (candidates > 0) key += "|candidates=" + std::to_string(candidates);
  if (!language.empty()) key += "|language=" + std::string(language);
  return key;
}

std::string GeocodeCacheKey(const GeocodeRequest& request) {
  return GeocodeCacheKey(request.query, request.providers, request.country, request.candidates,
                         request.language);
}

std::string EncodeGeocodeRequest(const GeocodeRequest& request) { return EncodePayload(request); }
std::optional<GeocodeRequest> DecodeGeocodeRequest(std::string_view bytes) {
  return DecodePayload<GeocodeRequest>(bytes, kMaxTextBytes);
}
std::string EncodeGeocodeAnswer(const GeocodeAnswer& answer) { return EncodePayload(answer); }
std::optional<GeocodeAnswer> DecodeGeocodeAnswer(std::string_view bytes) {
  return DecodePayload<GeocodeAnswer>(bytes, kMaxTextBytes);
}

}  // namespace taskfarm
