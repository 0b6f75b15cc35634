// Field constraints (min/max length, bounds, pattern), on decode and on
// validate() of values already built.
#include <gtest/gtest.h>

#include "router/helpers.hpp"
#include "router/models.hpp"

namespace {

using namespace rt;
using strata::router::Errors;
using strata::router::validate;

std::string signup(std::string_view username = R"("bob")", std::string_view code = R"("ABC-12")",
                   std::string_view age = "30", std::string_view ratio = "0.5", std::string_view scores = "[1]",
                   std::string_view flags = "{}", std::string_view nick = "") {
  std::string s = "{\"username\":" + std::string(username) + ",\"code\":" + std::string(code) +
                  ",\"age\":" + std::string(age) + ",\"ratio\":" + std::string(ratio) +
                  ",\"scores\":" + std::string(scores) + ",\"flags\":" + std::string(flags);
  if (!nick.empty()) s += ",\"nick\":" + std::string(nick);
  return s + "}";
}

TEST(RouterConstraints, ValidValuesPass) {
  Signup s{};
  EXPECT_EQ(errors_for(signup(), s), kNoErrors);
  EXPECT_EQ(s, (Signup{"bob", "ABC-12", 30, 0.5, {1}, std::nullopt, {}}));
  // Bounds are inclusive or exclusive as declared.
  EXPECT_EQ(errors_for<Signup>(signup(R"("abc")", R"("XYZ-0")", "18")), kNoErrors);
  EXPECT_EQ(errors_for<Signup>(signup(R"("abcdefgh")", R"("XYZ-9")", "130", "0.999", "[1,2,3]", R"({"a":true,"b":false})",
                                      R"("ok")")),
            kNoErrors);
}

TEST(RouterConstraints, EveryLowerBoundAtOnce) {
  EXPECT_EQ(errors_for<Signup>(signup(R"("ab")", R"("abc-1")", "17", "0", "[]", R"({"a":true,"b":false,"c":true})",
                                      R"("x")")),
            R"({"detail":[)"
            R"({"type":"string_too_short","loc":["body","username"],"msg":"String should have at least 3 characters","input":"ab","ctx":{"min_length":3}},)"
            R"({"type":"string_pattern_mismatch","loc":["body","code"],"msg":"String should match pattern '^[A-Z]{3}-\\d+$'","input":"abc-1","ctx":{"pattern":"^[A-Z]{3}-\\d+$"}},)"
            R"({"type":"greater_than_equal","loc":["body","age"],"msg":"Input should be greater than or equal to 18","input":17,"ctx":{"ge":18}},)"
            R"({"type":"greater_than","loc":["body","ratio"],"msg":"Input should be greater than 0","input":0,"ctx":{"gt":0}},)"
            R"({"type":"too_short","loc":["body","scores"],"msg":"List should have at least 1 item after validation, not 0","input":[],"ctx":{"field_type":"List","min_length":1,"actual_length":0}},)"
            R"({"type":"string_too_short","loc":["body","nick"],"msg":"String should have at least 2 characters","input":"x","ctx":{"min_length":2}},)"
            R"({"type":"too_long","loc":["body","flags"],"msg":"Dictionary should have at most 2 items after validation, not 3","input":{"a":true,"b":false,"c":true},"ctx":{"field_type":"Dictionary","max_length":2,"actual_length":3}}]})");
}

TEST(RouterConstraints, EveryUpperBound) {
  EXPECT_EQ(errors_for<Signup>(signup(R"("abcdefghi")", R"("ABC-1")", "131", "1", "[1, 2, 3, 4]")),
            R"({"detail":[)"
            R"({"type":"string_too_long","loc":["body","username"],"msg":"String should have at most 8 characters","input":"abcdefghi","ctx":{"max_length":8}},)"
            R"({"type":"less_than_equal","loc":["body","age"],"msg":"Input should be less than or equal to 130","input":131,"ctx":{"le":130}},)"
            R"({"type":"less_than","loc":["body","ratio"],"msg":"Input should be less than 1","input":1,"ctx":{"lt":1}},)"
            R"({"type":"too_long","loc":["body","scores"],"msg":"List should have at most 3 items after validation, not 4","input":[1,2,3,4],"ctx":{"field_type":"List","max_length":3,"actual_length":4}}]})");
}

TEST(RouterConstraints, LengthCountsCharactersNotBytes) {
  // "é" is 2 bytes, "日" 3: pydantic counts code points.
  EXPECT_EQ(errors_for<Signup>(signup("\"\xc3\xa9\xc3\xa9\xc3\xa9\"")), kNoErrors);
  EXPECT_EQ(errors_for<Signup>(signup("\"\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5"
                                      "\xe6\x97\xa5\xe6\x97\xa5\"")),
            kNoErrors);
  EXPECT_NE(errors_for<Signup>(signup("\"\xc3\xa9\xc3\xa9\"")).find("string_too_short"), std::string::npos);
}

TEST(RouterConstraints, SingularMessagesAndFloatInputs) {
  EXPECT_EQ(errors_for<Item>(R"({"name":"","price":-1.5,"quantity":-1,"tags":[]})"),
            R"({"detail":[)"
            R"({"type":"string_too_short","loc":["body","name"],"msg":"String should have at least 1 character","input":"","ctx":{"min_length":1}},)"
            R"({"type":"greater_than","loc":["body","price"],"msg":"Input should be greater than 0","input":-1.5,"ctx":{"gt":0}},)"
            R"({"type":"greater_than_equal","loc":["body","quantity"],"msg":"Input should be greater than or equal to 0","input":-1,"ctx":{"ge":0}}]})");
}

TEST(RouterConstraints, CheckedAfterLaxCoercion) {
  EXPECT_EQ(errors_for<Signup>(signup(R"("bob")", R"("ABC-1")", R"("17")")),
            R"({"detail":[{"type":"greater_than_equal","loc":["body","age"],"msg":"Input should be greater than or equal to 18","input":"17","ctx":{"ge":18}}]})");
}

TEST(RouterConstraints, PatternIsSearchedLikePydantic) {
  // The pattern is anchored in the model; unanchored text around a match fails.
  EXPECT_NE(errors_for<Signup>(signup(R"("bob")", R"("xABC-1")")).find("string_pattern_mismatch"), std::string::npos);
  EXPECT_NE(errors_for<Signup>(signup(R"("bob")", R"("ABC-1x")")).find("string_pattern_mismatch"), std::string::npos);
}

TEST(RouterConstraints, OptionalConstrainedFieldMayBeNull) {
  EXPECT_EQ(errors_for<Signup>(signup(R"("bob")", R"("ABC-1")", "30", "0.5", "[1]", "{}", "null")), kNoErrors);
}

TEST(RouterValidate, ValidValueAddsNothing) {
  Errors errors;
  EXPECT_TRUE(validate(Signup{"bob", "ABC-1", 30, 0.5, {1}, "nick", {}}, errors));
  EXPECT_TRUE(errors.empty());
}

TEST(RouterValidate, ReportsUnderResponseWithEncodedInputs) {
  Errors errors;
  const Signup bad{"ab", "nope", 200, 1.0, {}, "x", {{"a", true}, {"b", true}, {"c", true}}};
  EXPECT_FALSE(validate(bad, errors));
  std::string body;
  errors.to_json(body);
  EXPECT_EQ(body,
            R"({"detail":[)"
            R"({"type":"string_too_short","loc":["response","username"],"msg":"String should have at least 3 characters","input":"ab","ctx":{"min_length":3}},)"
            R"({"type":"string_pattern_mismatch","loc":["response","code"],"msg":"String should match pattern '^[A-Z]{3}-\\d+$'","input":"nope","ctx":{"pattern":"^[A-Z]{3}-\\d+$"}},)"
            R"({"type":"less_than_equal","loc":["response","age"],"msg":"Input should be less than or equal to 130","input":200,"ctx":{"le":130}},)"
            R"({"type":"less_than","loc":["response","ratio"],"msg":"Input should be less than 1","input":1.0,"ctx":{"lt":1}},)"
            R"({"type":"too_short","loc":["response","scores"],"msg":"List should have at least 1 item after validation, not 0","input":[],"ctx":{"field_type":"List","min_length":1,"actual_length":0}},)"
            R"({"type":"string_too_short","loc":["response","nick"],"msg":"String should have at least 2 characters","input":"x","ctx":{"min_length":2}},)"
            R"({"type":"too_long","loc":["response","flags"],"msg":"Dictionary should have at most 2 items after validation, not 3","input":{"a":true,"b":true,"c":true},"ctx":{"field_type":"Dictionary","max_length":2,"actual_length":3}}]})");
}

TEST(RouterValidate, NestedLocationsAndCustomPrefix) {
  Order o{1, {{"a", 1.0, 1, {}}, {"b", -1.0, 2, {}}}, std::nullopt, {}, Color::red, true, std::nullopt};
  Errors errors;
  EXPECT_FALSE(validate(o, errors, {"body", size_t{0}}));
  ASSERT_EQ(errors.size(), 1u);
  std::string item;
  Errors::append(item, errors.items()[0]);
  EXPECT_EQ(item,
            R"({"type":"greater_than","loc":["body",0,"items",1,"price"],"msg":"Input should be greater than 0","input":-1.0,"ctx":{"gt":0}})");
}

TEST(RouterValidate, EnumValueWithoutAName) {
  Scalars s{};
  s.c = static_cast<Color>(7);
  Errors errors;
  EXPECT_FALSE(validate(s, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.items()[0].type, "enum");
  EXPECT_EQ(errors.items()[0].input, "7");
  EXPECT_EQ(encoded(s.c), "7");
}

}  // namespace

// Bounds on floating-point fields, as the JSON fuzzer found them wanting.
namespace rt2 {
struct Measure {
  float weight;     // lt 1000
  double discount;  // ge 0, le 1
};
BOOST_DESCRIBE_STRUCT(Measure, (), (weight, discount))
}  // namespace rt2

template <>
struct strata::router::model_traits<rt2::Measure> {
  static constexpr auto fields = std::tuple{
      field(&rt2::Measure::weight, {.lt = 1000}),
      field(&rt2::Measure::discount, {.ge = 0, .le = 1}),
  };
};

namespace {

TEST(RouterConstraints, AFloatFieldIsBoundedAsStoredNotAsSent) {
  // 999.99999999 is below 1000 as a double, but a float holds 1000.0f.
  rt2::Measure m{};
  EXPECT_NE(errors_for(R"({"weight":999.99999999,"discount":0.5})", m).find(R"("type":"less_than")"),
            std::string::npos);
  EXPECT_EQ(errors_for(R"({"weight":999.9,"discount":0.5})", m), kNoErrors);
  EXPECT_LT(m.weight, 1000.0f);
  // Beyond float's range: infinity, which the bound refuses (no undefined cast).
  EXPECT_NE(errors_for(R"({"weight":1e300,"discount":0.5})", m).find(R"("type":"less_than")"), std::string::npos);
}

TEST(RouterConstraints, NanFailsInclusiveBoundsToo) {
  rt2::Measure m{};
  const std::string e = errors_for(R"({"weight":1,"discount":"nan"})", m);
  EXPECT_NE(e.find(R"("type":"less_than_equal")"), std::string::npos) << e;
}

}  // namespace
