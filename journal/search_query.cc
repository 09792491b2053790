#include "journal/search_query.h"

#include <vector>

namespace taskfarm {
namespace {

struct Term {
  std::string fts;      // the term in FTS5 syntax
  bool excluded = false;
  bool or_before = false;  // "OR" stood between it and the term before
};

// An FTS5 string: the text in double quotes, a quote inside doubled. The tokenizer cuts it
// as it cut the documents, so punctuation inside a word matches as it was indexed.
std::string Quoted(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A word's term: prefix* keeps its star outside the quotes, title:word its column.
std::string WordTerm(std::string word) {
  std::string column;
  for (const char* name : {"title:", "body:"}) {
    const std::string prefix = name;
    if (word.size() > prefix.size() && word.rfind(prefix, 0) == 0) {
      column = prefix.substr(0, prefix.size() - 1) + " : ";
      word.erase(0, prefix.size());
    }
  }
  const bool prefix_search = word.size() > 1 && word.back() == '*';
  if (prefix_search) word.pop_back();
  return column + Quoted(word) + (prefix_search ? " *" : "");
}

}  // namespace

std::variant<FtsQuery, QueryError> ParseSearchQuery(const std::string& typed) {
  std::vector<Term> terms;
  bool pending_or = false;
  std::size_t i = 0;
  while (i < typed.size()) {
    if (IsSpace(typed[i])) {
      ++i;
      continue;
    }
    Term term;
    if (typed[i] == '-' && i + 1 < typed.size() && !IsSpace(typed[i + 1])) {
      term.excluded = true;
      ++i;
    }
    if (typed[i] == '"') {
      const std::size_t close = typed.find('"', i + 1);
      if (close == std::string::npos) {
        return QueryError{"the quote before '" + typed.substr(i + 1, 20) + "' is never closed"};
      }
      const std::string phrase = typed.substr(i + 1, close - i - 1);
      i = close + 1;
      if (phrase.find_first_not_of(" \t") == std::string::npos) continue;
      term.fts = Quoted(phrase);
      if (i < typed.size() && typed[i] == '*') {
        term.fts += " *";
        ++i;
      }
    } else {
      std::size_t end = i;
      while (end < typed.size() && !IsSpace(typed[end])) ++end;
      const std::string word = typed.substr(i, end - i);
      i = end;
      if (word == "OR" && !term.excluded) {
        if (terms.empty()) return QueryError{"OR needs a word before it"};
        pending_or = true;
        continue;
      }
      if (word == "*") continue;
      term.fts = WordTerm(word);
    }
    term.or_before = pending_or;
    if (pending_or && (term.excluded || terms.back().excluded)) {
      return QueryError{"OR joins words to look for, not -exclusions"};
    }
    pending_or = false;
    terms.push_back(std::move(term));
  }
  if (pending_or) return QueryError{"OR needs a word after it"};

  // Runs of terms joined by OR are one group; the groups must all match; the excluded terms
  // must not.
  std::vector<std::string> groups;
  std::vector<std::string> excluded;
  for (const Term& term : terms) {
    if (term.excluded) {
      excluded.push_back(term.fts);
    } else if (term.or_before) {
      groups.back() += " OR " + term.fts;
    } else {
      groups.push_back(term.fts);
    }
  }
  if (groups.empty()) {
    return QueryError{excluded.empty() ? "nothing to look for"
                                       : "a query needs a word to look for, not only -exclusions"};
  }
  FtsQuery query;
  query.terms = terms.size();
  for (const std::string& group : groups) {
    query.text += (query.text.empty() ? "(" : " AND (") + group + ")";
  }
  for (const std::string& term : excluded) query.text += " NOT " + term;
  return query;
}

}  // namespace taskfarm
