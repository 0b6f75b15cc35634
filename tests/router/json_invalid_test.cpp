// Malformed JSON: one json_invalid error, at the byte Python's json module
// would name, with its message; and agreement with a full parser on which
// documents are malformed at all.
#include <gtest/gtest.h>

#include <simdjson.h>

#include <set>

#include "router/helpers.hpp"
#include "router/models.hpp"

namespace {

using namespace rt;
using strata::router::Errors;

struct Invalid {
  size_t pos;
  std::string error;
};

// The json_invalid error of decoding `json` as T, if that is what it got.
template <class T = User>
std::optional<Invalid> invalid(std::string_view json) {
  T out{};
  Errors errors;
  strata::router::decode(json, out, errors);
  if (errors.size() != 1 || errors.items()[0].type != "json_invalid") return std::nullopt;
  const auto& e = errors.items()[0];
  EXPECT_EQ(e.msg, "JSON decode error");
  EXPECT_EQ(e.input, "{}");
  EXPECT_EQ(e.loc.size(), 2u);
  simdjson::dom::parser parser;
  std::string_view message;
  EXPECT_EQ(parser.parse(e.ctx)["error"].get(message), simdjson::SUCCESS) << e.ctx;
  return Invalid{std::get<size_t>(e.loc.at(1)), std::string(message)};
}

void expect_invalid(const std::string& json, size_t at, std::string_view message) {
  SCOPED_TRACE(json);
  const auto got = invalid(json);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->pos, at);
  EXPECT_EQ(got->error, message);
}

TEST(RouterJsonInvalid, WholeBodyShape) {
  EXPECT_EQ(errors_for<User>(R"({"id": 1,})"),
            R"({"detail":[{"type":"json_invalid","loc":["body",9],"msg":"JSON decode error","input":{},)"
            R"("ctx":{"error":"Expecting property name enclosed in double quotes"}}]})");
}

TEST(RouterJsonInvalid, PositionsAndMessagesAsPythonJson) {
  expect_invalid(R"({"id" 1})", 6, "Expecting ':' delimiter");
  expect_invalid(R"({"id": 1 "name": "x"})", 9, "Expecting ',' delimiter");
  expect_invalid(R"({"id": tru})", 7, "Expecting value");
  expect_invalid(R"({"id": 1} x)", 10, "Extra data");
  expect_invalid(R"({"name": "abc)", 9, "Unterminated string starting at");
  expect_invalid("  ", 2, "Expecting value");
  expect_invalid("{", 1, "Expecting property name enclosed in double quotes");
  expect_invalid(R"({"id": 01})", 8, "Expecting ',' delimiter");
  expect_invalid(R"({"id": -})", 7, "Expecting value");
  expect_invalid(R"({"id": 1.})", 8, "Expecting ',' delimiter");
  expect_invalid(R"({"name": "x\qy"})", 11, "Invalid \\escape");
  expect_invalid(R"({"name": "\u12G4"})", 10, "Invalid \\uXXXX escape");
  expect_invalid("{\"name\": \"a\tb\"}", 11, "Invalid control character at");
  expect_invalid("{\"name\": \"\xff\"}", 10, "Invalid UTF-8");
  expect_invalid("{\"name\": \"\xed\xa0\x80\"}", 10, "Invalid UTF-8");  // a surrogate encoded in UTF-8
  expect_invalid("{\"i\x01d\": 1}", 3, "Invalid control character at");  // in a key, read without unescaping
  expect_invalid("{\"i\xc3" "d\": 1}", 3, "Invalid UTF-8");
  expect_invalid("]", 0, "Expecting value");
  expect_invalid("1 2", 2, "Extra data");
  expect_invalid("[1, 2", 5, "Expecting ',' delimiter");
}

TEST(RouterJsonInvalid, FoundInsideIgnoredFields) {
  // simdjson's on-demand API skips unknown fields without parsing them;
  // strata walks them, so a malformed value anywhere is caught.
  const std::string json = R"({"id":1,"name":"a","email":"b","junk":[1,2,{"k":nul}]})";
  expect_invalid(json, json.find("nul"), "Expecting value");
  const std::string escape = R"({"id":1,"name":"a","email":"b","junk":"\x"})";
  expect_invalid(escape, escape.find("\\x"), "Invalid \\escape");
  const std::string trailing = R"({"id":1,"name":"a","email":"b"} {})";
  expect_invalid(trailing, trailing.rfind('{'), "Extra data");
}

