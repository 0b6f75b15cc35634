#include "common/json.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

namespace {

// Writes `s` as a JSON string, parses it back with simdjson, returns the result.
std::string round_trip(std::string_view s) {
  std::string json;
  strata::json::append_string(json, s);
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  auto doc = parser.iterate(padded);
  std::string_view back;
  EXPECT_EQ(doc.get_string().get(back), simdjson::SUCCESS) << json;
  return std::string(back);
}

TEST(Json, PlainStringIsQuotedOnly) {
  std::string out;
  strata::json::append_string(out, "user@email.com");
  EXPECT_EQ(out, "\"user@email.com\"");
}

TEST(Json, EscapesQuoteBackslashAndControls) {
  std::string out;
  strata::json::append_string(out, std::string_view("a\"b\\c\n\r\t\b\f\x01\x1f", 12));
  EXPECT_EQ(out, R"("a\"b\\c\n\r\t\b\f\u0001\u001f")");
}

TEST(Json, NulByteIsEscaped) {
  std::string out;
  strata::json::append_string(out, std::string_view("a\0b", 3));
  EXPECT_EQ(out, R"("a\u0000b")");
}

TEST(Json, RoundTripsEveryControlCharacterAndUtf8) {
  std::string all;
  for (int c = 0; c < 0x20; ++c) all.push_back(static_cast<char>(c));
  all += "\"\\/ plain é 日本 😀 \x7f";
  EXPECT_EQ(round_trip(all), all);
}

TEST(Json, RoundTripsEmptyString) { EXPECT_EQ(round_trip(""), ""); }

TEST(Json, AppendIntHandlesExtremes) {
  std::string out;
  strata::json::append_int(out, 0);
  out.push_back(' ');
  strata::json::append_int(out, -42);
  out.push_back(' ');
  strata::json::append_int(out, INT64_MIN);
  EXPECT_EQ(out, "0 -42 -9223372036854775808");
}

}  // namespace
