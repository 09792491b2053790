#include "shared/place_folding.h"

#include <memory>
#include <mutex>

#include <unicode/translit.h>
#include <unicode/unistr.h>

namespace taskfarm {
namespace {

std::unique_ptr<icu::Transliterator> MakeTransliterator() {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::Transliterator> transliterator(icu::Transliterator::createInstance(
      "Any-Latin; Latin-ASCII; Lower", UTRANS_FORWARD, status));
  if (U_FAILURE(status)) return nullptr;
  return transliterator;
}

// ICU transliterators are not thread-safe to use concurrently; one per thread.
icu::Transliterator* ThreadTransliterator() {
  thread_local const std::unique_ptr<icu::Transliterator> transliterator = MakeTransliterator();
  // clang-analyzer 14 runs the thread_local's destructor at every return (a false positive).
  return transliterator.get();  // NOLINT(clang-analyzer-cplusplus.NewDelete)
}

bool IsAscii(std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

// Lower case; anything but letters and digits becomes one space; no space at either end.
std::string Tidy(std::string_view ascii) {
  std::string out;
  out.reserve(ascii.size());
  bool pending_space = false;
  for (char c : ascii) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      if (pending_space && !out.empty()) out += ' ';
      pending_space = false;
      out += static_cast<char>(std::tolower(u));
    } else {
      pending_space = true;
    }
  }
  return out;
}

}  // namespace

std::string FoldPlaceName(std::string_view utf8) {
  if (IsAscii(utf8)) return Tidy(utf8);
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  if (icu::Transliterator* transliterator = ThreadTransliterator()) {
    transliterator->transliterate(text);
  }
  std::string folded;
  text.toUTF8String(folded);
  return Tidy(folded);
}

}  // namespace taskfarm
