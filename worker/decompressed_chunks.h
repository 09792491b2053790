#pragma once
// DecompressedChunks: a file compressed whole (gzip, bzip2, xz, zstd, lzip, compress), read
// as the bytes it holds through libarchive's filters, 64 KiB at a time, so a compressed
// README or changelog is indexed as the text it is; or such bytes held in memory (a
// changelog.gz inside a tar). Output past `max_bytes` is refused (a decompression bomb);
// damaged data is a TaskFailure naming what libarchive said.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct archive;

namespace taskfarm {

/// Whether libmagic's `mime` names a compression DecompressedChunks reads.
bool IsCompressedMime(std::string_view mime);

class DecompressedChunks {
 public:
  static constexpr std::size_t kChunkBytes = 64 * 1024;

  /// Throws TaskFailure when the file cannot be opened as compressed data.
  DecompressedChunks(const std::string& path, uint64_t max_bytes);
  /// Compressed bytes in memory, which must outlive this reader.
  struct InMemory {
    std::string_view bytes;
  };
  DecompressedChunks(InMemory compressed, uint64_t max_bytes);
  ~DecompressedChunks();
  DecompressedChunks(const DecompressedChunks&) = delete;
  DecompressedChunks& operator=(const DecompressedChunks&) = delete;

  /// The next chunk of the decompressed bytes; empty at the end. Throws TaskFailure.
  std::string_view Next();
  /// The compression, as libarchive names it ("gzip", "bzip2", "xz", "zstd").
  std::string compression() const;
  /// Decompressed bytes handed out so far.
  uint64_t bytes_read() const { return read_; }

 private:
  DecompressedChunks(uint64_t max_bytes);
  // Reads the one entry the raw format makes of the data `open` (libarchive's result) gave.
  void Start(int open_status);
  [[noreturn]] void Fail(const std::string& what) const;

  archive* archive_;
  uint64_t max_bytes_;
  uint64_t read_ = 0;
  std::vector<char> buffer_;
};

}  // namespace taskfarm
