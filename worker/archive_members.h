#pragma once
// An archive's files as documents of their own: zip, tar (plain or compressed whole: .tar.gz,
// .tar.xz, ...), 7z, cpio, ar and ISO images, read through libarchive, each member typed and
// read as a file would be (text, Markdown and HTML streamed, also when the member is
// compressed whole, a changelog.gz; ODT/DOCX from memory; PDFs through the PDF converter on
// an anonymous in-memory file). Nothing is written to disk. An archive inside an archive is
// skipped, saying so.
//
// Limits, so that no archive takes more than a file may: a member larger than
// --max-file-size is skipped; all members' bytes together stop at 20 x --max-file-size (a
// bomb: the members read so far are kept and the archive's note says where it stopped); all
// members' text together stays within --max-text-bytes; at most kMaxArchiveMembers members;
// a PDF or office member is held in memory, so at most kMaxMemberInMemory of it.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/index_messages.h"
#include "worker/child_command.h"
#include "worker/document_types.h"

namespace taskfarm {

/// A PDF or office member is read into memory whole: one larger is skipped, saying so.
inline constexpr uint64_t kMaxMemberInMemory = uint64_t{64} << 20;

/// Whether libmagic's `mime` names an archive format ReadArchiveMembers reads.
bool IsArchiveMime(std::string_view mime);

/// Whether the file at `path`, compressed whole, holds an archive (a .tar.gz does).
bool HoldsArchive(const std::string& path);

struct ArchiveLimits {
  uint64_t max_member_size = 0;  // --max-file-size
  uint64_t max_unpacked = 0;     // all members' bytes together
  uint64_t max_text = 0;         // all members' text together (--max-text-bytes)
  std::chrono::seconds converter_timeout{0};
};

/// Reads the archive at `path` into `document`: its members, its type ("zip", "tar", ...),
/// its text (the members' names, one a line, so a name finds its archive) and a note
/// counting its members. Throws TaskFailure when the file is no readable archive.
void ReadArchiveMembers(const std::string& path, const ArchiveLimits& limits,
                        const MimeSnifferSource& sniffer, const CommandServices& services,
                        IndexedDocument& document);

}  // namespace taskfarm
