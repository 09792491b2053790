#pragma once
// SearchQuery: what people type into a search box, as an FTS5 query of the index.
//
//   python pool        both words (AND)            "exit status"   the phrase
//   thread*            words beginning with thread  -debian         without the word
//   tcp OR udp         either                       title:install   in the title
//   3.11  c++  don't  e-mail   as people mean them: each word is searched as the index cut
//                              it into tokens ("3.11" is the phrase 3 11, as the text was)
//
// OR joins the terms beside it ("a OR b c" is (a OR b) AND c). Words are matched stemmed
// (English, Porter) and folded (case, diacritics) by the index's tokenizer, which tokenizes
// the query the same way. FTS5's own syntax is for --raw.

#include <string>
#include <variant>

namespace taskfarm {

struct FtsQuery {
  std::string text;     // the FTS5 MATCH expression
  std::size_t terms = 0;  // words and phrases in it
};

/// Why a query cannot be searched, said for the user ("the quote after 'exit' is never closed").
struct QueryError {
  std::string message;
};

std::variant<FtsQuery, QueryError> ParseSearchQuery(const std::string& typed);

}  // namespace taskfarm
