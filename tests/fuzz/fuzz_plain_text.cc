// The plain-text extractor (UTF-8 repair, binary detection) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shared/utf8.h"
#include "worker/handler_table.h"
#include "worker/text_extractors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto text = taskfarm::ExtractPlainText(bytes);
    if (!taskfarm::IsValidUtf8(text.text)) __builtin_trap();  // the repair must hold
  } catch (const taskfarm::TaskFailure&) {
  }
  return 0;
}
