// decode(): types, lax coercions, optional/null, nesting, unknown fields,
// and the 422 bodies they produce.
#include <gtest/gtest.h>

#include <limits>

#include "router/helpers.hpp"
#include "router/models.hpp"

namespace {

using namespace rt;
using strata::router::decode;
using strata::router::Errors;

TEST(RouterDecode, SeedUserDecodes) {
  User u{};
  Errors errors;
  ASSERT_TRUE(decode(R"({"id": 1, "name": "user", "email": "user@email.com"})", u, errors));
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(u, (User{1, "user", "user@email.com"}));
}

TEST(RouterDecode, SeedUserEncodesExactly) {
  EXPECT_EQ(encoded(User{1, "user", "user@email.com"}), R"({"id":1,"name":"user","email":"user@email.com"})");
}

TEST(RouterDecode, EmptyObjectReportsEveryMissingField) {
  EXPECT_EQ(errors_for<User>("{}"),
            R"({"detail":[)"
            R"({"type":"missing","loc":["body","id"],"msg":"Field required","input":{}},)"
            R"({"type":"missing","loc":["body","name"],"msg":"Field required","input":{}},)"
            R"({"type":"missing","loc":["body","email"],"msg":"Field required","input":{}}]})");
}

TEST(RouterDecode, ErrorsFollowDeclarationOrderNotInputOrder) {
  // The input lists email before id; pydantic reports fields in declaration
  // order, and a missing field's input is the whole (compacted) object.
  EXPECT_EQ(errors_for<User>(R"({ "email" : 5, "id": "abc" })"),
            R"({"detail":[)"
            R"({"type":"int_parsing","loc":["body","id"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"abc"},)"
            R"({"type":"missing","loc":["body","name"],"msg":"Field required","input":{"email":5,"id":"abc"}},)"
            R"({"type":"string_type","loc":["body","email"],"msg":"Input should be a valid string","input":5}]})");
}

TEST(RouterDecode, EveryScalarType) {
  Scalars s{};
  EXPECT_EQ(errors_for(R"({"flag":true,"i32":-5,"i64":9223372036854775807,"u32":4294967295,)"
                       R"("d":2.5,"f":0.25,"s":"x","c":"green"})",
                       s),
            kNoErrors);
  EXPECT_EQ(s, (Scalars{true, -5, std::numeric_limits<int64_t>::max(), 4294967295u, 2.5, 0.25f, "x", Color::green}));
}

TEST(RouterDecode, LaxCoercionsAsPydantic) {
  Scalars s{};
  EXPECT_EQ(errors_for(R"({"flag":"yes","i32":" 42 ","i64":3.0,"u32":true,"d":"1.5","f":2,"s":"","c":"blue"})", s),
            kNoErrors);
  EXPECT_EQ(s, (Scalars{true, 42, 3, 1, 1.5, 2.0f, "", Color::blue}));
  EXPECT_EQ(errors_for(R"({"flag":0,"i32":"-7","i64":1e3,"u32":false,"d":true,"f":"-inf","s":"","c":"red"})", s),
            kNoErrors);
  EXPECT_FALSE(s.flag);
  EXPECT_EQ(s.i32, -7);
  EXPECT_EQ(s.i64, 1000);
  EXPECT_EQ(s.d, 1.0);
  EXPECT_EQ(s.f, -std::numeric_limits<float>::infinity());
  for (const char* b : {R"("OFF")", R"("f")", R"("No")", R"("n")", "0.0"}) {
    s.flag = true;
    EXPECT_EQ(errors_for(std::string(R"({"flag":)") + b + R"(,"i32":1,"i64":1,"u32":1,"d":1,"f":1,"s":"","c":"red"})", s),
              kNoErrors)
        << b;
    EXPECT_FALSE(s.flag) << b;
  }
}

TEST(RouterDecode, TypeErrorsForEveryScalar) {
  EXPECT_EQ(errors_for<Scalars>(R"({"flag":"maybe","i32":[1],"i64":1.5,"u32":"12x","d":"abc","f":{},"s":7,"c":3})"),
            R"({"detail":[)"
            R"({"type":"bool_parsing","loc":["body","flag"],"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"},)"
            R"({"type":"int_type","loc":["body","i32"],"msg":"Input should be a valid integer","input":[1]},)"
            R"({"type":"int_from_float","loc":["body","i64"],"msg":"Input should be a valid integer, got a number with a fractional part","input":1.5},)"
            R"({"type":"int_parsing","loc":["body","u32"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"12x"},)"
            R"({"type":"float_parsing","loc":["body","d"],"msg":"Input should be a valid number, unable to parse string as a number","input":"abc"},)"
            R"({"type":"float_type","loc":["body","f"],"msg":"Input should be a valid number","input":{}},)"
            R"({"type":"string_type","loc":["body","s"],"msg":"Input should be a valid string","input":7},)"
            R"({"type":"enum","loc":["body","c"],"msg":"Input should be 'red', 'green' or 'blue'","input":3,"ctx":{"expected":"'red', 'green' or 'blue'"}}]})");
}

TEST(RouterDecode, BoolTypeAndParsing) {
  const std::string rest = R"(,"i32":1,"i64":1,"u32":1,"d":1,"f":1,"s":"","c":"red"})";
  EXPECT_EQ(errors_for<Scalars>(R"({"flag":null)" + rest),
            R"({"detail":[{"type":"bool_type","loc":["body","flag"],"msg":"Input should be a valid boolean","input":null}]})");
  EXPECT_EQ(errors_for<Scalars>(R"({"flag":2)" + rest),
            R"({"detail":[{"type":"bool_parsing","loc":["body","flag"],"msg":"Input should be a valid boolean, unable to interpret input","input":2}]})");
}

TEST(RouterDecode, NullForRequiredFieldsIsATypeError) {
  EXPECT_EQ(errors_for<User>(R"({"id":null,"name":null,"email":"e"})"),
            R"({"detail":[)"
            R"({"type":"int_type","loc":["body","id"],"msg":"Input should be a valid integer","input":null},)"
            R"({"type":"string_type","loc":["body","name"],"msg":"Input should be a valid string","input":null}]})");
}

TEST(RouterDecode, EnumByName) {
  Scalars s{};
  const std::string head = R"({"flag":true,"i32":1,"i64":1,"u32":1,"d":1,"f":1,"s":"",)";
  EXPECT_EQ(errors_for(head + R"("c":"red"})", s), kNoErrors);
  EXPECT_EQ(s.c, Color::red);
  EXPECT_EQ(errors_for<Scalars>(head + R"("c":"Red"})"),
            R"({"detail":[{"type":"enum","loc":["body","c"],"msg":"Input should be 'red', 'green' or 'blue'","input":"Red","ctx":{"expected":"'red', 'green' or 'blue'"}}]})");
}

TEST(RouterDecode, Int32OverflowIsARangeError) {
  const std::string head = R"({"flag":true,"i64":1,"u32":1,"d":1,"f":1,"s":"","c":"red","i32":)";
  EXPECT_EQ(errors_for<Scalars>(head + "2147483647}"), kNoErrors);
  EXPECT_EQ(errors_for<Scalars>(head + "-2147483648}"), kNoErrors);
  EXPECT_EQ(errors_for<Scalars>(head + "2147483648}"),
            R"({"detail":[{"type":"less_than_equal","loc":["body","i32"],"msg":"Input should be less than or equal to 2147483647","input":2147483648,"ctx":{"le":2147483647}}]})");
  EXPECT_EQ(errors_for<Scalars>(head + "-2147483649}"),
            R"({"detail":[{"type":"greater_than_equal","loc":["body","i32"],"msg":"Input should be greater than or equal to -2147483648","input":-2147483649,"ctx":{"ge":-2147483648}}]})");
  EXPECT_EQ(errors_for<Scalars>(head + R"("99999999999"})"),
            R"({"detail":[{"type":"less_than_equal","loc":["body","i32"],"msg":"Input should be less than or equal to 2147483647","input":"99999999999","ctx":{"le":2147483647}}]})");
}

TEST(RouterDecode, Int64AndUnsignedOverflow) {
  const std::string head = R"({"flag":true,"i32":1,"d":1,"f":1,"s":"","c":"red","u32":1,"i64":)";
  for (const char* big : {"9223372036854775808", "18446744073709551616", "123456789012345678901234567890", "1e30"})
    EXPECT_EQ(errors_for<Scalars>(head + big + "}"),
              std::string(R"({"detail":[{"type":"less_than_equal","loc":["body","i64"],"msg":"Input should be less than or equal to 9223372036854775807","input":)") +
                  big + R"(,"ctx":{"le":9223372036854775807}}]})")
        << big;
  EXPECT_EQ(errors_for<Scalars>(head + "-9223372036854775809}"),
            R"({"detail":[{"type":"greater_than_equal","loc":["body","i64"],"msg":"Input should be greater than or equal to -9223372036854775808","input":-9223372036854775809,"ctx":{"ge":-9223372036854775808}}]})");
  EXPECT_EQ(errors_for<Scalars>(head + "1e400}"),
            R"({"detail":[{"type":"finite_number","loc":["body","i64"],"msg":"Input should be a finite number","input":1e400}]})");
  const std::string unsigned_head = R"({"flag":true,"i32":1,"i64":1,"d":1,"f":1,"s":"","c":"red","u32":)";
  EXPECT_EQ(errors_for<Scalars>(unsigned_head + "-1}"),
            R"({"detail":[{"type":"greater_than_equal","loc":["body","u32"],"msg":"Input should be greater than or equal to 0","input":-1,"ctx":{"ge":0}}]})");
  EXPECT_EQ(errors_for<Scalars>(unsigned_head + "4294967296}"),
            R"({"detail":[{"type":"less_than_equal","loc":["body","u32"],"msg":"Input should be less than or equal to 4294967295","input":4294967296,"ctx":{"le":4294967295}}]})");
}

TEST(RouterDecode, OptionalMissingNullOrPresent) {
  Address a{"s", "c", "old"};
  EXPECT_EQ(errors_for(R"({"street":"s","city":"c"})", a), kNoErrors);
  EXPECT_EQ(a.zip, std::nullopt);  // missing resets a reused value
  a.zip = "old";
  EXPECT_EQ(errors_for(R"({"street":"s","city":"c","zip":null})", a), kNoErrors);
  EXPECT_EQ(a.zip, std::nullopt);
  EXPECT_EQ(errors_for(R"({"street":"s","city":"c","zip":"12345"})", a), kNoErrors);
  EXPECT_EQ(a.zip, "12345");
  EXPECT_EQ(errors_for<Address>(R"({"street":"s","city":"c","zip":12345})"),
            R"({"detail":[{"type":"string_type","loc":["body","zip"],"msg":"Input should be a valid string","input":12345}]})");
}

TEST(RouterDecode, NestedModelsListsAndMaps) {
  Order o{};
  const char* json = R"({
    "id": 7,
    "items": [{"name": "a", "price": 1.5, "quantity": 1, "tags": []},
              {"name": "b", "price": 2, "quantity": 2, "tags": ["x", "y"]}],
    "ship_to": {"street": "Main", "city": "Springfield", "zip": null},
    "counters": {"a": 1, "b": 2},
    "color": "green",
    "paid": true,
    "coupon": 99
  })";
  EXPECT_EQ(errors_for(json, o), kNoErrors);
  const Order want{7,
                   {{"a", 1.5, 1, {}}, {"b", 2.0, 2, {"x", "y"}}},
                   Address{"Main", "Springfield", std::nullopt},
                   {{"a", 1}, {"b", 2}},
                   Color::green,
                   true,
                   99};
  EXPECT_EQ(o, want);
}

