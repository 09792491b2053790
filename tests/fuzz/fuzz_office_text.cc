// The office extractors on arbitrary bytes: as one XML document (content.xml,
// word/document.xml) and as a whole DOCX/ODT zip container read from memory.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "worker/handler_table.h"
#include "worker/text_extractors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  constexpr uint64_t kMaxUncompressed = 16 << 20;
  taskfarm::BoundedText text(kMaxUncompressed);
  try {
    taskfarm::AppendOfficeXmlText(bytes, text);
  } catch (const taskfarm::TaskFailure&) {
  }
  for (const std::string_view type : {"docx", "odt", "pptx"}) {
    try {
      taskfarm::ExtractOfficeTextFromMemory(bytes, type, kMaxUncompressed, kMaxUncompressed);
    } catch (const taskfarm::TaskFailure&) {
    }
  }
  return 0;
}
