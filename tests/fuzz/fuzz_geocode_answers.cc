// The Google and Nominatim answer readers on arbitrary bodies and headers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "worker/geocode_provider.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const long status = size > 0 && data[0] % 3 == 0 ? 429 : 200;
  taskfarm::ReadGoogleAnswer(200, body, "");
  taskfarm::ReadNominatimAnswer(status, body, "", body.substr(0, 8),
                                std::chrono::milliseconds(1000));
  return 0;
}
