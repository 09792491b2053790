#include <algorithm>

#include "shared/utf8.h"
#include "worker/handler_table.h"
#include "worker/text_extractors.h"

namespace taskfarm {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
// Text files have few control characters; more than this share of the first bytes is binary.
constexpr double kMaxControlShare = 0.10;
constexpr std::size_t kSniffBytes = 8192;

bool LooksBinary(std::string_view bytes) {
  const std::string_view head = bytes.substr(0, std::min(bytes.size(), kSniffBytes));
  if (head.find('\0') != std::string_view::npos) return true;
  const auto controls = std::count_if(head.begin(), head.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f';
  });
  return !head.empty() && static_cast<double>(controls) / static_cast<double>(head.size()) >
                              kMaxControlShare;
}

}  // namespace

ExtractedText ExtractPlainText(std::string_view bytes) {
  if (LooksBinary(bytes)) {
    throw TaskFailure({ErrorCode::kBadInput, "binary data, not text", false});
  }
  ExtractedText out;
  out.text.reserve(bytes.size());
  uint64_t repaired = 0;
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t length = Utf8SequenceLength(bytes, i);
    if (length == 0) {
      out.text += kReplacement;
      ++repaired;
      ++i;
    } else {
      out.text.append(bytes.substr(i, length));
      i += length;
    }
  }
  if (repaired > 0) out.note = std::to_string(repaired) + " invalid UTF-8 bytes replaced";
  return out;
}

}  // namespace taskfarm
