#include "worker/decompressed_chunks.h"

#include <archive.h>
#include <archive_entry.h>

#include <array>

#include <fmt/format.h>

#include "shared/task_error.h"

namespace taskfarm {

bool IsCompressedMime(std::string_view mime) {
  static constexpr std::array<std::string_view, 7> kCompressed = {
      "application/gzip",    "application/x-gzip", "application/x-bzip2", "application/x-xz",
      "application/zstd",    "application/x-lzip", "application/x-compress"};
  for (std::string_view compressed : kCompressed) {
    if (mime == compressed) return true;
  }
  return false;
}

DecompressedChunks::DecompressedChunks(uint64_t max_bytes)
    : archive_(archive_read_new()), max_bytes_(max_bytes), buffer_(kChunkBytes) {
  if (archive_ == nullptr) throw TaskFailure({ErrorCode::kHandlerFailed, "libarchive: out of memory", false});
  // Filters undo the compression; the "raw" format takes what they give as one entry.
  archive_read_support_filter_all(archive_);
  archive_read_support_format_raw(archive_);
}

DecompressedChunks::DecompressedChunks(const std::string& path, uint64_t max_bytes)
    : DecompressedChunks(max_bytes) {
  Start(archive_read_open_filename(archive_, path.c_str(), kChunkBytes));
}

DecompressedChunks::DecompressedChunks(InMemory compressed, uint64_t max_bytes)
    : DecompressedChunks(max_bytes) {
  Start(archive_read_open_memory(archive_, compressed.bytes.data(), compressed.bytes.size()));
}

void DecompressedChunks::Start(int open_status) {
  archive_entry* entry = nullptr;
  if (open_status != ARCHIVE_OK || archive_read_next_header(archive_, &entry) != ARCHIVE_OK) {
    Fail("not readable compressed data");
  }
}

DecompressedChunks::~DecompressedChunks() { archive_read_free(archive_); }

std::string_view DecompressedChunks::Next() {
  const la_ssize_t n = archive_read_data(archive_, buffer_.data(), buffer_.size());
  if (n < 0) Fail("damaged compressed data");
  read_ += static_cast<uint64_t>(n);
  if (read_ > max_bytes_) {
    Fail(fmt::format("decompresses past {} bytes: a decompression bomb?", max_bytes_));
  }
  return {buffer_.data(), static_cast<std::size_t>(n)};
}

std::string DecompressedChunks::compression() const {
  const char* name = archive_filter_name(archive_, 0);
  return name != nullptr ? name : "compressed";
}

void DecompressedChunks::Fail(const std::string& what) const {
  const char* why = archive_error_string(archive_);
  throw TaskFailure({ErrorCode::kBadInput, what + (why != nullptr ? std::string(": ") + why : ""),
                     false});
}

}  // namespace taskfarm