TEST(RouterDecode, NestedLocationsWithSeveralErrors) {
  // Errors deep in lists of models, in a nested model, in a map, and at the
  // top, all in one body; the whole 422 body is pinned.
  const char* json = R"({
    "id": 7,
    "items": [{"name": "a", "price": 1.5, "quantity": 1, "tags": []},
              {"name": "b", "price": 2, "quantity": 2, "tags": ["x"]},
              {"name": "c", "price": "free", "quantity": 3, "tags": ["y", 5]}],
    "ship_to": {"street": "Main", "city": 12},
    "counters": {"a": 1, "b": "two"},
    "color": "purple",
    "paid": "maybe"
  })";
  EXPECT_EQ(errors_for<Order>(json),
            R"({"detail":[)"
            R"({"type":"float_parsing","loc":["body","items",2,"price"],"msg":"Input should be a valid number, unable to parse string as a number","input":"free"},)"
            R"({"type":"string_type","loc":["body","items",2,"tags",1],"msg":"Input should be a valid string","input":5},)"
            R"({"type":"string_type","loc":["body","ship_to","city"],"msg":"Input should be a valid string","input":12},)"
            R"({"type":"int_parsing","loc":["body","counters","b"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"two"},)"
            R"({"type":"enum","loc":["body","color"],"msg":"Input should be 'red', 'green' or 'blue'","input":"purple","ctx":{"expected":"'red', 'green' or 'blue'"}},)"
            R"({"type":"bool_parsing","loc":["body","paid"],"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"}]})");
}

