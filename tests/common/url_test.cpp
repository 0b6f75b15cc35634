#include "common/url.hpp"

#include <gtest/gtest.h>

namespace {

std::string decode(std::string_view s, bool plus = false) {
  std::string out;
  strata::url::percent_decode(s, out, plus);
  return out;
}

TEST(Url, PercentDecodesHexInEitherCase) {
  EXPECT_EQ(decode("J%C3%BCrgen"), "Jürgen");
  EXPECT_EQ(decode("%2f%2F"), "//");
}

TEST(Url, PlusIsSpaceOnlyInQueries) {
  EXPECT_EQ(decode("a+b", true), "a b");
  EXPECT_EQ(decode("a+b", false), "a+b");
}

TEST(Url, MalformedEscapesStayLiteral) {
  EXPECT_EQ(decode("100%"), "100%");
  EXPECT_EQ(decode("%4"), "%4");
  EXPECT_EQ(decode("%zz%41"), "%zzA");
}

TEST(Url, QueryValueFindsKeysAndTellsEmptyFromAbsent) {
  bool found = false;
  EXPECT_EQ(strata::url::query_value("a=1&name=X&b=2", "name", &found), "X");
  EXPECT_TRUE(found);
  EXPECT_EQ(strata::url::query_value("name=&b=2", "name", &found), "");
  EXPECT_TRUE(found);
  EXPECT_EQ(strata::url::query_value("names=1&b", "name", &found), "");
  EXPECT_FALSE(found);
  EXPECT_EQ(strata::url::query_value("", "name", &found), "");
  EXPECT_FALSE(found);
  EXPECT_EQ(strata::url::query_value("name=first&name=second", "name"), "first");
}

}  // namespace
