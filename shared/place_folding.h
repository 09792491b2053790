#pragma once
// FoldPlaceName: the form place names are compared in, so that "Wrocław", "WROCLAW" and
// "wroclaw" meet: lower case, diacritics and special letters transliterated to ASCII (ICU's
// Latin-ASCII), punctuation to spaces, spaces collapsed. Thread-safe.

#include <string>
#include <string_view>

namespace taskfarm {

std::string FoldPlaceName(std::string_view utf8);

}  // namespace taskfarm
