#pragma once
// InputLines: the inputs of a per-input run (--inputs FILE, '-' for stdin, or the words
// after :::), read lazily one at a time with a bounded length, so a run over millions of
// inputs, or over /dev/zero, holds one line in memory. Lines end at '\n' (the '\n' is not
// part of the input), or at NUL with --null; bytes are passed on as they are.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace taskfarm {

struct InputLine {
  std::string text;
  uint64_t number = 0;    // from 1
  bool too_long = false;  // `text` holds only the first kMaxInputBytes
};

class InputLines {
 public:
  static constexpr std::size_t kMaxInputBytes = std::size_t{1} << 20;

  /// Reads `path` ('-': stdin). Throws InputError, naming `flag` and the path, when it
  /// cannot be opened or is a folder.
  InputLines(const std::string& path, bool null_separated, const std::string& flag = "--inputs");
  /// The words given on the command line.
  explicit InputLines(std::vector<std::string> args);
  ~InputLines();
  InputLines(const InputLines&) = delete;
  InputLines& operator=(const InputLines&) = delete;

  std::optional<InputLine> Next();

  /// How many inputs `path` holds (one pass over it); nullopt for stdin or a pipe.
  static std::optional<uint64_t> Count(const std::string& path, bool null_separated);

 private:
  FILE* file_ = nullptr;
  bool owns_file_ = false;
  char separator_ = '\n';
  std::vector<std::string> args_;
  bool from_args_ = false;
  uint64_t number_ = 0;
};

}  // namespace taskfarm