TEST(RouterDecode, MissingFieldsInNestedModels) {
  EXPECT_EQ(errors_for<Order>(R"({"id":1,"items":[{"name":"a","price":1,"tags":[]}],"ship_to":{"city":"x"},)"
                              R"("counters":{},"color":"red","paid":false})"),
            R"({"detail":[)"
            R"({"type":"missing","loc":["body","items",0,"quantity"],"msg":"Field required","input":{"name":"a","price":1,"tags":[]}},)"
            R"({"type":"missing","loc":["body","ship_to","street"],"msg":"Field required","input":{"city":"x"}}]})");
}

TEST(RouterDecode, ContainerTypeErrors) {
  EXPECT_EQ(errors_for<Order>(R"({"id":1,"items":{"a":1},"ship_to":[1, 2],"counters":[],"color":"red","paid":false})"),
            R"({"detail":[)"
            R"({"type":"list_type","loc":["body","items"],"msg":"Input should be a valid list","input":{"a":1}},)"
            R"({"type":"model_type","loc":["body","ship_to"],"msg":"Input should be a valid dictionary or instance of Address","input":[1,2],"ctx":{"class_name":"Address"}},)"
            R"({"type":"dict_type","loc":["body","counters"],"msg":"Input should be a valid dictionary","input":[]}]})");
}