TEST(RouterJsonInvalid, ReplacesValidationErrorsFoundBeforeIt) {
  EXPECT_EQ(errors_for<User>(R"({"id": "x", "name": 5, "email": })"),
            R"({"detail":[{"type":"json_invalid","loc":["body",32],"msg":"JSON decode error","input":{},)"
            R"("ctx":{"error":"Expecting value"}}]})");
}

TEST(RouterJsonInvalid, LoneSurrogateEscapes) {
  expect_invalid(R"({"name": "\ud800"})", 10, "Invalid \\uXXXX escape");
  expect_invalid(R"({"name": "\udc00"})", 10, "Invalid \\uXXXX escape");
}

TEST(RouterJsonInvalid, NestingDepthIsLimited) {
  const int limit = strata::router::kMaxDepth;
  auto nested = [](int levels) {
    return R"({"id":1,"name":"a","email":"b","junk":)" + std::string(static_cast<size_t>(levels), '[') +
           std::string(static_cast<size_t>(levels), ']') + "}";
  };
  EXPECT_FALSE(invalid(nested(limit - 1)));  // the body object is one level
  const std::string deep = nested(limit);
  expect_invalid(deep, deep.find('[') + static_cast<size_t>(limit) - 1, "Maximum nesting depth exceeded");
  EXPECT_TRUE(invalid(nested(100000)));  // no stack overflow either
}

// Every single-byte replacement, deletion and truncation of a few valid
// bodies: decode() reports json_invalid exactly when simdjson's DOM parser,
// which validates the whole document, rejects it. The message must come from
// strata's scanner (one of Python's), never from the fallback.
TEST(RouterJsonInvalid, AgreesWithAFullParserOnMutations) {
  const std::vector<std::string> seeds = {
      R"({"id": 1, "name": "user", "email": "user@email.com"})",
      R"({"id":7,"items":[{"name":"a\"b","price":1.5e2,"quantity":-1,"tags":["x","\u00e9"]}],)"
      R"("ship_to":{"street":"s","city":"c","zip":null},"counters":{"k":0},"color":"red","paid":true,)"
      R"("extra":[true,false,null,{"n":-0.5E-3}]})",
  };
  const std::set<std::string> messages = {"Expecting value",
                                          "Expecting property name enclosed in double quotes",
                                          "Expecting ':' delimiter",
                                          "Expecting ',' delimiter",
                                          "Extra data",
                                          "Unterminated string starting at",
                                          "Invalid control character at",
                                          "Invalid \\escape",
                                          "Invalid \\uXXXX escape",
                                          "Invalid UTF-8"};
  const std::string replacements = std::string("{}[],:\"\\ a1-.eE+0nt/u") + '\x01' + '\xff' + '\xc3';
  simdjson::dom::parser dom;
  size_t checked = 0, malformed = 0;
  auto check = [&](const std::string& json) {
    if (json.empty()) return;
    const bool dom_rejects = dom.parse(json).error() != simdjson::SUCCESS;
    Order o{};
    Errors errors;
    strata::router::decode(json, o, errors);
    const bool strata_rejects = errors.size() == 1 && errors.items()[0].type == "json_invalid";
    ++checked;
    malformed += dom_rejects;
    EXPECT_EQ(strata_rejects, dom_rejects) << json;
    if (strata_rejects) {
      const auto got = invalid<Order>(json);
      ASSERT_TRUE(got);
      EXPECT_TRUE(messages.count(got->error)) << got->error << " for " << json;
      EXPECT_LE(got->pos, json.size()) << json;
    }
  };
  for (const auto& seed : seeds) {
    for (size_t i = 0; i < seed.size(); ++i) {
      for (char c : replacements) {
        if (seed[i] == c) continue;
        std::string m = seed;
        m[i] = c;
        check(m);
      }
      check(seed.substr(0, i) + seed.substr(i + 1));
      check(seed.substr(0, i));
    }
  }
  EXPECT_GT(malformed, checked / 2);  // the mutations mostly break the JSON
}

}  // namespace
