#pragma once
// GNU parallel's replacement strings, with parallel's meaning (checked against parallel in
// tests/exec_test.cc):
//   {}    the input                        dir/a.tar.gz
//   {.}   the input without its extension  dir/a.tar
//   {/}   its basename                     a.tar.gz
//   {//}  its dirname (Perl's dirname)     dir
//   {/.}  basename without extension       a.tar
//   {#}   the input's number, from 1
//   {%}   the slot (the worker's number)
// Inputs are bytes: nothing here assumes UTF-8.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace taskfarm {

struct ReplacementValues {
  std::string_view input;
  uint64_t seq = 0;
  uint64_t slot = 0;
};

/// True when `word` holds at least one replacement string.
bool HasReplacementString(std::string_view word);

/// `word` with each replacement string replaced by its value; with `shell_quote`, each
/// value is quoted for /bin/sh (as parallel does when it hands a command to a shell).
std::string ExpandReplacements(std::string_view word, const ReplacementValues& values,
                               bool shell_quote = false);

/// `text` as one /bin/sh word: 'single quoted', a ' inside as '\''.
std::string ShellQuote(std::string_view text);

std::string WithoutExtension(std::string_view path);  // {.}
std::string Basename(std::string_view path);          // {/}
std::string Dirname(std::string_view path);           // {//}

}  // namespace taskfarm
