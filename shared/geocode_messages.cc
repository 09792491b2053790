#include "shared/geocode_messages.h"

#include "shared/place_folding.h"

namespace taskfarm {
namespace {

const msgpack::unpack_limit kLimits(16, 16, 64 * 1024, 0, 0, 4);

template <typename T>
std::string Encode(const T& value) {
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, value);
  return std::string(buffer.data(), buffer.size());
}

template <typename T>
std::optional<T> Decode(std::string_view bytes) {
  try {
    std::size_t offset = 0;
    auto handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, kLimits);
    if (offset != bytes.size() || handle.get().type != msgpack::type::ARRAY) return std::nullopt;
    return handle.get().as<T>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::string GeocodeCacheKey(std::string_view query, const std::vector<std::string>& providers) {
  std::string key = FoldPlaceName(query) + "|";
  for (std::size_t i = 0; i < providers.size(); ++i) key += (i ? "," : "") + providers[i];
  return key;
}

std::string EncodeGeocodeRequest(const GeocodeRequest& request) { return Encode(request); }
std::optional<GeocodeRequest> DecodeGeocodeRequest(std::string_view bytes) {
  return Decode<GeocodeRequest>(bytes);
}
std::string EncodeGeocodeAnswer(const GeocodeAnswer& answer) { return Encode(answer); }
std::optional<GeocodeAnswer> DecodeGeocodeAnswer(std::string_view bytes) {
  return Decode<GeocodeAnswer>(bytes);
}

}  // namespace taskfarm
