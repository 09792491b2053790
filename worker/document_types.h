#pragma once
// What kind of document some bytes are, and how each kind becomes text: shared by a file on
// disk, a file compressed whole and a member of an archive, so they are typed and read alike.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "worker/decompressed_chunks.h"
#include "worker/mime_sniffer.h"
#include "worker/text_extractors.h"

namespace taskfarm {

/// libmagic, for a file its name and first bytes do not place; null when it cannot be had.
using MimeSnifferSource = std::function<MimeSniffer*()>;

/// How much of a file libmagic sees: enough for its text, compression and archive tests.
inline constexpr std::size_t kSniffBytes = 16 * 1024;

/// The document type of a file: "pdf", "html", "text", "markdown", "odt", "docx", "zip"...
/// or "" when neither its content nor its name tells. `head` is the file's first bytes.
std::string DetectType(std::string_view head, const std::string& extension);

/// The type of a file DetectType does not place, by libmagic: text/html is "html", other
/// text/... (README, copyright, source code, logs) and JavaScript, JSON, XML and INI files
/// "text", the rest "" with `mime` set to what libmagic called it.
std::string SniffType(std::string_view head, const MimeSnifferSource& sniffer, std::string& mime);

/// Types read as a stream of chunks: text, markdown, html.
bool IsStreamedType(std::string_view type);
/// Types inside a zip container read by ExtractOfficeText: odt, docx, ...
bool IsOfficeType(std::string_view type);

/// Reads a streamed type's text: `first`, then `chunks.Next()` (empty at the end) while the
/// reader wants more. `Chunks` is any source of a document's bytes in order.
template <typename Chunks>
ExtractedText ReadStreamedType(std::string_view type, Chunks& chunks, std::string_view first,
                               uint64_t max_text) {
  const auto reader = type == "html" ? MakeHtmlTextReader(max_text) : MakePlainTextReader(max_text);
  for (std::string_view chunk = first; !chunk.empty() && reader->Feed(chunk); chunk = chunks.Next()) {
  }
  return reader->Finish();
}

/// What a file compressed whole holds (a changelog.Debian.gz on disk or in an archive), read
/// as that file: `type` from `name` without the compression's extension, else its content;
/// text, Markdown and HTML are read into `extracted` (noted "read inside gzip"); anything
/// else leaves `skipped` saying so ("no converter for image/png inside gzip") and `type` the
/// compression's name.
struct CompressedContent {
  std::string type;
  ExtractedText extracted;
  std::string skipped;
};
CompressedContent ReadCompressedContent(DecompressedChunks& inner, const std::string& name,
                                        const MimeSnifferSource& sniffer, uint64_t max_text);

/// The command that prints a PDF's text: MuPDF's mutool, else Poppler's pdftotext.
std::vector<std::string> PdfCommand(const std::string& path);

/// `text` with its ASCII letters lowered (extensions, MIME prefixes).
std::string LowerAscii(std::string text);

/// Words in `text` (runs of letters, digits and non-ASCII bytes).
uint64_t CountWords(std::string_view text);

}  // namespace taskfarm
