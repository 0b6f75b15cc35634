// Models shared by the tier 4 tests.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "router/model.hpp"

namespace rt {

// The seed 003 model.
struct User {
  int64_t id;
  std::string name;
  std::string email;
  bool operator==(const User&) const = default;
};
BOOST_DESCRIBE_STRUCT(User, (), (id, name, email))

enum class Color { red, green, blue };
BOOST_DESCRIBE_ENUM(Color, red, green, blue)

struct Scalars {
  bool flag;
  int32_t i32;
  int64_t i64;
  uint32_t u32;
  double d;
  float f;
  std::string s;
  Color c;
  bool operator==(const Scalars&) const = default;
};
BOOST_DESCRIBE_STRUCT(Scalars, (), (flag, i32, i64, u32, d, f, s, c))

struct Address {
  std::string street;
  std::string city;
  std::optional<std::string> zip;
  bool operator==(const Address&) const = default;
};
BOOST_DESCRIBE_STRUCT(Address, (), (street, city, zip))

struct Item {
  std::string name;
  double price;
  int32_t quantity;
  std::vector<std::string> tags;
  bool operator==(const Item&) const = default;
};
BOOST_DESCRIBE_STRUCT(Item, (), (name, price, quantity, tags))

struct Order {
  int64_t id;
  std::vector<Item> items;
  std::optional<Address> ship_to;
  std::map<std::string, int32_t> counters;
  Color color;
  bool paid;
  std::optional<int64_t> coupon;
  bool operator==(const Order&) const = default;
};
BOOST_DESCRIBE_STRUCT(Order, (), (id, items, ship_to, counters, color, paid, coupon))

// extra = "forbid"
struct Strict {
  std::string a;
  int32_t b;
  bool operator==(const Strict&) const = default;
};
BOOST_DESCRIBE_STRUCT(Strict, (), (a, b))

// One field per kind of constraint.
struct Signup {
  std::string username;              // 3..8 characters
  std::string code;                  // pattern ^[A-Z]{3}-\d+$
  int32_t age;                       // ge 18, le 130
  double ratio;                      // gt 0, lt 1
  std::vector<int32_t> scores;       // 1..3 items
  std::optional<std::string> nick;   // min 2 when present
  std::map<std::string, bool> flags; // at most 2 entries
  bool operator==(const Signup&) const = default;
};
BOOST_DESCRIBE_STRUCT(Signup, (), (username, code, age, ratio, scores, nick, flags))

// A base and a derived model: inherited members come first.
struct Base {
  int64_t id;
};
BOOST_DESCRIBE_STRUCT(Base, (), (id))
struct Derived : Base {
  std::string label;
};
BOOST_DESCRIBE_STRUCT(Derived, (Base), (label))

// A recursive model.
struct Node {
  std::string name;
  std::vector<Node> children;
  bool operator==(const Node&) const = default;
};
BOOST_DESCRIBE_STRUCT(Node, (), (name, children))

}  // namespace rt

template <>
struct strata::router::model_traits<rt::Strict> {
  static constexpr bool forbid_extra = true;
};

template <>
struct strata::router::model_traits<rt::Signup> {
  static constexpr std::string_view name = "SignupForm";
  static constexpr auto fields = std::tuple{
      field(&rt::Signup::username, {.min_length = 3, .max_length = 8}),
      field(&rt::Signup::code, {.pattern = R"(^[A-Z]{3}-\d+$)"}),
      field(&rt::Signup::age, {.ge = 18, .le = 130}),
      field(&rt::Signup::ratio, {.gt = 0, .lt = 1}),
      field(&rt::Signup::scores, {.min_length = 1, .max_length = 3}),
      field(&rt::Signup::nick, {.min_length = 2}),
      field(&rt::Signup::flags, {.max_length = 2}),
  };
};

template <>
struct strata::router::model_traits<rt::Item> {
  static constexpr auto fields = std::tuple{
      field(&rt::Item::name, {.min_length = 1}),
      field(&rt::Item::price, {.gt = 0}),
      field(&rt::Item::quantity, {.ge = 0}),
  };
};
