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
#include "shared/system_text.h"
#include "worker/archive_members.h"
#include "worker/content_hash.h"
#include "worker/decompressed_chunks.h"
#include "worker/handler_table.h"
#include "worker/text_extractors.h"

namespace taskfarm {
namespace {

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

std::vector<std::string> CommandFor(const std::string& command, const std::string& path) {
  std::vector<std::string> argv;
  std::istringstream words(command);
  for (std::string word; words >> word;) argv.push_back(word == "{}" ? path : word);
  if (std::find(argv.begin(), argv.end(), path) == argv.end()) argv.push_back(path);
  return argv;
}

void Skip(IndexedDocument& document, std::string type, std::string why) {
  document.status = "skipped";
  document.type = std::move(type);
  document.note = std::move(why);
}

// A file compressed whole, read as the file it holds: its type from its name without the
// compression's extension ("changelog.Debian.gz" holds a changelog) or its content. Text,
// Markdown and HTML stream through their readers; anything else inside is skipped, saying
// what. Sets `document.type` (and `status` when skipped).
ExtractedText ExtractCompressed(const IndexRequest& request, const MimeSnifferSource& sniffer,
                                IndexedDocument& document) {
  DecompressedChunks inner(request.path, request.max_file_size * 20);
  CompressedContent content = ReadCompressedContent(inner, request.path, sniffer, request.max_text_bytes);
  document.type = content.type;
  if (!content.skipped.empty()) Skip(document, content.type, content.skipped);
  return std::move(content.extracted);
}

// The file's members become documents of their own; the archive's text is their names.
ExtractedText ExtractArchive(const IndexRequest& request, const MimeSnifferSource& sniffer,
                             const CommandServices& services, IndexedDocument& document) {
  const ArchiveLimits limits{request.max_file_size, request.max_file_size * 20,
                             request.max_text_bytes,
                             std::chrono::seconds(request.converter_timeout_s)};
  ReadArchiveMembers(request.path, limits, sniffer, services, document);
  ExtractedText extracted;
  extracted.text = std::move(document.text);
  extracted.note = std::move(document.note);
  return extracted;
}

// A regular file, not empty, within --max-file-size; else a TaskFailure saying which.
void CheckFile(const struct stat& info, const IndexRequest& request) {
  if (!S_ISREG(info.st_mode)) throw TaskFailure({ErrorCode::kBadInput, "not a regular file", false});
  const auto size = static_cast<uint64_t>(info.st_size);
  if (size == 0) throw TaskFailure({ErrorCode::kBadInput, "empty file (zero bytes)", false});
  if (size > request.max_file_size) {
    throw TaskFailure({ErrorCode::kBadInput,
                       fmt::format("{} bytes, over --max-file-size ({} bytes)", size,
                                   request.max_file_size),
                       false});
  }
}

// The file's document from `document` (its stamp: size, mtime, extractor).
std::string IndexFile(const IndexRequest& request, IndexedDocument document,
                      const CommandServices& services, const MimeSnifferSource& sniffer) {
  FileChunks file(request.path);
  const std::string_view first = file.Next();
  const std::string extension = std::filesystem::path(request.path).extension().string();
  document.type = DetectType(first.substr(0, 512), extension);

  ExtractedText extracted;
  const auto timeout = std::chrono::seconds(request.converter_timeout_s);
  const std::string bare_extension = extension.empty() ? "" : LowerAscii(extension).substr(1);
  const auto converter = request.converters.find(bare_extension);  // keys have no dot
  std::string mime;
  if (document.type.empty() && converter == request.converters.end()) {
    document.type = SniffType(first.substr(0, kSniffBytes), sniffer, mime);
  }
  if (converter != request.converters.end()) {
    document.type = bare_extension;
    extracted = ExtractWithProgram(CommandFor(converter->second, request.path), timeout,
                                   request.max_text_bytes * 4, services);
  } else if (IsStreamedType(document.type)) {
    extracted = ReadStreamedType(document.type, file, first, request.max_text_bytes);
  } else if (document.type == "pdf") {
    extracted = ExtractWithProgram(PdfCommand(request.path), timeout,
                                   request.max_text_bytes * 4, services, FailedExit::kKeepText);
    if (extracted.text.find_first_not_of(" \n\f\r\t") == std::string::npos) {
      AddNote(extracted, "no text (a scanned PDF?)");
    }
  } else if (IsOfficeType(document.type)) {
    extracted = ExtractOfficeText(request.path, document.type, request.max_file_size * 20,
                                  request.max_text_bytes);
  } else if (document.type == "zip" || IsArchiveMime(mime) ||
             (IsCompressedMime(mime) && HoldsArchive(request.path))) {
    extracted = ExtractArchive(request, sniffer, services, document);
  } else if (IsCompressedMime(mime)) {
    extracted = ExtractCompressed(request, sniffer, document);
  } else {
    Skip(document, bare_extension.empty() ? "unknown" : bare_extension,
         "no converter for " + (mime.empty() ? document.type : mime));
  }
  document.hash = file.FinishHash();
  if (document.status == "skipped") return EncodeIndexedDocument(document);
  document.status = "indexed";
  if (extracted.text.size() > request.max_text_bytes) {  // a program's output
    extracted.text.resize(request.max_text_bytes);
    AddNote(extracted, TextCutNote(request.max_text_bytes));
  }
  document.title = std::move(extracted.title);
  document.text = std::move(extracted.text);
  document.note = std::move(extracted.note);
  document.charset = std::move(extracted.charset);
  document.words = CountWords(document.text);
  if (document.title.empty()) document.title = std::filesystem::path(request.path).stem().string();
  return EncodeIndexedDocument(document);
}

}  // namespace

std::string RunIndex(const wire::Task& task, const CommandServices& services,
                     const MimeSnifferSource& sniffer) {
  auto request = DecodeIndexRequest(task.payload);
  if (!request) throw TaskFailure({ErrorCode::kBadPayload, "index payload is not a request", false});
  struct stat info {};
  if (stat(request->path.c_str(), &info) != 0) {
    throw TaskFailure({ErrorCode::kBadInput, std::string("cannot stat: ") + ErrnoText(errno),
                       false});
  }
  // The file's stamp travels with a failure too, so an unchanged file that failed is known
  // unchanged next time and not converted again (unless --retry-failed).
  IndexedDocument stamp;
  stamp.status = "error";
  stamp.extractor = ExtractorFor(request->path, request->converters);
  stamp.size = static_cast<uint64_t>(info.st_size);
  stamp.mtime_ns = static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
  try {
    CheckFile(info, *request);
    return IndexFile(*request, stamp, services, sniffer);
  } catch (const TaskFailure& failure) {
    throw TaskFailure(failure.error(), EncodeIndexedDocument(stamp));
  }
}

}  // namespace taskfarm
