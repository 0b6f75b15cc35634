// Field validators, model validators and aliases (pydantic's
// @field_validator, @model_validator(mode="after") and Field(alias=...)).
#include <gtest/gtest.h>

#include <atomic>

#include "router/helpers.hpp"

namespace rt_valid {

using namespace strata::router;
using rt::encoded;
using rt::errors_for;
using rt::kNoErrors;

struct Stay {
  std::string guest;  // JSON "guestName"; not "nobody"
  Date start;
  Date end;           // after start (model validator)
  int32_t nights;     // ge 1; even (field validator)
  std::optional<std::string> note;
  bool operator==(const Stay&) const = default;
};
BOOST_DESCRIBE_STRUCT(Stay, (), (guest, start, end, nights, note))

struct Trip {
  std::string name;
  Stay stay;
  std::vector<Stay> more;
};
BOOST_DESCRIBE_STRUCT(Trip, (), (name, stay, more))

struct Strictly {
  std::string user_id;  // JSON "userId"
};
BOOST_DESCRIBE_STRUCT(Strictly, (), (user_id))

std::atomic<int> guest_checks{0};

std::optional<std::string> real_guest(const std::string& g) {
  ++guest_checks;
  if (g == "nobody") return "a guest needs a name";
  return std::nullopt;
}

std::optional<std::string> even(const int32_t& n) {
  if (n % 2) return "nights come in pairs";
  return std::nullopt;
}

std::optional<std::string> ends_after_start(const Stay& s) {
  if (s.end <= s.start) return "end must be after start";
  return std::nullopt;
}

std::optional<std::string> short_stay(const Stay& s) {
  if (s.nights > 14) return "at most two weeks";
  return std::nullopt;
}

}  // namespace rt_valid

template <>
struct strata::router::model_traits<rt_valid::Stay> {
  static constexpr auto fields = std::tuple{
      field(&rt_valid::Stay::guest, {.min_length = 2}, {.alias = "guestName", .validator = rt_valid::real_guest}),
      field(&rt_valid::Stay::nights, {.ge = 1}, {.validator = rt_valid::even}),
  };
  static constexpr ModelValidator<rt_valid::Stay> model_validators[] = {rt_valid::ends_after_start,
                                                                        rt_valid::short_stay};
};

template <>
struct strata::router::model_traits<rt_valid::Strictly> {
  static constexpr bool forbid_extra = true;
  static constexpr auto fields = std::tuple{field(&rt_valid::Strictly::user_id, {}, {.alias = "userId"})};
};

namespace rt_valid {

const char* const kStay = R"({"guestName":"ann","start":"2024-01-01","end":"2024-01-03","nights":2})";

TEST(RouterAliases, DecodeEncodeAndErrorsUseTheAlias) {
  Stay s{};
  EXPECT_EQ(errors_for(kStay, s), kNoErrors);
  EXPECT_EQ(s.guest, "ann");
  EXPECT_EQ(encoded(s), R"({"guestName":"ann","start":"2024-01-01","end":"2024-01-03","nights":2,"note":null})");
  // The C++ name is not the JSON name: it is an unknown key, and the alias is missing.
  EXPECT_EQ(errors_for<Stay>(R"({"guest":"ann","start":"2024-01-01","end":"2024-01-03","nights":2})"),
            R"({"detail":[{"type":"missing","loc":["body","guestName"],"msg":"Field required",)"
            R"("input":{"guest":"ann","start":"2024-01-01","end":"2024-01-03","nights":2}}]})");
  EXPECT_EQ(errors_for<Stay>(R"({"guestName":"a","start":"2024-01-01","end":"2024-01-03","nights":2})"),
            R"({"detail":[{"type":"string_too_short","loc":["body","guestName"],"msg":"String should have at )"
            R"(least 2 characters","input":"a","ctx":{"min_length":2}}]})");
}

TEST(RouterAliases, ForbiddingExtraRefusesTheMembersOwnName) {
  EXPECT_EQ(errors_for<Strictly>(R"({"userId":"u1"})"), kNoErrors);
  EXPECT_EQ(errors_for<Strictly>(R"({"user_id":"u1"})"),
            R"({"detail":[{"type":"missing","loc":["body","userId"],"msg":"Field required","input":{"user_id":"u1"}},)"
            R"({"type":"extra_forbidden","loc":["body","user_id"],"msg":"Extra inputs are not permitted",)"
            R"("input":"u1"}]})");
}

TEST(RouterAliases, SchemaNamesAndTitlesTheAlias) {
  std::string s;
  schema<Strictly>(s);
  EXPECT_EQ(s, R"({"title":"Strictly","type":"object","properties":{"userId":{"type":"string","title":"Userid"}},)"
               R"("required":["userId"],"additionalProperties":false})");
}

TEST(RouterValidators, AFieldValidatorsMessageIsAValueErrorAtTheField) {
  EXPECT_EQ(errors_for<Stay>(R"({"guestName":"nobody","start":"2024-01-01","end":"2024-01-03","nights":3})"),
            R"({"detail":[{"type":"value_error","loc":["body","guestName"],"msg":"Value error, a guest needs a )"
            R"(name","input":"nobody","ctx":{"error":{}}},{"type":"value_error","loc":["body","nights"],"msg":)"
            R"("Value error, nights come in pairs","input":3,"ctx":{"error":{}}}]})");
}

