#pragma once
// The payloads of an `index` task and of its result (msgpack, inside wire::Task and
// wire::Result).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

#include "shared/defaults.h"

namespace taskfarm {

struct IndexRequest {
  std::string path;
  uint64_t max_file_size = 0;    // larger files are error rows, not read
  uint64_t max_text_bytes = 0;   // longer text is cut there
  uint32_t converter_timeout_s = defaults::kConverterTimeoutSeconds;
  std::map<std::string, std::string> converters;  // extension (".rtf") -> command ("{}" = path)
  MSGPACK_DEFINE(path, max_file_size, max_text_bytes, converter_timeout_s, converters);
};

/// A file inside an archive (zip, tar, ...), a document of its own: its path in the index is
/// the archive's, "!", then `name`.
struct IndexedMember {
  std::string name;    // its path inside the archive
  std::string status;  // "indexed" or "skipped"
  std::string type;
  std::string title;
  std::string text;
  uint64_t words = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // as the archive recorded it
  std::string hash;
  std::string note;
  std::string charset;
  MSGPACK_DEFINE(name, status, type, title, text, words, size, mtime_ns, hash, note, charset);
};

struct IndexedDocument {
  std::string status;  // "indexed", or "skipped" (unsupported type)
  std::string type;    // text, markdown, html, pdf, odt, docx, ... or the extension
  std::string title;
  std::string text;
  uint64_t words = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string hash;    // of the file's bytes, hex
  std::string note;    // e.g. "invalid UTF-8 repaired", "text cut at 8 MB"
  std::string charset;  // a text file's encoding as read (UTF-8, ISO-8859-1, ...); "" others
  std::string extractor;  // what made the text (ExtractorFor)
  std::vector<IndexedMember> members;  // an archive's files; their texts share its text limit
  MSGPACK_DEFINE(status, type, title, text, words, size, mtime_ns, hash, note, charset, extractor,
                 members);
};

/// The built-in extractors' version: raised when what they make of some file changes
/// (2: charsets detected, types by content, compressed files read; 3: archives' members).
inline constexpr int kBuiltinExtractorVersion = 3;

/// The most members an archive's document carries (more are noted, not read).
inline constexpr std::size_t kMaxArchiveMembers = 10'000;

/// Joins an archive's path and a member's name into the member's path in the index.
inline std::string MemberPath(const std::string& archive, const std::string& member) {
  return archive + "!" + member;
}

/// What turns the file at `path` into text under `converters` (keyed by extension, without
/// the dot): "converter:COMMAND" when its extension names one, else the built-in extractors,
/// "taskfarm:VERSION". Kept with each document, so a later run whose answer differs converts
/// the file again (a converter added, changed or dropped; the built-in ones improved).
std::string ExtractorFor(const std::string& path,
                         const std::map<std::string, std::string>& converters);

std::string EncodeIndexRequest(const IndexRequest& request);
std::optional<IndexRequest> DecodeIndexRequest(std::string_view bytes);
std::string EncodeIndexedDocument(const IndexedDocument& document);
std::optional<IndexedDocument> DecodeIndexedDocument(std::string_view bytes);

}  // namespace taskfarm
