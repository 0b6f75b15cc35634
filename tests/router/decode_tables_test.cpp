// decode() walks type tables (router/model_detail.hpp) in the library: the
// cases where a table does something a typed read did inline. Every integer
// width, float and long double, std::vector<bool> (its elements have no
// address), maps of bool, a model wider than 64 fields (the walker's "seen"
// set moves to the heap), and keys in any order or repeated.
#include <gtest/gtest.h>

#include <limits>

#include "router/helpers.hpp"
#include "router/models.hpp"

namespace tables {

struct Widths {
  int8_t i8;
  uint8_t u8;
  int16_t i16;
  uint16_t u16;
  int32_t i32;
  uint32_t u32;
  int64_t i64;
  bool operator==(const Widths&) const = default;
};
BOOST_DESCRIBE_STRUCT(Widths, (), (i8, u8, i16, u16, i32, u32, i64))

struct Floats {
  float f;
  double d;
  long double ld;
  bool operator==(const Floats&) const = default;
};
BOOST_DESCRIBE_STRUCT(Floats, (), (f, d, ld))

struct Flags {
  std::vector<bool> bits;
  std::optional<std::vector<bool>> more;
  std::map<std::string, bool> named;
  bool operator==(const Flags&) const = default;
};
BOOST_DESCRIBE_STRUCT(Flags, (), (bits, more, named))

// 40 + 30 = 70 described fields, through a base class.
#define STRATA_TEN(p) int p##0 = 0, p##1 = 0, p##2 = 0, p##3 = 0, p##4 = 0, p##5 = 0, p##6 = 0, p##7 = 0, p##8 = 0, p##9 = 0;
#define STRATA_TEN_NAMES(p) p##0, p##1, p##2, p##3, p##4, p##5, p##6, p##7, p##8, p##9
struct WideBase {
  STRATA_TEN(a)
  STRATA_TEN(b)
  STRATA_TEN(c)
  STRATA_TEN(d)
};
BOOST_DESCRIBE_STRUCT(WideBase, (), (STRATA_TEN_NAMES(a), STRATA_TEN_NAMES(b), STRATA_TEN_NAMES(c), STRATA_TEN_NAMES(d)))
struct Wide : WideBase {
  STRATA_TEN(e)
  STRATA_TEN(f)
  STRATA_TEN(g)
};
BOOST_DESCRIBE_STRUCT(Wide, (WideBase), (STRATA_TEN_NAMES(e), STRATA_TEN_NAMES(f), STRATA_TEN_NAMES(g)))
#undef STRATA_TEN
#undef STRATA_TEN_NAMES

}  // namespace tables

