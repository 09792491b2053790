#include "shared/replacement_strings.h"

#include <array>
#include <tuple>
#include <utility>

namespace taskfarm {
namespace {

constexpr std::array<std::string_view, 7> kTokens = {"{}",  "{.}", "{/}", "{//}",
                                                     "{/.}", "{#}", "{%}"};

std::string ValueOf(std::string_view token, const ReplacementValues& values) {
  if (token == "{}") return std::string(values.input);
  if (token == "{.}") return WithoutExtension(values.input);
  if (token == "{/}") return Basename(values.input);
  if (token == "{//}") return Dirname(values.input);
  if (token == "{/.}") return WithoutExtension(Basename(values.input));
  if (token == "{#}") return std::to_string(values.seq);
  return std::to_string(values.slot);  // {%}
}

// The token starting at `word[at]`, or an empty view.
std::string_view TokenAt(std::string_view word, std::size_t at) {
  for (std::string_view token : kTokens) {
    if (word.substr(at, token.size()) == token) return token;
  }
  return {};
}

// Perl's File::Basename: a trailing run of slashes goes, but never the first character.
std::string_view StripTrailingSlashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

// fileparse(): the directory part with its slash ("./" when there is none), and the rest.
std::pair<std::string_view, std::string_view> FileParse(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return {"./", path};
  return {path.substr(0, slash + 1), path.substr(slash + 1)};
}

}  // namespace

bool HasReplacementString(std::string_view word) {
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (word[i] == '{' && !TokenAt(word, i).empty()) return true;
  }
  return false;
}

std::string ExpandReplacements(std::string_view word, const ReplacementValues& values,
                               bool shell_quote) {
  std::string out;
  out.reserve(word.size() + values.input.size());
  for (std::size_t i = 0; i < word.size();) {
    const std::string_view token = word[i] == '{' ? TokenAt(word, i) : std::string_view();
    if (token.empty()) {
      out += word[i++];
      continue;
    }
    const std::string value = ValueOf(token, values);
    out += shell_quote ? ShellQuote(value) : value;
    i += token.size();
  }
  return out;
}

std::string ShellQuote(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

// parallel: s:\.[^/.]*$:: (the last dot and what follows it, if no slash or dot follows).
std::string WithoutExtension(std::string_view path) {
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos) return std::string(path);
  if (path.find('/', dot) != std::string_view::npos) return std::string(path);
  return std::string(path.substr(0, dot));
}

// parallel: s:^.*/::
std::string Basename(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// Perl's File::Basename::dirname on Unix, which parallel uses.
std::string Dirname(std::string_view path) {
  auto [dir, base] = FileParse(path);
  dir = StripTrailingSlashes(dir);
  if (base.empty()) {
    std::tie(dir, base) = FileParse(dir);
    dir = StripTrailingSlashes(dir);
  }
  return std::string(dir);
}

}  // namespace taskfarm
