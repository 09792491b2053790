#include "worker/document_types.h"

#include <algorithm>
#include <filesystem>
#include <cctype>

#include "shared/find_program.h"
#include "shared/utf8.h"

namespace taskfarm {

std::string LowerAscii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), ::tolower);
  return text;
}

namespace {

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && LowerAscii(std::string(text.substr(0, prefix.size()))) == prefix;
}

constexpr std::string_view kOfficeTypes[] = {"odt", "ods", "odp", "docx", "xlsx", "pptx"};

}  // namespace

std::string DetectType(std::string_view head, const std::string& extension) {
  const std::string ext = LowerAscii(extension);
  if (head.substr(0, 5) == "%PDF-") return "pdf";
  if (head.substr(0, 4) == std::string_view("PK\x03\x04", 4)) {
    if (!ext.empty() && IsOfficeType(std::string_view(ext).substr(1))) return ext.substr(1);
    return "zip";
  }
  std::string_view start = head;
  start = WithoutByteOrderMark(start);
  while (!start.empty() && std::isspace(static_cast<unsigned char>(start.front()))) {
    start.remove_prefix(1);
  }
  if (StartsWithNoCase(start, "<!doctype html") || StartsWithNoCase(start, "<html")) return "html";
  if (ext == ".html" || ext == ".htm" || ext == ".xhtml") return "html";
  if (ext == ".md" || ext == ".markdown") return "markdown";
  if (ext == ".txt" || ext == ".text" || ext == ".rst") return "text";
  if (ext == ".pdf") return "text";  // named .pdf but without a PDF header: read it as text
  return "";
}

// Types libmagic files under application/ that are text people read and search: scripts
// and data (Recoll indexes them as text too).
bool IsTextualApplication(std::string_view mime) {
  static constexpr std::string_view kTextual[] = {"application/javascript", "application/json",
                                                  "application/xml", "application/x-wine-extension-ini"};
  return std::find(std::begin(kTextual), std::end(kTextual), mime) != std::end(kTextual);
}

std::string SniffType(std::string_view head, const MimeSnifferSource& sniffer, std::string& mime) {
  MimeSniffer* magic = sniffer ? sniffer() : nullptr;
  mime = magic != nullptr ? magic->MimeType(head) : "an unknown type";
  if (mime == "text/html") return "html";
  if (mime.rfind("text/", 0) == 0 || IsTextualApplication(mime)) return "text";
  return "";
}

bool IsStreamedType(std::string_view type) {
  return type == "text" || type == "markdown" || type == "html";
}

bool IsOfficeType(std::string_view type) {
  return std::find(std::begin(kOfficeTypes), std::end(kOfficeTypes), type) != std::end(kOfficeTypes);
}

CompressedContent ReadCompressedContent(DecompressedChunks& inner, const std::string& name,
                                        const MimeSnifferSource& sniffer, uint64_t max_text) {
  CompressedContent content;
  const std::string_view first = inner.Next();
  const std::string inside = " inside " + inner.compression();
  std::string mime;
  content.type = DetectType(first.substr(0, 512), std::filesystem::path(name).stem().extension().string());
  if (content.type.empty()) content.type = SniffType(first.substr(0, kSniffBytes), sniffer, mime);
  if (!IsStreamedType(content.type)) {
    content.skipped = "no converter for " + (mime.empty() ? content.type : mime) + inside;
    content.type = inner.compression();
    return content;
  }
  content.extracted = ReadStreamedType(content.type, inner, first, max_text);
  AddNote(content.extracted, "read" + inside);
  return content;
}

// MuPDF's mutool extracts PDF text in about a third of pdftotext's CPU time; both run as
// separate programs, so neither's licence (AGPL, GPL) reaches taskfarm.
std::vector<std::string> PdfCommand(const std::string& path) {
  static const bool have_mutool = !FindProgram("mutool").empty();
  if (have_mutool) return {"mutool", "draw", "-q", "-F", "txt", "-o", "-", path};
  return {"pdftotext", "-q", "-enc", "UTF-8", path, "-"};
}

uint64_t CountWords(std::string_view text) {
  uint64_t words = 0;
  bool in_word = false;
  for (unsigned char c : text) {
    const bool word_char = std::isalnum(c) || c >= 0x80;
    if (word_char && !in_word) ++words;
    in_word = word_char;
  }
  return words;
}

}  // namespace taskfarm
