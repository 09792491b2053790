#pragma once
// UTF-8 well-formedness, as input checks and the plain-text converter need it.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace taskfarm {

/// The byte order mark some editors put before a file's first line (a CSV header too).
inline constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

/// `text` without a leading byte order mark.
inline std::string_view WithoutByteOrderMark(std::string_view text) {
  return text.substr(0, kUtf8ByteOrderMark.size()) == kUtf8ByteOrderMark
             ? text.substr(kUtf8ByteOrderMark.size())
             : text;
}

/// The length of the well-formed UTF-8 sequence starting at `text[i]` (1 to 4), or 0 when
/// there is none: a stray continuation byte, an overlong form, a surrogate, a cut sequence.
inline std::size_t Utf8SequenceLength(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
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
  if (i + length > text.size()) return 0;
  uint32_t code_point = lead & (0xff >> (length + 1));
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3f);
  }
  if (code_point < smallest || code_point > 0x10ffff ||
      (code_point >= 0xd800 && code_point <= 0xdfff)) {
    return 0;
  }
  return length;
}

inline bool IsValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = Utf8SequenceLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace taskfarm
