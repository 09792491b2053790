#include "coordinator/input_lines.h"

#include <sys/stat.h>

#include <array>
#include <cstring>

#include "coordinator/geocode_source.h"  // InputError
#include "shared/system_text.h"

namespace taskfarm {

InputLines::InputLines(const std::string& path, bool null_separated, const std::string& flag)
    : separator_(null_separated ? '\0' : '\n') {
  if (path == "-") {
    file_ = stdin;
    return;
  }
  struct stat info {};
  if (stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    throw InputError(flag + " " + path + ": is a folder, not a file");
  }
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) throw InputError(flag + " " + path + ": " + ErrnoText(errno));
  owns_file_ = true;
}

InputLines::InputLines(std::vector<std::string> args) : args_(std::move(args)), from_args_(true) {}

InputLines::~InputLines() {
  if (owns_file_) std::fclose(file_);
}

std::optional<InputLine> InputLines::Next() {
  if (from_args_) {
    if (number_ >= args_.size()) return std::nullopt;
    InputLine line;
    line.text = std::move(args_[number_]);
    line.number = ++number_;
    line.too_long = line.text.size() > kMaxInputBytes;
    return line;
  }
  InputLine line;
  bool any = false;
  for (int c; (c = getc_unlocked(file_)) != EOF;) {
    any = true;
    if (static_cast<char>(c) == separator_) break;
    if (line.text.size() < kMaxInputBytes) {
      line.text += static_cast<char>(c);
    } else {
      line.too_long = true;
    }
  }
  if (!any) return std::nullopt;
  line.number = ++number_;
  return line;
}

std::optional<uint64_t> InputLines::Count(const std::string& path, bool null_separated) {
  struct stat info {};
  if (path == "-" || stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return std::nullopt;
  const char separator = null_separated ? '\0' : '\n';
  std::array<char, 1 << 16> buffer;
  uint64_t count = 0;
  char last = separator;
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0;) {
    for (const char* p = buffer.data(); (p = static_cast<const char*>(
                                             std::memchr(p, separator, buffer.data() + n - p)));
         ++p) {
      ++count;
    }
    last = buffer[n - 1];
  }
  std::fclose(file);
  return count + (last != separator ? 1 : 0);  // a last line without its separator
}

}  // namespace taskfarm