TEST(RouterDecode, RootThatIsNotAnObject) {
  EXPECT_EQ(errors_for<User>("[1, 2]"),
            R"({"detail":[{"type":"model_type","loc":["body"],"msg":"Input should be a valid dictionary or instance of User","input":[1,2],"ctx":{"class_name":"User"}}]})");
  EXPECT_EQ(errors_for<User>(" 42 "),
            R"({"detail":[{"type":"model_type","loc":["body"],"msg":"Input should be a valid dictionary or instance of User","input":42,"ctx":{"class_name":"User"}}]})");
  EXPECT_EQ(errors_for<User>(R"("x")"),
            R"({"detail":[{"type":"model_type","loc":["body"],"msg":"Input should be a valid dictionary or instance of User","input":"x","ctx":{"class_name":"User"}}]})");
}

TEST(RouterDecode, EmptyOrNullBodyIsMissing) {
  const std::string missing = R"({"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]})";
  EXPECT_EQ(errors_for<User>(""), missing);
  EXPECT_EQ(errors_for<User>("null"), missing);
  EXPECT_EQ(errors_for<User>(" null "), missing);
  std::optional<User> maybe = User{1, "a", "b"};  // an optional body may be null
  EXPECT_EQ(errors_for("null", maybe), kNoErrors);
  EXPECT_EQ(maybe, std::nullopt);
}

TEST(RouterDecode, NonModelRoots) {
  std::vector<int32_t> v;
  EXPECT_EQ(errors_for("[1, 2, 3]", v), kNoErrors);
  EXPECT_EQ(v, (std::vector<int32_t>{1, 2, 3}));
  int64_t n = 0;
  EXPECT_EQ(errors_for("17", n), kNoErrors);
  EXPECT_EQ(n, 17);
  std::string s;
  EXPECT_EQ(errors_for(R"("a\"b")", s), kNoErrors);
  EXPECT_EQ(s, "a\"b");
  EXPECT_EQ(errors_for<std::vector<int32_t>>("[1, \"x\"]"),
            R"({"detail":[{"type":"int_parsing","loc":["body",1],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"}]})");
}

TEST(RouterDecode, EmptyRootGivesBareLocations) {
  User u{};
  EXPECT_EQ(errors_for(R"({"id":"x","name":"a","email":"b"})", u, ""),
            R"({"detail":[{"type":"int_parsing","loc":["id"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"}]})");
}

TEST(RouterDecode, UnknownFieldsAreIgnoredByDefault) {
  User u{};
  EXPECT_EQ(errors_for(R"({"extra": {"deep": [1, {"x": null}]}, "id": 3, "name": "n", "email": "e", "more": "s"})", u),
            kNoErrors);
  EXPECT_EQ(u, (User{3, "n", "e"}));
}

