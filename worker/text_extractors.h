#pragma once
// Text extractors, one per document format. Each takes the file's bytes (or path) and
// returns its text; failures are TaskFailure error values naming what is wrong. All of them
// treat their input as untrusted: bounded output, no network, no external entities.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "worker/child_command.h"

namespace taskfarm {

struct ExtractedText {
  std::string title;
  std::string text;
  std::string note;  // something the row should say: "invalid UTF-8 repaired"
};

/// Plain text and Markdown: UTF-8 (invalid sequences replaced by U+FFFD and noted);
/// binary data (NUL bytes, mostly control characters) is refused.
ExtractedText ExtractPlainText(std::string_view bytes);

/// HTML through libxml2's forgiving HTML parser: the <title>, and the text of the body
/// without <script> and <style>; entities decoded.
ExtractedText ExtractHtmlText(std::string_view bytes);

/// ODT/ODS/ODP (content.xml) and DOCX/XLSX/PPTX (word/document.xml, ...) through libzip
/// and libxml2. An entry that would inflate past `max_uncompressed` is refused (zip bombs).
ExtractedText ExtractOfficeText(const std::filesystem::path& path, std::string_view type,
                                uint64_t max_uncompressed);

/// The same for a container already in memory (the fuzz target's entry point).
ExtractedText ExtractOfficeTextFromMemory(std::string_view bytes, std::string_view type,
                                          uint64_t max_uncompressed);

/// Appends the text nodes of one office XML document to `out`, a line break after each
/// paragraph or heading; malformed XML is a TaskFailure.
void AppendOfficeXmlText(std::string_view xml, std::string& out);

/// Runs `argv` (an external converter such as pdftotext) as a ChildCommand, returns its
/// stdout as text; a non-zero exit, a crash, more than `max_output` bytes or `timeout` are
/// error values.
ExtractedText ExtractWithProgram(const std::vector<std::string>& argv,
                                 std::chrono::seconds timeout, uint64_t max_output,
                                 const CommandServices& services);

}  // namespace taskfarm
