#include "worker/archive_members.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "shared/system_text.h"
#include "shared/task_error.h"
#include "worker/content_hash.h"
#include "worker/decompressed_chunks.h"

namespace taskfarm {
namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;

using ArchivePtr = std::unique_ptr<archive, decltype(&archive_read_free)>;

ArchivePtr OpenArchive(const std::string& path) {
  ArchivePtr reader(archive_read_new(), &archive_read_free);
  if (!reader) throw TaskFailure({ErrorCode::kHandlerFailed, "libarchive: out of memory", false});
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_all(reader.get());  // archives only: "raw" is not among them
  if (archive_read_open_filename(reader.get(), path.c_str(), kChunkBytes) != ARCHIVE_OK) {
    const char* why = archive_error_string(reader.get());
    throw TaskFailure({ErrorCode::kBadInput,
                       std::string("not a readable archive: ") + (why ? why : "unknown error"),
                       false});
  }
  return reader;
}

std::string LibarchiveError(archive* reader) {
  const char* why = archive_error_string(reader);
  return why != nullptr ? why : "unknown error";
}

// "zip", "tar", ... and, for an archive compressed whole, its compression: "tar.gz".
std::string ArchiveType(archive* reader) {
  std::string type = "archive";
  switch (archive_format(reader) & ARCHIVE_FORMAT_BASE_MASK) {
    case ARCHIVE_FORMAT_ZIP: type = "zip"; break;
    case ARCHIVE_FORMAT_TAR: type = "tar"; break;
    case ARCHIVE_FORMAT_7ZIP: type = "7z"; break;
    case ARCHIVE_FORMAT_CPIO: type = "cpio"; break;
    case ARCHIVE_FORMAT_AR: type = "ar"; break;
    case ARCHIVE_FORMAT_RAR: case ARCHIVE_FORMAT_RAR_V5: type = "rar"; break;
    case ARCHIVE_FORMAT_ISO9660: type = "iso"; break;
    default: break;
  }
  if (archive_filter_count(reader) > 1) {
    switch (archive_filter_code(reader, 0)) {
      case ARCHIVE_FILTER_NONE: break;
      case ARCHIVE_FILTER_GZIP: type += ".gz"; break;
      case ARCHIVE_FILTER_BZIP2: type += ".bz2"; break;
      case ARCHIVE_FILTER_XZ: type += ".xz"; break;
      case ARCHIVE_FILTER_ZSTD: type += ".zst"; break;
      case ARCHIVE_FILTER_LZIP: type += ".lz"; break;
      default: type += std::string(".") + archive_filter_name(reader, 0); break;
    }
  }
  return type;
}

// All members' bytes together passed ArchiveLimits::max_unpacked.
struct UnpackLimitReached {};

// The current member's bytes, chunk by chunk, hashed, counted against the archive's limit.
class MemberChunks {
 public:
  MemberChunks(archive* reader, uint64_t& unpacked, uint64_t max_unpacked)
      : reader_(reader), unpacked_(unpacked), max_unpacked_(max_unpacked), buffer_(kChunkBytes) {}

  /// The next chunk; empty at the member's end. Throws TaskFailure (damaged, encrypted) or
  /// UnpackLimitReached.
  std::string_view Next() {
    const la_ssize_t n = archive_read_data(reader_, buffer_.data(), buffer_.size());
    if (n < 0) throw TaskFailure({ErrorCode::kBadInput, "cannot read: " + LibarchiveError(reader_), false});
    unpacked_ += static_cast<uint64_t>(n);
    if (unpacked_ > max_unpacked_) throw UnpackLimitReached{};
    const std::string_view chunk(buffer_.data(), static_cast<std::size_t>(n));
    hash_.Add(chunk);
    return chunk;
  }
  /// At least `want` bytes from the start (fewer only for a shorter member).
  std::string Head(std::size_t want) {
    std::string head;
    for (std::string_view chunk = Next(); !chunk.empty(); chunk = Next()) {
      head.append(chunk);
      if (head.size() >= want) break;
    }
    return head;
  }
  /// `head` and the rest of the member, refused past `max` bytes.
  std::string All(std::string head, uint64_t max) {
    for (std::string_view chunk = Next(); !chunk.empty(); chunk = Next()) {
      if (head.size() + chunk.size() > max) {
        throw TaskFailure({ErrorCode::kBadInput, fmt::format("longer than {} bytes", max), false});
      }
      head.append(chunk);
    }
    return head;
  }
  std::string FinishHash() {
    while (!Next().empty()) {
    }
    return hash_.Hex();
  }

