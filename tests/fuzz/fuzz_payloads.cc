// The task and result payload decoders (geocode, index, built-in kinds) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shared/builtin_payloads.h"
#include "shared/geocode_messages.h"
#include "shared/index_messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  taskfarm::DecodeGeocodeRequest(bytes);
  taskfarm::DecodeGeocodeAnswer(bytes);
  taskfarm::DecodeIndexRequest(bytes);
  taskfarm::DecodeIndexedDocument(bytes);
  taskfarm::payloads::DecodeUint(bytes);
  taskfarm::payloads::DecodeText(bytes);
  return 0;
}
