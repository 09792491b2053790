// The task and result payload decoders (geocode, index, exec, built-in kinds) on arbitrary
// bytes, and GNU parallel's replacement strings with those bytes as both template and input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shared/builtin_payloads.h"
#include "shared/exec_messages.h"
#include "shared/geocode_messages.h"
#include "shared/index_messages.h"
#include "shared/replacement_strings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  taskfarm::DecodeGeocodeRequest(bytes);
  taskfarm::DecodeGeocodeAnswer(bytes);
  taskfarm::DecodeIndexRequest(bytes);
  taskfarm::DecodeIndexedDocument(bytes);
  taskfarm::payloads::DecodeUint(bytes);
  taskfarm::payloads::DecodeText(bytes);
  taskfarm::DecodeExecRequest(bytes);
  taskfarm::DecodeExecOutcome(bytes);
  const taskfarm::ReplacementValues values{bytes, 7, 2};
  taskfarm::ExpandReplacements(bytes, values);
  taskfarm::ExpandReplacements(bytes, values, /*shell_quote=*/true);
  return 0;
}
