// The HTML text extractor on arbitrary bytes; TaskFailure is an answer, not a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "worker/handler_table.h"
#include "worker/text_extractors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    taskfarm::ExtractHtmlText(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const taskfarm::TaskFailure&) {
  }
  return 0;
}
