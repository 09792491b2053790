#include <algorithm>

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

// Length of the valid UTF-8 sequence at `i`, or 0.
std::size_t ValidSequence(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return 1;
  std::size_t length;
  uint32_t smallest;
  if ((lead & 0xe0) == 0xc0) {
    length = 2, smallest = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, smallest = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, smallest = 0x10000;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  uint32_t code_point = lead & (0xff >> (length + 1));
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(s[i + k]);
    if ((next & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3f);
  }
  if (code_point < smallest || code_point > 0x10ffff ||
      (code_point >= 0xd800 && code_point <= 0xdfff)) {
    return 0;
  }
  return length;
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
    const std::size_t length = ValidSequence(bytes, i);
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
