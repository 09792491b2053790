#include "worker/index_handler.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "shared/index_messages.h"
#include "worker/decompressed_chunks.h"
#include "worker/handler_table.h"
#include "worker/mime_sniffer.h"
#include "worker/text_extractors.h"
#include "shared/system_text.h"
#include "shared/find_program.h"
#include "shared/utf8.h"

namespace taskfarm {
namespace {

// How much of a file libmagic sees: enough for its text and compression tests.
constexpr std::size_t kSniffBytes = 16 * 1024;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), ::tolower);
  return text;
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && Lower(std::string(text.substr(0, prefix.size()))) == prefix;
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

// FNV-1a 64 over the file's bytes, chunk by chunk: a change detector, not a security hash.
class ContentHash {
 public:
  void Add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash_ ^= c;
      hash_ *= 0x100000001b3ull;
    }
  }
  std::string Hex() const { return fmt::format("{:016x}", hash_); }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ull;
};

// A file read in chunks of kChunkBytes: the worker never holds more of it at once.
class FileChunks {
 public:
  static constexpr std::size_t kChunkBytes = 64 * 1024;

  explicit FileChunks(const std::string& path) : in_(path, std::ios::binary), buffer_(kChunkBytes, '\0') {
    if (!in_) {
      throw TaskFailure({ErrorCode::kBadInput, std::string("cannot read: ") + ErrnoText(errno),
                         false});
    }
  }
  /// The next chunk (hashed); empty at the end.
  std::string_view Next() {
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    const auto got = static_cast<std::size_t>(in_.gcount());
    if (got == 0 && in_.bad()) {
      throw TaskFailure({ErrorCode::kBadInput, std::string("read failed: ") + ErrnoText(errno),
                         false});
    }
    const std::string_view chunk(buffer_.data(), got);
    hash_.Add(chunk);
    return chunk;
  }
  /// Reads the rest (for the hash) and returns the hash of the whole file.
  std::string FinishHash() {
    while (!Next().empty()) {
    }
    return hash_.Hex();
  }

 private:
  std::ifstream in_;
  std::string buffer_;
  ContentHash hash_;
};

// Feeds `reader` the file's chunks from `first` on, while it wants them.
// `Chunks` has Next(): the next piece of the bytes, empty at the end.
template <typename Chunks>
ExtractedText ReadStreamed(StreamedTextReader& reader, Chunks& chunks, std::string_view first) {
  for (std::string_view chunk = first; !chunk.empty() && reader.Feed(chunk); chunk = chunks.Next()) {
  }
  return reader.Finish();
}

std::vector<std::string> CommandFor(const std::string& command, const std::string& path) {
  std::vector<std::string> argv;
  std::istringstream words(command);
  for (std::string word; words >> word;) argv.push_back(word == "{}" ? path : word);
  if (std::find(argv.begin(), argv.end(), path) == argv.end()) argv.push_back(path);
  return argv;
}

bool OnPath(const std::string& program) { return !FindProgram(program).empty(); }

// MuPDF's mutool extracts PDF text in about a third of pdftotext's CPU time; both run as
// separate programs, so neither's licence (AGPL, GPL) reaches taskfarm.
std::vector<std::string> PdfCommand(const std::string& path) {
  static const bool have_mutool = OnPath("mutool");
  if (have_mutool) return {"mutool", "draw", "-q", "-F", "txt", "-o", "-", path};
  return {"pdftotext", "-q", "-enc", "UTF-8", path, "-"};
}

}  // namespace

