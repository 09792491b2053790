#include "coordinator/index_source.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>

#include "shared/builtin_payloads.h"

namespace taskfarm {

namespace fs = std::filesystem;

IndexSource::IndexSource(IndexInput input, std::unordered_map<std::string, FileStamp> known)
    : input_(std::move(input)), known_(std::move(known)) {}

bool IndexSource::Excluded(const fs::path& path) const {
  const std::string name = path.filename().string();
  for (const std::string& glob : input_.excludes) {
    if (fnmatch(glob.c_str(), name.c_str(), 0) == 0 ||
        fnmatch(glob.c_str(), path.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

std::optional<TaskSpec> IndexSource::Next() {
  while (!walked_all_ && window_.size() < kLookahead) {
    auto pending = Walk();
    if (!pending) break;
    window_.push(std::move(*pending));
  }
  if (window_.empty()) return std::nullopt;
  TaskSpec spec = window_.top().spec;
  window_.pop();
  return spec;
}

std::optional<IndexSource::Pending> IndexSource::Walk() {
  constexpr uint64_t kFirst = UINT64_MAX;  // a folder's error row
  for (;;) {
    if (stack_.empty()) {
      if (next_root_ >= input_.roots.size()) {
        walked_all_ = true;
        return std::nullopt;
      }
      const fs::path root = fs::absolute(input_.roots[next_root_++]).lexically_normal();
      std::error_code ec;
      fs::directory_iterator it(root, ec);
      if (ec) {
        NotListed(root);
        return Pending{kFirst, TaskSpec{"reject", payloads::EncodeText(fmt::format(
                                                      "{}: cannot read the folder: {}",
                                                      root.string(), ec.message()))}};
      }
      stack_.push_back(std::move(it));
      continue;
    }
    fs::directory_iterator& it = stack_.back();
    if (it == fs::directory_iterator()) {
      stack_.pop_back();
      continue;
    }
    const fs::directory_entry entry = *it;
    std::error_code ec;
    it.increment(ec);
    if (ec) {  // the rest of this folder cannot be listed
      NotListed(entry.path().parent_path());
      stack_.pop_back();
    }
    if (auto spec = Visit(entry)) return spec;
  }
}

std::optional<IndexSource::Pending> IndexSource::Visit(const fs::directory_entry& entry) {
  std::error_code ec;
  const fs::file_status status = entry.symlink_status(ec);  // never follow a link
  if (ec) {
    seen_.insert(entry.path().string());  // there, if unreadable: not gone
    return std::nullopt;
  }
  if (Excluded(entry.path())) return std::nullopt;
  if (fs::is_directory(status)) {
    fs::directory_iterator it(entry.path(), ec);
    if (ec) {
      NotListed(entry.path());
      return Pending{UINT64_MAX, TaskSpec{"reject", payloads::EncodeText(fmt::format(
                                                        "{}: cannot read the folder: {}",
                                                        entry.path().string(), ec.message()))}};
    }
    stack_.push_back(std::move(it));
    return std::nullopt;
  }
  if (!fs::is_regular_file(status)) return std::nullopt;  // links, devices, sockets
  const std::string path = entry.path().string();
  seen_.insert(path);
  struct stat info {};
  if (lstat(path.c_str(), &info) != 0) return std::nullopt;  // gone since it was listed
  const auto size = static_cast<uint64_t>(info.st_size);
  // The same clock the worker reports (st_mtim), so the next run compares like with like.
  const int64_t mtime_ns =
      static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
  if (auto known = known_.find(path); known != known_.end()) {
    const FileStamp& stamp = known->second;
    if (stamp.size != size || stamp.mtime_ns != mtime_ns) {
      ++counts_.changed;
    } else if (stamp.extractor != ExtractorFor(path, input_.converters)) {
      ++counts_.reconverted;
    } else if (stamp.failed && input_.retry_failed) {
      ++counts_.retried;
    } else if (stamp.failed) {
      ++counts_.failed_unchanged;
      return std::nullopt;
    } else {
      ++counts_.unchanged;
      return std::nullopt;
    }
  } else {
    ++counts_.added;
  }
  IndexRequest request{path, input_.max_file_size, input_.max_text_bytes,
                       input_.converter_timeout_s, input_.converters};
  return Pending{size, TaskSpec{"index", EncodeIndexRequest(request)}};
}

void IndexSource::NotListed(const fs::path& folder) {
  not_listed_.push_back(folder.string() + "/");
}

std::vector<std::string> IndexSource::Vanished() const {
  const auto under_unlisted = [&](const std::string& path) {
    return std::any_of(not_listed_.begin(), not_listed_.end(), [&](const std::string& folder) {
      return path.compare(0, folder.size(), folder) == 0;
    });
  };
  std::vector<std::string> gone;
  for (const auto& [path, stamp] : known_) {
    if (!seen_.count(path) && !under_unlisted(path)) gone.push_back(path);
  }
  return gone;
}

}  // namespace taskfarm
