// encode(): exact output and decode(encode(x)) == x.
#include <gtest/gtest.h>

#include <limits>

#include "router/helpers.hpp"
#include "router/models.hpp"

namespace {

using namespace rt;
using strata::router::decode;
using strata::router::Errors;

template <class T>
T round_trip(const T& value) {
  T back{};
  Errors errors;
  const std::string json = encoded(value);
  EXPECT_TRUE(decode(json, back, errors)) << json;
  std::string body;
  errors.to_json(body);
  EXPECT_TRUE(errors.empty()) << body;
  return back;
}

TEST(RouterEncode, ScalarsExactly) {
  const Scalars s{true, -5, std::numeric_limits<int64_t>::min(), 4294967295u, 2.5, 0.1f, "x", Color::green};
  EXPECT_EQ(encoded(s),
            R"({"flag":true,"i32":-5,"i64":-9223372036854775808,"u32":4294967295,"d":2.5,"f":0.1,"s":"x","c":"green"})");
  EXPECT_EQ(round_trip(s), s);
}

TEST(RouterEncode, DoublesPrintAsPython) {
  auto price = [](double d) { return encoded(Item{"n", d, 1, {}}); };
  EXPECT_EQ(price(1.0), R"({"name":"n","price":1.0,"quantity":1,"tags":[]})");
  EXPECT_EQ(price(0.1), R"({"name":"n","price":0.1,"quantity":1,"tags":[]})");
  EXPECT_EQ(price(-0.0), R"({"name":"n","price":-0.0,"quantity":1,"tags":[]})");
  EXPECT_EQ(price(1e300), R"({"name":"n","price":1e+300,"quantity":1,"tags":[]})");
  EXPECT_EQ(price(std::numeric_limits<double>::infinity()), R"({"name":"n","price":null,"quantity":1,"tags":[]})");
  EXPECT_EQ(price(std::numeric_limits<double>::quiet_NaN()), R"({"name":"n","price":null,"quantity":1,"tags":[]})");
  for (double d : {0.1, 1.0 / 3, 123456.789, 5e-324, 1.7976931348623157e308, 2.5e-10}) {
    const Item back = round_trip(Item{"n", d, 1, {}});
    EXPECT_EQ(back.price, d);
  }
}

TEST(RouterEncode, OptionalsMapsEnumsAndNesting) {
  const Order o{9,
                {{"a", 1.5, 1, {"t1", "t2"}}},
                std::nullopt,
                {{"b", 2}, {"a", 1}},
                Color::blue,
                false,
                std::nullopt};
  EXPECT_EQ(encoded(o), R"({"id":9,"items":[{"name":"a","price":1.5,"quantity":1,"tags":["t1","t2"]}],)"
                        R"("ship_to":null,"counters":{"a":1,"b":2},"color":"blue","paid":false,"coupon":null})");
  EXPECT_EQ(round_trip(o), o);
}

TEST(RouterEncode, RoundTripWithStringsNeedingEscapes) {
  const std::string nasty = std::string("quote \" backslash \\ slash / newline \n tab \t ctrl ") + '\x01' + '\x1f' +
                            " nul " + std::string(1, '\0') + " utf8 caf\xc3\xa9 \xf0\x9f\x98\x80 end";
  const Order o{-1,
                {{nasty, 0.25, 0, {nasty, ""}}, {"plain", 3.0, 7, {}}},
                Address{nasty, "c", nasty},
                {{nasty, -3}, {"", 0}},
                Color::red,
                true,
                int64_t{42}};
  const std::string json = encoded(o);
  EXPECT_NE(json.find(R"(quote \" backslash \\ slash / newline \n tab \t ctrl \u0001\u001f nul \u0000 utf8)"),
            std::string::npos)
      << json;
  EXPECT_EQ(round_trip(o), o);
}

TEST(RouterEncode, RoundTripRecursiveAndSeed) {
  const Node tree{"root", {{"a", {}}, {"b", {{"c", {}}}}}};
  EXPECT_EQ(round_trip(tree), tree);
  const User seed{1, "user", "user@email.com"};
  EXPECT_EQ(round_trip(seed), seed);
}

TEST(RouterEncode, AppendsToTheOutput) {
  std::string out = "prefix:";
  strata::router::encode(std::vector<int32_t>{1, 2}, out);
  strata::router::encode(std::optional<std::string>{}, out);
  EXPECT_EQ(out, "prefix:[1,2]null");
}

}  // namespace