std::string DetectType(std::string_view head, const std::string& extension) {
  const std::string ext = Lower(extension);
  if (head.substr(0, 5) == "%PDF-") return "pdf";
  if (head.substr(0, 4) == std::string_view("PK\x03\x04", 4)) {
    for (const char* office : {".odt", ".ods", ".odp", ".docx", ".xlsx", ".pptx"}) {
      if (ext == office) return ext.substr(1);
    }
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

// The type of a file that neither its name nor the checks of its first bytes place, by
// libmagic: a README, a copyright file, source code and logs are text; "" for the rest, with
// `mime` set to what libmagic called it.
std::string SniffType(std::string_view head, const MimeSnifferSource& sniffer, std::string& mime) {
  MimeSniffer* magic = sniffer ? sniffer() : nullptr;
  mime = magic != nullptr ? magic->MimeType(head) : "an unknown type";
  if (mime == "text/html") return "html";
  if (mime.rfind("text/", 0) == 0) return "text";
  return "";
}

// A file compressed whole, read as the file it holds: its type from its name without the
// compression's extension ("changelog.Debian.gz" holds a changelog) or its content. Text,
// Markdown and HTML stream through their readers; anything else inside is skipped, saying
// what. Sets `document.type` (and `status` when skipped).
ExtractedText ExtractCompressed(const IndexRequest& request, const MimeSnifferSource& sniffer,
                                IndexedDocument& document) {
  DecompressedChunks inner(request.path, request.max_file_size * 20);
  const std::string_view head = inner.Next();
  const std::string inside = " inside " + inner.compression();
  const std::string inner_extension =
      std::filesystem::path(request.path).stem().extension().string();
  std::string mime;
  document.type = DetectType(head.substr(0, 512), inner_extension);
  if (document.type.empty()) document.type = SniffType(head.substr(0, kSniffBytes), sniffer, mime);
  ExtractedText extracted;
  if (document.type == "text" || document.type == "markdown") {
    extracted = ReadStreamed(*MakePlainTextReader(request.max_text_bytes), inner, head);
  } else if (document.type == "html") {
    extracted = ReadStreamed(*MakeHtmlTextReader(request.max_text_bytes), inner, head);
  } else {
    document.status = "skipped";
    document.note = "no converter for " + (mime.empty() ? document.type : mime) + inside;
    document.type = inner.compression();
    return extracted;
  }
  AddNote(extracted, "read" + inside);
  return extracted;
}

std::string RunIndex(const wire::Task& task, const CommandServices& services,
                     const MimeSnifferSource& sniffer) {
  auto request = DecodeIndexRequest(task.payload);
  if (!request) throw TaskFailure({ErrorCode::kBadPayload, "index payload is not a request", false});
  struct stat info {};
  if (stat(request->path.c_str(), &info) != 0) {
    throw TaskFailure({ErrorCode::kBadInput, std::string("cannot stat: ") + ErrnoText(errno),
                       false});
  }
  if (!S_ISREG(info.st_mode)) throw TaskFailure({ErrorCode::kBadInput, "not a regular file", false});
  const auto size = static_cast<uint64_t>(info.st_size);
  if (size == 0) throw TaskFailure({ErrorCode::kBadInput, "empty file (zero bytes)", false});
  if (size > request->max_file_size) {
    throw TaskFailure({ErrorCode::kBadInput,
                       fmt::format("{} bytes, over --max-file-size ({} bytes)", size,
                                   request->max_file_size),
                       false});
  }
  FileChunks file(request->path);
  const std::string_view first = file.Next();
  const std::string extension = std::filesystem::path(request->path).extension().string();

  IndexedDocument document;
  document.extractor = ExtractorFor(request->path, request->converters);
  document.size = size;
  document.mtime_ns = static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
  document.type = DetectType(first.substr(0, 512), extension);

  ExtractedText extracted;
  const auto timeout = std::chrono::seconds(request->converter_timeout_s);
  const std::string bare_extension = extension.empty() ? "" : Lower(extension).substr(1);
  const auto converter = request->converters.find(bare_extension);  // keys have no dot
  std::string mime;
  if (document.type.empty() && converter == request->converters.end()) {
    document.type = SniffType(first.substr(0, kSniffBytes), sniffer, mime);
  }
  if (converter != request->converters.end()) {
    document.type = bare_extension;
    extracted = ExtractWithProgram(CommandFor(converter->second, request->path), timeout,
                                   request->max_text_bytes * 4, services);
  } else if (document.type == "text" || document.type == "markdown") {
    extracted = ReadStreamed(*MakePlainTextReader(request->max_text_bytes), file, first);
  } else if (document.type == "html") {
    extracted = ReadStreamed(*MakeHtmlTextReader(request->max_text_bytes), file, first);
  } else if (document.type == "pdf") {
    extracted = ExtractWithProgram(PdfCommand(request->path), timeout,
                                   request->max_text_bytes * 4, services);
    if (extracted.text.find_first_not_of(" \n\f\r\t") == std::string::npos) {
      extracted.note = "no text (a scanned PDF?)";
    }
  } else if (!document.type.empty() && document.type != "zip") {
    extracted = ExtractOfficeText(request->path, document.type, request->max_file_size * 20,
                                  request->max_text_bytes);
  } else if (IsCompressedMime(mime)) {
    extracted = ExtractCompressed(*request, sniffer, document);
    if (document.status == "skipped") {
      document.hash = file.FinishHash();
      return EncodeIndexedDocument(document);
    }
  } else {
    document.status = "skipped";
    document.type = extension.empty() ? "unknown" : Lower(extension).substr(1);
    document.note = "no converter for " + (mime.empty() ? document.type : mime);
    document.hash = file.FinishHash();
    return EncodeIndexedDocument(document);
  }
  document.hash = file.FinishHash();
  document.status = "indexed";
  if (extracted.text.size() > request->max_text_bytes) {  // a program's output
    extracted.text.resize(request->max_text_bytes);
    AddNote(extracted, TextCutNote(request->max_text_bytes));
  }
  document.title = std::move(extracted.title);
  document.text = std::move(extracted.text);
  document.note = std::move(extracted.note);
  document.charset = std::move(extracted.charset);
  document.words = CountWords(document.text);
  if (document.title.empty()) document.title = std::filesystem::path(request->path).stem().string();
  return EncodeIndexedDocument(document);
}

}  // namespace taskfarm