TEST(RouterValidators, TheInputShownIsWhatTheClientSent) {
  // "4" converts to 4 (lax mode) before the validator sees it; the error shows the text.
  EXPECT_EQ(errors_for<Stay>(R"({"guestName":"nobody","start":"2024-01-01","end":"2024-01-03","nights":"4"})"),
            R"({"detail":[{"type":"value_error","loc":["body","guestName"],"msg":"Value error, a guest needs a )"
            R"(name","input":"nobody","ctx":{"error":{}}}]})");
  EXPECT_EQ(errors_for<Stay>(R"({"guestName":"ann","start":"2024-01-01","end":"2024-01-03","nights":"5"})"),
            R"({"detail":[{"type":"value_error","loc":["body","nights"],"msg":"Value error, nights come in pairs",)"
            R"("input":"5","ctx":{"error":{}}}]})");
}

TEST(RouterValidators, AFieldValidatorRunsOnlyOnAValueThatPassedItsOwnChecks) {
  guest_checks = 0;
  // Wrong type, then a broken constraint: the validator is not called.
  EXPECT_NE(errors_for<Stay>(R"({"guestName":5,"start":"2024-01-01","end":"2024-01-03","nights":2})"), kNoErrors);
  EXPECT_NE(errors_for<Stay>(R"({"guestName":"x","start":"2024-01-01","end":"2024-01-03","nights":2})"), kNoErrors);
  EXPECT_EQ(guest_checks.load(), 0);
  EXPECT_EQ(errors_for<Stay>(R"({"guestName":"ann","start":"2024-01-01","end":"2024-01-03","nights":0})"),
            R"({"detail":[{"type":"greater_than_equal","loc":["body","nights"],"msg":"Input should be greater than )"
            R"(or equal to 1","input":0,"ctx":{"ge":1}}]})");  // 0 is even, but ge=1 failed first
  EXPECT_EQ(errors_for<Stay>(kStay), kNoErrors);
  EXPECT_EQ(guest_checks.load(), 2);
}

TEST(RouterValidators, ModelValidatorsRunInOrderOnceEveryFieldPassed) {
  EXPECT_EQ(errors_for<Stay>(R"({"guestName":"ann","start":"2024-01-03","end":"2024-01-01","nights":16})"),
            R"({"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, end must be after start",)"
            R"("input":{"guestName":"ann","start":"2024-01-03","end":"2024-01-01","nights":16},"ctx":{"error":{}}},)"
            R"({"type":"value_error","loc":["body"],"msg":"Value error, at most two weeks",)"
            R"("input":{"guestName":"ann","start":"2024-01-03","end":"2024-01-01","nights":16},"ctx":{"error":{}}}]})");
  // A field failed: the model validators do not run.
  EXPECT_EQ(errors_for<Stay>(R"({"guestName":"ann","start":"2024-01-03","end":"2024-01-01","nights":3})"),
            R"({"detail":[{"type":"value_error","loc":["body","nights"],"msg":"Value error, nights come in pairs",)"
            R"("input":3,"ctx":{"error":{}}}]})");
}

TEST(RouterValidators, NestedModelsReportAtTheirOwnLocation) {
  EXPECT_EQ(errors_for<Trip>(R"({"name":"t","stay":{"guestName":"ann","start":"2024-01-02","end":"2024-01-02",)"
                             R"("nights":2},"more":[{"guestName":"nobody","start":"2024-01-01","end":"2024-01-03",)"
                             R"("nights":2}]})"),
            R"({"detail":[{"type":"value_error","loc":["body","stay"],"msg":"Value error, end must be after start",)"
            R"("input":{"guestName":"ann","start":"2024-01-02","end":"2024-01-02","nights":2},"ctx":{"error":{}}},)"
            R"({"type":"value_error","loc":["body","more",0,"guestName"],"msg":"Value error, a guest needs a name",)"
            R"("input":"nobody","ctx":{"error":{}}}]})");
}

TEST(RouterValidators, ValidateRunsThemOnABuiltValue) {
  Errors errs;
  Stay ok{"ann", {2024, 1, 1}, {2024, 1, 3}, 2, std::nullopt};
  EXPECT_TRUE(validate(ok, errs));
  Stay bad = ok;
  bad.guest = "nobody";
  EXPECT_FALSE(validate(bad, errs));
  Stay backwards = ok;
  backwards.end = {2023, 1, 1};
  EXPECT_FALSE(validate(backwards, errs));
  std::string body;
  errs.to_json(body);
  EXPECT_EQ(body,
            R"({"detail":[{"type":"value_error","loc":["response","guestName"],"msg":"Value error, a guest needs a )"
            R"(name","input":"nobody","ctx":{"error":{}}},{"type":"value_error","loc":["response"],"msg":"Value )"
            R"(error, end must be after start","input":{"guestName":"ann","start":"2024-01-01","end":"2023-01-01",)"
            R"("nights":2,"note":null},"ctx":{"error":{}}}]})");
}

}  // namespace rt_valid
