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
constexpr std::size_t kLongestSequence = 4;

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

// UTF-8 repaired piece by piece: a sequence cut between two chunks waits for the next one.
class PlainTextReader : public StreamedTextReader {
 public:
  explicit PlainTextReader(uint64_t max_text) : text_(max_text) {}

  bool Feed(std::string_view chunk) override {
    if (!sniffed_) {
      // The first chunk holds the first kSniffBytes bytes (or the whole file).
      if (LooksBinary(chunk)) throw TaskFailure({ErrorCode::kBadInput, "binary data, not text", false});
      sniffed_ = true;
    }
    pending_.append(chunk);
    return Repair(/*final=*/false);
  }

  ExtractedText Finish() override {
    Repair(/*final=*/true);
    ExtractedText out = text_.Take();
    if (repaired_ > 0) AddNote(out, std::to_string(repaired_) + " invalid UTF-8 bytes replaced");
    return out;
  }

 private:
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
  std::string pending_;  // at most kLongestSequence - 1 bytes between calls
  bool sniffed_ = false;
  uint64_t repaired_ = 0;
};

}  // namespace

std::unique_ptr<StreamedTextReader> MakePlainTextReader(uint64_t max_text) {
  return std::make_unique<PlainTextReader>(max_text);
}

ExtractedText ExtractPlainText(std::string_view bytes) {
  PlainTextReader reader(bytes.size() * kReplacement.size());
  reader.Feed(bytes);
  return reader.Finish();
}

}  // namespace taskfarm
