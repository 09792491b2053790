#include <unicode/ucnv.h>
#include <unicode/ucsdet.h>

#include <algorithm>
#include <array>
#include <memory>

#include "shared/utf8.h"
#include "worker/handler_table.h"
#include "worker/text_extractors.h"

namespace taskfarm {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
// Text files have few control characters; more than this share of the first bytes is binary.
constexpr double kMaxControlShare = 0.10;
constexpr std::size_t kSniffBytes = 8192;
constexpr std::size_t kLongestSequence = 4;
constexpr const char* kUtf8 = "UTF-8";
// What a detector that names nothing leaves: the commonest 8-bit encoding of Western text,
// a superset of ISO-8859-1 in which every byte is a character.
constexpr const char* kFallbackCharset = "windows-1252";

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

// The encoding a byte order mark names, or nullptr.
const char* ByteOrderMarkCharset(std::string_view head) {
  auto starts = [&](std::string_view mark) { return head.substr(0, mark.size()) == mark; };
  if (starts(std::string_view("\xFF\xFE\0\0", 4))) return "UTF-32LE";
  if (starts(std::string_view("\0\0\xFE\xFF", 4))) return "UTF-32BE";
  if (starts("\xFF\xFE")) return "UTF-16LE";
  if (starts("\xFE\xFF")) return "UTF-16BE";
  return nullptr;
}

// Whether `head` is UTF-8: no invalid byte (a sequence cut at the end of a chunk aside), or
// at least as many characters of several bytes as invalid bytes (UTF-8 with a few bad bytes is
// repaired, not read as another encoding, which would garble all its other characters).
bool IsUtf8(std::string_view head) {
  std::size_t i = 0, multibyte = 0, invalid = 0;
  while (i < head.size()) {
    const std::size_t length = Utf8SequenceLength(head, i);
    if (length == 0 && head.size() - i < kLongestSequence && head.size() >= kSniffBytes) break;
    multibyte += length > 1 ? 1 : 0;
    invalid += length == 0 ? 1 : 0;
    i += length == 0 ? 1 : length;
  }
  return invalid == 0 || multibyte >= invalid;
}

// The encoding ICU's detector finds likeliest for `head` (fallback: windows-1252).
std::string DetectCharset(std::string_view head) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<UCharsetDetector, decltype(&ucsdet_close)> detector(ucsdet_open(&status),
                                                                       ucsdet_close);
  if (U_FAILURE(status)) return kFallbackCharset;
  ucsdet_setText(detector.get(), head.data(), static_cast<int32_t>(head.size()), &status);
  const UCharsetMatch* match = ucsdet_detect(detector.get(), &status);
  const char* name = match != nullptr ? ucsdet_getName(match, &status) : nullptr;
  if (U_FAILURE(status) || name == nullptr || std::string_view(name) == kUtf8) {
    return kFallbackCharset;  // not UTF-8: IsUtf8 said so
  }
  return name;
}

// Bytes in `charset` to UTF-8, chunk by chunk: ICU keeps a sequence cut between two chunks.
class ToUtf8 {
 public:
  explicit ToUtf8(const std::string& charset) {
    UErrorCode status = U_ZERO_ERROR;
    from_.reset(ucnv_open(charset.c_str(), &status));
    if (U_SUCCESS(status)) to_.reset(ucnv_open(kUtf8, &status));
    if (U_FAILURE(status)) {
      throw TaskFailure({ErrorCode::kBadInput, "text in " + charset + ", which cannot be read", false});
    }
  }
  /// Appends `chunk`, converted, to `out`; `flush` at the end of the input.
  void Convert(std::string_view chunk, bool flush, std::string& out) {
    static constexpr char kNothing[1] = {};
    const char* source = chunk.empty() ? kNothing : chunk.data();  // ICU refuses a null source
    const char* const source_end = source + chunk.size();  // (empty: nothing, then flush)
    std::array<char, 16384> buffer;
    UErrorCode status;
    do {
      status = U_ZERO_ERROR;
      char* target = buffer.data();
      ucnv_convertEx(to_.get(), from_.get(), &target, buffer.data() + buffer.size(), &source,
                     source_end, pivot_.data(), &pivot_source_, &pivot_target_,
                     pivot_.data() + pivot_.size(), first_, flush, &status);
      first_ = false;
      out.append(buffer.data(), static_cast<std::size_t>(target - buffer.data()));
    } while (status == U_BUFFER_OVERFLOW_ERROR);
    if (U_FAILURE(status)) {
      throw TaskFailure({ErrorCode::kBadInput, std::string("text cannot be converted: ") +
                                                   u_errorName(status), false});
    }
  }