 private:
  archive* reader_;
  uint64_t& unpacked_;
  uint64_t max_unpacked_;
  std::vector<char> buffer_;
  ContentHash hash_;
};

// A PDF member's text: the bytes go to an anonymous in-memory file (memfd: gone with the
// worker, on every exit path) that the converter opens through /proc.
ExtractedText PdfMemberText(const std::string& bytes, const ArchiveLimits& limits,
                            uint64_t max_text, const CommandServices& services) {
  const int fd = memfd_create("taskfarm-archive-member.pdf", MFD_CLOEXEC);
  if (fd < 0) throw TaskFailure({ErrorCode::kHandlerFailed, "memfd_create: " + ErrnoText(errno), false});
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  for (std::size_t written = 0; written < bytes.size();) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) throw TaskFailure({ErrorCode::kHandlerFailed, "memfd write: " + ErrnoText(errno), false});
    written += static_cast<std::size_t>(n);
  }
  const std::string path = fmt::format("/proc/{}/fd/{}", getpid(), fd);
  ExtractedText extracted =
      ExtractWithProgram(PdfCommand(path), limits.converter_timeout, max_text * 4, services,
                         FailedExit::kKeepText);
  if (extracted.text.size() > max_text) {
    extracted.text.resize(max_text);
    AddNote(extracted, TextCutNote(max_text));
  }
  return extracted;
}

class ArchiveReader {
 public:
  ArchiveReader(const std::string& path, const ArchiveLimits& limits,
                const MimeSnifferSource& sniffer, const CommandServices& services)
      : reader_(OpenArchive(path)), limits_(limits), sniffer_(sniffer), services_(services) {}

  void Read(IndexedDocument& document) {
    std::string stopped;
    for (;;) {
      archive_entry* entry = nullptr;
      const int status = archive_read_next_header(reader_.get(), &entry);
      if (status == ARCHIVE_EOF) break;
      if (status < ARCHIVE_WARN) {
        if (document.members.empty() && seen_ == 0) {
          throw TaskFailure({ErrorCode::kBadInput,
                             "not a readable archive: " + LibarchiveError(reader_.get()), false});
        }
        stopped = "damaged after " + std::to_string(seen_) + " entries: " + LibarchiveError(reader_.get());
        break;
      }
      ++seen_;
      if (archive_entry_filetype(entry) != AE_IFREG) continue;  // folders, links, devices
      if (document.members.size() >= kMaxArchiveMembers) {
        stopped = fmt::format("only its first {} members read", kMaxArchiveMembers);
        break;
      }
      try {
        document.members.push_back(ReadMember(entry));
      } catch (const UnpackLimitReached&) {
        stopped = fmt::format("stopped at {} bytes unpacked (20 x --max-file-size): a bomb?",
                              limits_.max_unpacked);
        break;
      }
    }
    Describe(document, stopped);
  }

 private:
  IndexedMember ReadMember(archive_entry* entry) {
    IndexedMember member;
    const char* utf8 = archive_entry_pathname_utf8(entry);
    member.name = utf8 != nullptr ? utf8 : archive_entry_pathname(entry);
    while (member.name.rfind("./", 0) == 0) member.name.erase(0, 2);  // tar's "./a.txt" is a.txt
    member.size = archive_entry_size_is_set(entry) ? static_cast<uint64_t>(archive_entry_size(entry)) : 0;
    member.mtime_ns = static_cast<int64_t>(archive_entry_mtime(entry)) * 1'000'000'000 +
                      archive_entry_mtime_nsec(entry);
    if (member.size > limits_.max_member_size) {
      Skip(member, fmt::format("{} bytes, over --max-file-size ({} bytes)", member.size,
                               limits_.max_member_size));
      return member;
    }
    MemberChunks chunks(reader_.get(), unpacked_, limits_.max_unpacked);
    try {
      Extract(member, chunks);
      member.hash = chunks.FinishHash();
    } catch (const TaskFailure& failure) {
      member.status = "error";
      member.note = failure.error().message;
      member.text.clear();
    }
    return member;
  }

