#include "journal/search_query.h"

#include <string>

#include <gtest/gtest.h>

namespace taskfarm {
namespace {

std::string Fts(const std::string& typed) {
  auto parsed = ParseSearchQuery(typed);
  if (auto* error = std::get_if<QueryError>(&parsed)) return "error: " + error->message;
  return std::get<FtsQuery>(parsed).text;
}

TEST(SearchQuery, WordsMustAllMatchAndEachIsQuoted) {
  EXPECT_EQ(Fts("python pool"), R"(("python") AND ("pool"))");
  EXPECT_EQ(Fts("  thread  "), R"(("thread"))");
}

TEST(SearchQuery, PunctuationInAWordIsSearchedAsTheWordWasIndexed) {
  EXPECT_EQ(Fts("3.11 c++ don't e-mail"), R"(("3.11") AND ("c++") AND ("don't") AND ("e-mail"))");
  EXPECT_EQ(Fts(R"(say"what)"), R"(("say""what"))") << "a quote inside a word is doubled";
}

TEST(SearchQuery, PhrasesPrefixesOrAndExclusion) {
  EXPECT_EQ(Fts(R"("exit status" signal*)"), R"(("exit status") AND ("signal" *))");
  EXPECT_EQ(Fts("tcp OR udp socket"), R"(("tcp" OR "udp") AND ("socket"))");
  EXPECT_EQ(Fts("python -debian -\"read me\""), R"(("python") NOT "debian" NOT "read me")");
  EXPECT_EQ(Fts("title:install"), R"((title : "install"))");
  EXPECT_EQ(Fts("or and not"), R"(("or") AND ("and") AND ("not"))")
      << "lower-case or, and, not are words; FTS5's operators are not passed through";
  EXPECT_EQ(Fts("NEAR AND"), R"(("NEAR") AND ("AND"))");
}

TEST(SearchQuery, WhatCannotBeSearchedIsSaid) {
  EXPECT_EQ(Fts(R"("exit status)"), "error: the quote before 'exit status' is never closed");
  EXPECT_EQ(Fts("-debian"), "error: a query needs a word to look for, not only -exclusions");
  EXPECT_EQ(Fts("OR python"), "error: OR needs a word before it");
  EXPECT_EQ(Fts("python OR"), "error: OR needs a word after it");
  EXPECT_EQ(Fts(""), "error: nothing to look for");
}

}  // namespace
}  // namespace taskfarm