 private:
  struct Closer {
    void operator()(UConverter* converter) const { ucnv_close(converter); }
  };
  std::unique_ptr<UConverter, Closer> from_;
  std::unique_ptr<UConverter, Closer> to_;
  std::array<UChar, 1024> pivot_;
  UChar* pivot_source_ = pivot_.data();
  UChar* pivot_target_ = pivot_.data();
  bool first_ = true;
};

// Text piece by piece, in UTF-8: a sequence cut between two chunks waits for the next one.
class PlainTextReader : public StreamedTextReader {
 public:
  explicit PlainTextReader(uint64_t max_text) : text_(max_text) {}

  bool Feed(std::string_view chunk) override {
    // The first chunk holds the first kSniffBytes bytes (or the whole file).
    if (charset_.empty()) ChooseCharset(chunk);
    if (converter_) {
      converted_.clear();
      converter_->Convert(chunk, /*flush=*/false, converted_);
      pending_.append(converted_);
    } else {
      pending_.append(chunk);
    }
    return Repair(/*final=*/false);
  }

  ExtractedText Finish() override {
    if (converter_) {
      converted_.clear();
      converter_->Convert({}, /*flush=*/true, converted_);
      pending_.append(converted_);
    }
    Repair(/*final=*/true);
    ExtractedText out = text_.Take();
    out.charset = charset_.empty() ? kUtf8 : charset_;
    if (converter_) AddNote(out, "converted from " + charset_);
    if (repaired_ > 0) AddNote(out, std::to_string(repaired_) + " invalid UTF-8 bytes replaced");
    return out;
  }

 private:
  void ChooseCharset(std::string_view head) {
    if (const char* marked = ByteOrderMarkCharset(head)) {
      charset_ = marked;
    } else if (LooksBinary(head)) {
      throw TaskFailure({ErrorCode::kBadInput, "binary data, not text", false});
    } else {
      charset_ = IsUtf8(head) ? kUtf8 : DetectCharset(head.substr(0, kSniffBytes));
    }
    // ICU's "UTF-16" and "UTF-32" read the byte order mark and drop it from the text.
    const std::string by = charset_.substr(0, 6);
    if (charset_ != kUtf8) {
      converter_ = std::make_unique<ToUtf8>(by == "UTF-16" || by == "UTF-32" ? by : charset_);
    }
  }

  // Moves the complete sequences of pending_ into the text; false once the text is full.
  bool Repair(bool final) {
    std::size_t i = 0;
    const std::string_view bytes = pending_;
    while (i < bytes.size() && (final || bytes.size() - i >= kLongestSequence)) {
      const std::size_t length = Utf8SequenceLength(bytes, i);
      const bool kept = length == 0 ? text_.Append(kReplacement) : text_.Append(bytes.substr(i, length));
      if (length == 0) ++repaired_;
      i += length == 0 ? 1 : length;
      if (!kept) break;
    }
    pending_.erase(0, i);
    return !text_.full();
  }

  BoundedText text_;
  std::string charset_;               // decided on the first chunk
  std::unique_ptr<ToUtf8> converter_;  // when it is not UTF-8
  std::string converted_;             // a chunk's conversion, reused
  std::string pending_;  // at most kLongestSequence - 1 bytes between calls
  uint64_t repaired_ = 0;
};

}  // namespace

std::unique_ptr<StreamedTextReader> MakePlainTextReader(uint64_t max_text) {
  return std::make_unique<PlainTextReader>(max_text);
}

ExtractedText ExtractPlainText(std::string_view bytes) {
  PlainTextReader reader(bytes.size() * 4 + 16);
  reader.Feed(bytes);
  return reader.Finish();
}

}  // namespace taskfarm
