#pragma once
// Text extractors, one per document format. Each takes the file's bytes (or path) and
// returns its text; failures are TaskFailure error values naming what is wrong. All of them
// treat their input as untrusted: bounded output, no network, no external entities.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <libxml/xmlreader.h>

#include "worker/child_command.h"

namespace taskfarm {

struct ExtractedText {
  std::string title;
  std::string text;
  std::string note;  // something the row should say: "invalid UTF-8 repaired"
  std::string charset;  // the text's encoding as read (plain text: UTF-8, ISO-8859-1, ...)
};

/// Adds `what` to the row's note.
inline void AddNote(ExtractedText& extracted, const std::string& what) {
  extracted.note += (extracted.note.empty() ? "" : "; ") + what;
}

/// The note of a text cut at `max` bytes.
inline std::string TextCutNote(uint64_t max) {
  return "text cut at " + std::to_string(max) + " bytes";
}

/// Text kept up to `max` bytes: a piece that does not fit is dropped, and so is every later
/// one (the text stays a prefix of the document's).
class BoundedText {
 public:
  explicit BoundedText(uint64_t max) : max_(max) {}
  /// False once the text is full.
  bool Append(std::string_view piece) {
    if (full_ || text_.size() + piece.size() > max_) {
      full_ = true;
      return false;
    }
    text_.append(piece);
    return true;
  }
  bool full() const { return full_; }
  const std::string& text() const { return text_; }
  /// The text, noted as cut if it is.
  ExtractedText Take() {
    ExtractedText out;
    out.text = std::move(text_);
    if (full_) AddNote(out, TextCutNote(max_));
    return out;
  }

 private:
  uint64_t max_;
  std::string text_;
  bool full_ = false;
};

/// A document read piece by piece, so that memory stays within its text limit plus the
/// reader's own state whatever the file's size: Feed() the file's chunks in order (the
/// first one at least 8 KiB, or the whole file), then Finish(). Text past the limit is
/// dropped and noted. Failures are TaskFailure.
class StreamedTextReader {
 public:
  virtual ~StreamedTextReader() = default;
  /// False once no more input is wanted (the text is full).
  virtual bool Feed(std::string_view chunk) = 0;
  virtual ExtractedText Finish() = 0;
};

/// Plain text and Markdown. Its encoding is decided on the first chunk: a byte order mark
/// (UTF-8, UTF-16, UTF-32), else UTF-8 when the chunk is valid UTF-8, else what ICU's
/// charset detector finds (ISO-8859-1, windows-1252, Shift_JIS, ...), converted to UTF-8 by
/// ICU as the chunks come, and noted. In UTF-8, invalid sequences are replaced by U+FFFD
/// and noted; binary data (NUL bytes, mostly control characters) is refused.
std::unique_ptr<StreamedTextReader> MakePlainTextReader(uint64_t max_text);
/// The same on bytes in memory, without a text limit (the fuzz target's entry point).
ExtractedText ExtractPlainText(std::string_view bytes);

/// HTML through libxml2's forgiving HTML parser, as a stream of parse events (no tree, so
/// no limit on nesting depth and no tree's memory): the first <title>, and the text of the
/// document without <script> and <style>; entities decoded.
std::unique_ptr<StreamedTextReader> MakeHtmlTextReader(uint64_t max_text);
/// The same on bytes in memory (the fuzz target's entry point).
ExtractedText ExtractHtmlText(std::string_view bytes);

/// ODT/ODS/ODP (content.xml) and DOCX/XLSX/PPTX (word/document.xml, ...) through libzip
/// and libxml2's reader, each entry streamed from the inflater: memory stays within
/// `max_text` plus the reader's state. An entry that inflates past `max_uncompressed` is
/// refused (zip bombs); text past `max_text` is dropped and noted.
ExtractedText ExtractOfficeText(const std::filesystem::path& path, std::string_view type,
                                uint64_t max_uncompressed, uint64_t max_text);

/// The same for a container already in memory (the fuzz target's entry point).
ExtractedText ExtractOfficeTextFromMemory(std::string_view bytes, std::string_view type,
                                          uint64_t max_uncompressed, uint64_t max_text);

/// Appends the text nodes `reader` gives to `out`, a line break after each paragraph or
/// heading, until the text is full; false if the XML is malformed.
bool AppendOfficeXmlText(xmlTextReader* reader, BoundedText& out);
/// The same for one XML document in memory (the fuzz target's entry point); malformed XML is
/// a TaskFailure.
void AppendOfficeXmlText(std::string_view xml, BoundedText& out);

/// What a converter's non-zero exit means: a failure, or (kKeepText) a document it read in
/// part when it printed text: kept, noted "partial text" (mutool prints every page it can
/// read of a damaged PDF, then exits 1).
enum class FailedExit { kFail, kKeepText };

/// Runs `argv` (an external converter such as pdftotext) as a ChildCommand, returns its
/// stdout as text; a non-zero exit (see FailedExit), a crash, more than `max_output` bytes
/// or `timeout` are error values.
ExtractedText ExtractWithProgram(const std::vector<std::string>& argv,
                                 std::chrono::seconds timeout, uint64_t max_output,
                                 const CommandServices& services,
                                 FailedExit failed_exit = FailedExit::kFail);

}  // namespace taskfarm