TEST(RouterDecode, UnknownFieldsForbiddenComeLast) {
  Strict s{};
  EXPECT_EQ(errors_for(R"({"a":"x","b":1})", s), kNoErrors);
  EXPECT_EQ(errors_for<Strict>(R"({"zzz": [1, 2], "a": 5, "b": 1, "c": {"k": "v"}})"),
            R"({"detail":[)"
            R"({"type":"string_type","loc":["body","a"],"msg":"Input should be a valid string","input":5},)"
            R"({"type":"extra_forbidden","loc":["body","zzz"],"msg":"Extra inputs are not permitted","input":[1,2]},)"
            R"({"type":"extra_forbidden","loc":["body","c"],"msg":"Extra inputs are not permitted","input":{"k":"v"}}]})");
}

TEST(RouterDecode, EscapedStringsAndKeys) {
  User u{};
  EXPECT_EQ(errors_for(R"({"\u0069d": 5, "name": "caf\u00e9 \"q\" \\ \n\t", "email": "\ud83d\ude00"})", u), kNoErrors);
  EXPECT_EQ(u.id, 5);
  EXPECT_EQ(u.name, "caf\xc3\xa9 \"q\" \\ \n\t");
  EXPECT_EQ(u.email, "\xf0\x9f\x98\x80");
}

TEST(RouterDecode, DuplicateKeysLastWins) {
  User u{};
  EXPECT_EQ(errors_for(R"({"id":1,"id":2,"name":"a","email":"b"})", u), kNoErrors);
  EXPECT_EQ(u.id, 2);
}

TEST(RouterDecode, ReusedOutputIsReplaced) {
  Order o{};
  const char* first = R"({"id":1,"items":[{"name":"a","price":1,"quantity":1,"tags":["t"]}],"counters":{"x":1},"color":"red","paid":true})";
  const char* second = R"({"id":2,"items":[],"counters":{},"color":"blue","paid":false})";
  EXPECT_EQ(errors_for(first, o), kNoErrors);
  EXPECT_EQ(errors_for(second, o), kNoErrors);
  EXPECT_TRUE(o.items.empty());
  EXPECT_TRUE(o.counters.empty());
  EXPECT_EQ(o.color, Color::blue);
}

TEST(RouterDecode, InheritedMembers) {
  Derived d{};
  EXPECT_EQ(errors_for(R"({"id": 4, "label": "x"})", d), kNoErrors);
  EXPECT_EQ(d.id, 4);
  EXPECT_EQ(d.label, "x");
  EXPECT_EQ(encoded(d), R"({"id":4,"label":"x"})");
}

TEST(RouterDecode, RecursiveModelWithinDepthLimit) {
  std::string json;
  const int depth = 60;  // each level is an object and a list: 120 containers
  for (int i = 0; i < depth; ++i) json += R"({"name":"n","children":[)";
  json += R"({"name":"leaf","children":[]})";
  for (int i = 0; i < depth; ++i) json += "]}";
  Node n{};
  EXPECT_EQ(errors_for(json, n), kNoErrors);
  EXPECT_EQ(encoded(n), json);
}

TEST(RouterDecode, ErrorsAppendToExistingOnes) {
  Errors errors;
  errors.add({"custom", {"query", "q"}, "m", "1", {}});
  User u{};
  EXPECT_FALSE(decode(R"({"id":1,"name":"a"})", u, errors));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors.items()[0].type, "custom");
  EXPECT_EQ(errors.items()[1].type, "missing");
  EXPECT_TRUE(decode(R"({"id":1,"name":"a","email":"b"})", u, errors));  // true: nothing added by this call
}

TEST(RouterErrors, RendersLocIndexesAndCtx) {
  Errors errors;
  std::string out;
  errors.to_json(out);
  EXPECT_EQ(out, kNoErrors);
  errors.add({"t", {"body", size_t{3}, "k\"ey"}, "a \"msg\"", "[1]", R"({"x":1})"});
  errors.add({"u", {}, "m", "", {}});
  out.clear();
  errors.to_json(out);
  EXPECT_EQ(out, R"({"detail":[{"type":"t","loc":["body",3,"k\"ey"],"msg":"a \"msg\"","input":[1],"ctx":{"x":1}},)"
                 R"({"type":"u","loc":[],"msg":"m","input":null}]})");
}

}  // namespace