  void Extract(IndexedMember& member, MemberChunks& chunks) {
    const std::string head = chunks.Head(kSniffBytes);
    if (member.size == 0) member.size = head.size();
    if (head.empty()) return Skip(member, "empty file (zero bytes)");
    const std::string extension = std::filesystem::path(member.name).extension().string();
    std::string mime;
    member.type = DetectType(std::string_view(head).substr(0, 512), extension);
    if (member.type.empty()) member.type = SniffType(head, sniffer_, mime);
    const bool compressed = member.type.empty() && IsCompressedMime(mime);
    if (!compressed && (member.type.empty() || member.type == "zip")) {
      const bool nested = member.type == "zip" || IsArchiveMime(mime);
      member.type = extension.empty() ? "unknown" : extension.substr(1);
      if (nested) return Skip(member, "an archive inside an archive is not read");
      return Skip(member, "no converter for " + (mime.empty() ? member.type : mime) + " inside an archive");
    }
    const uint64_t room = limits_.max_text - std::min(limits_.max_text, text_used_);
    if (room == 0) return Skip(member, "the archive's text is full (--max-text-bytes)");
    if (IsStreamedType(member.type)) return Keep(member, ReadStreamedType(member.type, chunks, head, room));
    if (member.size > kMaxMemberInMemory) {
      return Skip(member, fmt::format("{} bytes: a {} inside an archive is read in memory, up to "
                                      "{} MiB",
                                      member.size, compressed ? mime : member.type,
                                      kMaxMemberInMemory >> 20));
    }
    std::string bytes = chunks.All(head, kMaxMemberInMemory);
    if (compressed) return ReadCompressed(member, bytes, room);
    if (IsOfficeType(member.type)) {
      return Keep(member, ExtractOfficeTextFromMemory(bytes, member.type, limits_.max_unpacked, room));
    }
    Keep(member, PdfMemberText(bytes, limits_, room, services_));
  }

  // A member compressed whole (a changelog.gz in a tar), read as the file it holds, as a
  // file compressed whole is: text, Markdown and HTML; anything else inside is skipped.
  void ReadCompressed(IndexedMember& member, const std::string& bytes, uint64_t room) {
    DecompressedChunks inner(DecompressedChunks::InMemory{bytes}, limits_.max_member_size * 20);
    CompressedContent content = ReadCompressedContent(inner, member.name, sniffer_, room);
    member.type = content.type;
    if (!content.skipped.empty()) return Skip(member, content.skipped + " inside an archive");
    unpacked_ += inner.bytes_read();
    if (unpacked_ > limits_.max_unpacked) throw UnpackLimitReached{};
    Keep(member, std::move(content.extracted));
  }

  void Keep(IndexedMember& member, ExtractedText extracted) {
    member.status = "indexed";
    member.title = extracted.title.empty() ? std::filesystem::path(member.name).stem().string()
                                           : std::move(extracted.title);
    member.text = std::move(extracted.text);
    member.note = std::move(extracted.note);
    member.charset = std::move(extracted.charset);
    member.words = CountWords(member.text);
    text_used_ += member.text.size();
  }

  static void Skip(IndexedMember& member, std::string why) {
    member.status = "skipped";
    member.note = std::move(why);
  }

  // The archive's own row: its type, its members' names as its text, and a count.
  void Describe(IndexedDocument& document, const std::string& stopped) const {
    document.type = ArchiveType(reader_.get());
    std::size_t indexed = 0;
    for (const IndexedMember& member : document.members) {
      indexed += member.status == "indexed" ? 1 : 0;
      document.text += member.name;
      document.text += '\n';
    }
    document.note = fmt::format("{} members indexed, {} not", indexed,
                                document.members.size() - indexed);
    if (!stopped.empty()) document.note += "; " + stopped;
  }

  ArchivePtr reader_;
  const ArchiveLimits& limits_;
  const MimeSnifferSource& sniffer_;
  const CommandServices& services_;
  uint64_t unpacked_ = 0;
  uint64_t text_used_ = 0;
  uint64_t seen_ = 0;
};

}  // namespace

bool IsArchiveMime(std::string_view mime) {
  static constexpr std::array<std::string_view, 10> kArchives = {
      "application/zip",         "application/x-tar",     "application/x-7z-compressed",
      "application/x-cpio",      "application/x-archive", "application/vnd.debian.binary-package",
      "application/x-rar",       "application/vnd.rar",   "application/java-archive",
      "application/x-iso9660-image"};
  return std::find(kArchives.begin(), kArchives.end(), mime) != kArchives.end();
}

bool HoldsArchive(const std::string& path) {
  ArchivePtr reader(archive_read_new(), &archive_read_free);
  if (!reader) return false;
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_all(reader.get());
  archive_entry* entry = nullptr;
  if (archive_read_open_filename(reader.get(), path.c_str(), kChunkBytes) != ARCHIVE_OK ||
      archive_read_next_header(reader.get(), &entry) != ARCHIVE_OK) {
    return false;
  }
  // Formats of files, not of text that happens to parse as one (mtree, WARC).
  return ArchiveType(reader.get()).rfind("archive", 0) != 0;
}

void ReadArchiveMembers(const std::string& path, const ArchiveLimits& limits,
                        const MimeSnifferSource& sniffer, const CommandServices& services,
                        IndexedDocument& document) {
  ArchiveReader(path, limits, sniffer, services).Read(document);
}

}  // namespace taskfarm
