// JSON Schema of models, and the collection of component schemas.
#include <gtest/gtest.h>

#include <simdjson.h>

#include <stdexcept>

#include "router/helpers.hpp"
#include "router/models.hpp"

namespace clash_a {
struct Thing {
  int32_t x;
};
BOOST_DESCRIBE_STRUCT(Thing, (), (x))
}  // namespace clash_a
namespace clash_b {
struct Thing {
  int32_t y;
};
BOOST_DESCRIBE_STRUCT(Thing, (), (y))
}  // namespace clash_b

namespace {

using namespace rt;
using strata::router::model_name;
using strata::router::Schemas;

bool is_json(const std::string& s) {
  simdjson::dom::parser parser;
  return parser.parse(s).error() == simdjson::SUCCESS;
}

template <class T>
std::string schema_of() {
  std::string out;
  strata::router::schema<T>(out);
  EXPECT_TRUE(is_json(out)) << out;
  return out;
}

TEST(RouterSchema, SeedUser) {
  EXPECT_EQ(schema_of<User>(),
            R"({"title":"User","type":"object","properties":{"id":{"type":"integer","title":"Id"},)"
            R"("name":{"type":"string","title":"Name"},"email":{"type":"string","title":"Email"}},)"
            R"("required":["id","name","email"]})");
}

TEST(RouterSchema, ConstraintsAndOptionals) {
  EXPECT_EQ(schema_of<Signup>(),
            R"({"title":"SignupForm","type":"object","properties":{)"
            R"("username":{"type":"string","minLength":3,"maxLength":8,"title":"Username"},)"
            R"("code":{"type":"string","pattern":"^[A-Z]{3}-\\d+$","title":"Code"},)"
            R"("age":{"type":"integer","minimum":18,"maximum":130,"title":"Age"},)"
            R"("ratio":{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1,"title":"Ratio"},)"
            R"("scores":{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3,"title":"Scores"},)"
            R"("nick":{"anyOf":[{"type":"string","minLength":2},{"type":"null"}],"default":null,"title":"Nick"},)"
            R"("flags":{"type":"object","additionalProperties":{"type":"boolean"},"maxProperties":2,"title":"Flags"}},)"
            R"("required":["username","code","age","ratio","scores","flags"]})");
}

TEST(RouterSchema, NestedModelsAreReferences) {
  EXPECT_EQ(schema_of<Order>(),
            R"({"title":"Order","type":"object","properties":{"id":{"type":"integer","title":"Id"},)"
            R"("items":{"type":"array","items":{"$ref":"#/components/schemas/Item"},"title":"Items"},)"
            R"("ship_to":{"anyOf":[{"$ref":"#/components/schemas/Address"},{"type":"null"}],"default":null,"title":"Ship To"},)"
            R"("counters":{"type":"object","additionalProperties":{"type":"integer"},"title":"Counters"},)"
            R"("color":{"$ref":"#/components/schemas/Color"},)"
            R"("paid":{"type":"boolean","title":"Paid"},)"
            R"("coupon":{"anyOf":[{"type":"integer"},{"type":"null"}],"default":null,"title":"Coupon"}},)"
            R"("required":["id","items","counters","color","paid"]})");
}

TEST(RouterSchema, ForbidExtraAndNonModelTypes) {
  EXPECT_EQ(schema_of<Strict>(),
            R"({"title":"Strict","type":"object","properties":{"a":{"type":"string","title":"A"},)"
            R"("b":{"type":"integer","title":"B"}},"required":["a","b"],"additionalProperties":false})");
  EXPECT_EQ(schema_of<Color>(), R"({"title":"Color","type":"string","enum":["red","green","blue"]})");
  EXPECT_EQ(schema_of<std::vector<Item>>(), R"({"type":"array","items":{"$ref":"#/components/schemas/Item"}})");
  EXPECT_EQ(schema_of<std::optional<double>>(), R"({"anyOf":[{"type":"number"},{"type":"null"}]})");
}

TEST(RouterSchema, CollectsEveryReachableComponent) {
  Schemas schemas;
  schemas.add<Order>();
  schemas.add<std::vector<Order>>();  // already there: nothing new
  std::string out;
  schemas.to_json(out);
  EXPECT_TRUE(is_json(out)) << out;
  std::string order, address, color, item;
  strata::router::schema<Order>(order);
  strata::router::schema<Address>(address);
  strata::router::schema<Color>(color);
  strata::router::schema<Item>(item);
  EXPECT_EQ(out, R"({"Address":)" + address + R"(,"Color":)" + color + R"(,"Item":)" + item + R"(,"Order":)" + order + "}");
  EXPECT_EQ(address,
            R"({"title":"Address","type":"object","properties":{"street":{"type":"string","title":"Street"},)"
            R"("city":{"type":"string","title":"City"},)"
            R"("zip":{"anyOf":[{"type":"string"},{"type":"null"}],"default":null,"title":"Zip"}},"required":["street","city"]})");
  EXPECT_EQ(item,
            R"({"title":"Item","type":"object","properties":{"name":{"type":"string","minLength":1,"title":"Name"},)"
            R"("price":{"type":"number","exclusiveMinimum":0,"title":"Price"},)"
            R"("quantity":{"type":"integer","minimum":0,"title":"Quantity"},)"
            R"("tags":{"type":"array","items":{"type":"string"},"title":"Tags"}},"required":["name","price","quantity","tags"]})");
}

TEST(RouterSchema, RecursiveAndInheritedModels) {
  Schemas schemas;
  schemas.add<Node>();
  schemas.add<Derived>();
  std::string out;
  schemas.to_json(out);
  EXPECT_EQ(out,
            R"({"Derived":{"title":"Derived","type":"object","properties":{"id":{"type":"integer","title":"Id"},)"
            R"("label":{"type":"string","title":"Label"}},"required":["id","label"]},)"
            R"("Node":{"title":"Node","type":"object","properties":{"name":{"type":"string","title":"Name"},)"
            R"("children":{"type":"array","items":{"$ref":"#/components/schemas/Node"},"title":"Children"}},)"
            R"("required":["name","children"]}})");
}

TEST(RouterSchema, NamesAndClashes) {
  EXPECT_EQ(model_name<User>(), "User");          // from the C++ type, namespace dropped
  EXPECT_EQ(model_name<Signup>(), "SignupForm");  // from model_traits
  Schemas schemas;
  schemas.add<clash_a::Thing>();
  EXPECT_TRUE(schemas.contains("Thing"));
  EXPECT_THROW(schemas.add<clash_b::Thing>(), std::logic_error);
}

TEST(RouterSchema, FieldTitlesAsPydantic) {
  using strata::router::detail::field_title;
  EXPECT_EQ(field_title("ship_to"), "Ship To");
  EXPECT_EQ(field_title("userID"), "Userid");
  EXPECT_EQ(field_title("a1b"), "A1B");
}

}  // namespace