namespace {

using namespace tables;
using strata::router::decode;
using strata::router::Errors;

TEST(RouterDecodeTables, EveryIntegerWidthTakesItsWholeRange) {
  Widths w{};
  EXPECT_EQ(errors_for(R"({"i8":-128,"u8":255,"i16":-32768,"u16":65535,"i32":-2147483648,)"
                       R"("u32":4294967295,"i64":-9223372036854775808})",
                       w),
            kNoErrors);
  EXPECT_EQ(w, (Widths{-128, 255, -32768, 65535, std::numeric_limits<int32_t>::min(), 4294967295u,
                       std::numeric_limits<int64_t>::min()}));
  EXPECT_EQ(errors_for(R"({"i8":127,"u8":0,"i16":32767,"u16":0,"i32":2147483647,"u32":0,"i64":9223372036854775807})", w),
            kNoErrors);
  EXPECT_EQ(w, (Widths{127, 0, 32767, 0, std::numeric_limits<int32_t>::max(), 0,
                       std::numeric_limits<int64_t>::max()}));
}

TEST(RouterDecodeTables, OneBeyondANarrowTypeIsARangeErrorAndLeavesItAlone) {
  Widths w{1, 2, 3, 4, 5, 6, 7};
  const std::string out = errors_for(R"({"i8":-129,"u8":256,"i16":32768,"u16":-1,"i32":5,"u32":6,"i64":7})", w);
  EXPECT_NE(out.find(R"("loc":["body","i8"],"msg":"Input should be greater than or equal to -128")"), std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("loc":["body","u8"],"msg":"Input should be less than or equal to 255")"), std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("loc":["body","i16"],"msg":"Input should be less than or equal to 32767")"), std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("loc":["body","u16"],"msg":"Input should be greater than or equal to 0")"), std::string::npos)
      << out;
  EXPECT_EQ(w, (Widths{1, 2, 3, 4, 5, 6, 7}));
}

TEST(RouterDecodeTables, FloatDoubleAndLongDouble) {
  Floats f{};
  EXPECT_EQ(errors_for(R"({"f":0.1,"d":0.1,"ld":2.5})", f), kNoErrors);
  EXPECT_EQ(f.f, 0.1f);
  EXPECT_EQ(f.d, 0.1);
  EXPECT_EQ(f.ld, 2.5L);
}

TEST(RouterDecodeTables, VectorOfBoolAndMapOfBool) {
  Flags f{{true}, std::vector<bool>{true}, {{"stale", true}}};
  EXPECT_EQ(errors_for(R"({"bits":[true,false,"yes",0],"more":[false],"named":{"a":true,"b":"off"}})", f),
            kNoErrors);
  EXPECT_EQ(f, (Flags{{true, false, true, false}, std::vector<bool>{false}, {{"a", true}, {"b", false}}}));
  const std::string out = errors_for(R"({"bits":[true,"maybe"],"more":null,"named":{}})", f);
  EXPECT_NE(out.find(R"("type":"bool_parsing","loc":["body","bits",1])"), std::string::npos) << out;
}

TEST(RouterDecodeTables, AModelOfSeventyFieldsReportsEachMissingOneInOrder) {
  Wide w{};
  std::string body = "{";
  for (char p : std::string("abcdefg"))
    for (int i = 0; i < 10; ++i) {
      if (p == 'c' && i == 5) continue;  // c5 and g9 are missing
      if (p == 'g' && i == 9) continue;
      body += std::string(body.size() > 1 ? "," : "") + '"' + p + std::to_string(i) + "\":" + std::to_string(i + 1);
    }
  body += "}";
  const std::string out = errors_for(body, w);
  const size_t c5 = out.find(R"("loc":["body","c5"])");
  const size_t g9 = out.find(R"("loc":["body","g9"])");
  ASSERT_NE(c5, std::string::npos) << out;
  ASSERT_NE(g9, std::string::npos) << out;
  EXPECT_LT(c5, g9);
  EXPECT_EQ(out.find(R"("loc":["body","a0"])"), std::string::npos) << out;
  EXPECT_EQ(w.a0, 1);
  EXPECT_EQ(w.d9, 10);
  EXPECT_EQ(w.g8, 9);

  body.insert(body.size() - 1, R"(,"c5":6,"g9":10)");
  EXPECT_EQ(errors_for(body, w), kNoErrors);
  EXPECT_EQ(w.c5, 6);
  EXPECT_EQ(w.g9, 10);
}

TEST(RouterDecodeTables, KeysInAnyOrderOrRepeatedDecodeTheSame) {
  rt::User in_order{}, reversed{}, repeated{};
  EXPECT_EQ(errors_for(R"({"id":1,"name":"a","email":"e"})", in_order), kNoErrors);
  EXPECT_EQ(errors_for(R"({"email":"e","name":"a","id":1})", reversed), kNoErrors);
  EXPECT_EQ(errors_for(R"({"name":"x","id":9,"email":"e","name":"a","id":1})", repeated), kNoErrors);
  EXPECT_EQ(in_order, (rt::User{1, "a", "e"}));
  EXPECT_EQ(reversed, in_order);
  EXPECT_EQ(repeated, in_order);
}

}  // namespace
