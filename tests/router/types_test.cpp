// The value types of router/types.hpp: decoding with pydantic v2's exact 422
// errors, encoding, schemas, round trips, hostile input, and the same types
// as path and query parameters.
#include <gtest/gtest.h>

#include <string>

#include "app/testclient.hpp"
#include "router/api.hpp"
#include "router/helpers.hpp"

namespace rt_types {

using namespace strata::router;
using rt::encoded;
using rt::errors_for;
using rt::kNoErrors;
using strata::Task;
using strata::app::TestClient;

using State = OneOf<"draft", "live">;

struct Event {
  Date day;
  DateTime at;
  Time alarm;
  TimeDelta length;
  Uuid id;
  Email contact;
  Url link;
  Decimal price;
  Bytes blob;
  State state;
  std::optional<Date> until;
  std::vector<Uuid> related;
  bool operator==(const Event&) const = default;
};
BOOST_DESCRIBE_STRUCT(Event, (), (day, at, alarm, length, id, contact, link, price, blob, state, until, related))

// The 422 body of one error at ["body"].
std::string one(std::string_view type, std::string_view msg, std::string_view input, std::string_view ctx = {}) {
  std::string s = R"({"detail":[{"type":")";
  s.append(type).append(R"(","loc":["body"],"msg":")").append(msg).append(R"(","input":)").append(input);
  if (!ctx.empty()) s.append(R"(,"ctx":)").append(ctx);
  return s.append("}]}");
}

// The 422 body of a *_parsing error whose ctx.error is the reason in msg.
std::string parsing(std::string_view type, std::string_view prefix, std::string_view input, std::string_view reason) {
  std::string msg(prefix), ctx = R"({"error":")";
  msg.append(reason);
  ctx.append(reason).append("\"}");
  return one(type, msg, input, ctx);
}

template <class T>
std::string errors(std::string_view json) {
  return errors_for<T>(json);
}

template <class T>
T decoded(std::string_view json) {
  T out{};
  EXPECT_EQ(errors_for(json, out), kNoErrors) << json;
  return out;
}

const char* const kEvent = R"({"day":"2024-02-29","at":"2024-02-29T23:59:59.5+05:30","alarm":"07:30",)"
                           R"("length":"P1DT2H","id":"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",)"
                           R"("contact":"Ann.Lee@Example.COM","link":"HTTPS://Example.com:443","price":19.90,)"
                           R"("blob":"aGk/","state":"live","related":["{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12}"]})";

TEST(RouterTypes, EveryTypeDecodesAndEncodesAsPydanticWrites) {
  const Event e = decoded<Event>(kEvent);
  EXPECT_EQ(e.day, (Date{2024, 2, 29}));
  EXPECT_EQ(e.at.time.offset_seconds, 5 * 3600 + 30 * 60);
  EXPECT_EQ(e.at.time.microsecond, 500000u);
  EXPECT_EQ(e.length.days, 1);
  EXPECT_EQ(e.length.seconds, 7200u);
  EXPECT_EQ(e.blob.value, std::string("hi?"));
  EXPECT_EQ(e.state, "live");
  EXPECT_FALSE(e.until.has_value());
  EXPECT_EQ(encoded(e),
            R"({"day":"2024-02-29","at":"2024-02-29T23:59:59.500000+05:30","alarm":"07:30:00",)"
            R"("length":"P1DT7200S","id":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","contact":"Ann.Lee@example.com",)"
            R"("link":"https://example.com/","price":"19.90","blob":"aGk_","state":"live","until":null,)"
            R"("related":["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12"]})");
  // What strata writes, it reads back to the same value.
  EXPECT_EQ(decoded<Event>(encoded(e)), e);
}

TEST(RouterTypes, SchemaGivesEachTypeItsFormat) {
  std::string s;
  schema<Event>(s);
  EXPECT_EQ(s,
            R"({"title":"Event","type":"object","properties":{)"
            R"("day":{"type":"string","format":"date","title":"Day"},)"
            R"("at":{"type":"string","format":"date-time","title":"At"},)"
            R"("alarm":{"type":"string","format":"time","title":"Alarm"},)"
            R"("length":{"type":"string","format":"duration","title":"Length"},)"
            R"("id":{"type":"string","format":"uuid","title":"Id"},)"
            R"("contact":{"type":"string","format":"email","title":"Contact"},)"
            R"("link":{"type":"string","format":"uri","minLength":1,"maxLength":2083,"title":"Link"},)"
            R"("price":{"anyOf":[{"type":"number"},{"type":"string"}],"title":"Price"},)"
            R"("blob":{"type":"string","format":"base64url","title":"Blob"},)"
            R"("state":{"type":"string","enum":["draft","live"],"title":"State"},)"
            R"("until":{"anyOf":[{"type":"string","format":"date"},{"type":"null"}],"default":null,"title":"Until"},)"
            R"("related":{"type":"array","items":{"type":"string","format":"uuid"},"title":"Related"}},)"
            R"("required":["day","at","alarm","length","id","contact","link","price","blob","state","related"]})");
}

// ---------------------------------------------------------------- Date

constexpr std::string_view kDateOrDatetime = "Input should be a valid date or datetime, ";

TEST(RouterTypes, DateAcceptsWhatPydanticAccepts) {
  EXPECT_EQ(decoded<Date>(R"("2000-02-29")"), (Date{2000, 2, 29}));  // divisible by 400: leap
  EXPECT_EQ(decoded<Date>(R"("2023-01-01T00:00:00Z")"), (Date{2023, 1, 1}));  // a datetime at midnight
  EXPECT_EQ(decoded<Date>(R"("2023-01-01 00:00")"), (Date{2023, 1, 1}));
  EXPECT_EQ(encoded(Date{9, 3, 4}), R"("0009-03-04")");
}

TEST(RouterTypes, DateRefusalsAreWordedAsPydanticWordsThem) {
  EXPECT_EQ(errors<Date>(R"("2023-02-30")"),
            parsing("date_from_datetime_parsing", kDateOrDatetime, R"("2023-02-30")", "day value is outside expected range"));
  EXPECT_EQ(errors<Date>(R"("1900-02-29")"),  // divisible by 100: not leap
            parsing("date_from_datetime_parsing", kDateOrDatetime, R"("1900-02-29")", "day value is outside expected range"));
  EXPECT_EQ(errors<Date>(R"("2023-13-01")"), parsing("date_from_datetime_parsing", kDateOrDatetime, R"("2023-13-01")",
                                                     "month value is outside expected range of 1-12"));
  EXPECT_EQ(errors<Date>(R"("hello")"),
            parsing("date_from_datetime_parsing", kDateOrDatetime, R"("hello")", "input is too short"));
  EXPECT_EQ(errors<Date>(R"("04/20/1920")"),
            parsing("date_from_datetime_parsing", kDateOrDatetime, R"("04/20/1920")", "invalid character in year"));
  EXPECT_EQ(errors<Date>(R"("2023-01-01x")"),
            parsing("date_from_datetime_parsing", kDateOrDatetime, R"("2023-01-01x")",
                    "invalid datetime separator, expected `T`, `t`, `_` or space"));
  EXPECT_EQ(errors<Date>(R"("2023-01-01T10:00")"),
            one("date_from_datetime_inexact", "Datetimes provided to dates should have zero time - e.g. be exact dates",
                R"("2023-01-01T10:00")"));
  EXPECT_EQ(errors<Date>(R"("0000-01-01")"),
            parsing("date_parsing", "Input should be a valid date in the format YYYY-MM-DD, ", R"("0000-01-01")",
                    "year 0 is out of range"));
  // pydantic would read a number as a Unix timestamp; strata refuses it (see types.hpp).
  EXPECT_EQ(errors<Date>("1700000000"), one("date_type", "Input should be a valid date", "1700000000"));
  EXPECT_EQ(errors<Date>("[]"), one("date_type", "Input should be a valid date", "[]"));
}

TEST(RouterTypes, HostileDatesAreRefusedNotTrusted) {
  const std::string huge = "\"2023-01-01T00:00:00" + std::string(100000, '0') + "\"";
  Date d{};
  EXPECT_NE(errors_for(huge, d).find(R"("type":"date_from_datetime_parsing")"), std::string::npos);
  // Invalid UTF-8 inside the string is malformed JSON, not a date error.
  EXPECT_NE(errors<Date>("\"2023-01-0\xff\"").find(R"("type":"json_invalid")"), std::string::npos);
  // A NUL escaped into the text is just a bad character.
  EXPECT_EQ(errors<Date>(R"("2023-01-01\u0000")"),
            parsing("date_from_datetime_parsing", kDateOrDatetime, R"("2023-01-01\u0000")",
                    "invalid datetime separator, expected `T`, `t`, `_` or space"));
}

// ---------------------------------------------------------------- DateTime and Time

constexpr std::string_view kDatetime = "Input should be a valid datetime, ";

TEST(RouterTypes, DateTimeKeepsItsOffsetAndWritesUtcAsZ) {
  const DateTime dt = decoded<DateTime>(R"("2023-06-01t10:20:30.123456789-07:00")");
  EXPECT_EQ(dt.time.microsecond, 123456u);  // past six digits, truncated as pydantic does
  EXPECT_EQ(encoded(dt), R"("2023-06-01T10:20:30.123456-07:00")");
  EXPECT_EQ(encoded(decoded<DateTime>(R"("2023-06-01 10:20:30+00:00")")), R"("2023-06-01T10:20:30Z")");
  EXPECT_EQ(encoded(decoded<DateTime>(R"("2023-06-01")")), R"("2023-06-01T00:00:00")");  // naive midnight
  EXPECT_EQ(encoded(decoded<DateTime>(R"("2023-06-01T10:20+0130")")), R"("2023-06-01T10:20:00+01:30")");
}

TEST(RouterTypes, DateTimeRefusals) {
  EXPECT_EQ(errors<DateTime>(R"("2016-12-31T23:59:60Z")"),  // a leap second: Python has none
            parsing("datetime_parsing", kDatetime, R"("2016-12-31T23:59:60Z")",
                    "second value is outside expected range of 0-59"));
  EXPECT_EQ(errors<DateTime>(R"("2023-01-01T10:20:30+24:00")"),
            parsing("datetime_parsing", kDatetime, R"("2023-01-01T10:20:30+24:00")",
                    "timezone offset must be less than 24 hours"));
  EXPECT_EQ(errors<DateTime>(R"("2023-01-01T10")"),
            parsing("datetime_parsing", kDatetime, R"("2023-01-01T10")", "input is too short"));
  EXPECT_EQ(errors<DateTime>(R"("2023-01-01T10:20:30.")"),
            parsing("datetime_parsing", kDatetime, R"("2023-01-01T10:20:30.")",
                    "second fraction digits missing after `.`"));
  EXPECT_EQ(errors<DateTime>(R"("2023-01-01T10:20:30 UTC")"),
            parsing("datetime_parsing", kDatetime, R"("2023-01-01T10:20:30 UTC")",
                    "unexpected extra characters at the end of the input"));
  EXPECT_EQ(errors<DateTime>("true"), one("datetime_type", "Input should be a valid datetime", "true"));
}

TEST(RouterTypes, TimeReadsAndRefusesAsPydantic) {
  EXPECT_EQ(encoded(decoded<Time>(R"("10:20:30.5Z")")), R"("10:20:30.500000Z")");
  EXPECT_EQ(encoded(decoded<Time>(R"("23:59")")), R"("23:59:00")");
  constexpr std::string_view kTime = "Input should be in a valid time format, ";
  EXPECT_EQ(errors<Time>(R"("24:00")"),
            parsing("time_parsing", kTime, R"("24:00")", "hour value is outside expected range of 0-23"));
  EXPECT_EQ(errors<Time>(R"("10:61")"),
            parsing("time_parsing", kTime, R"("10:61")", "minute value is outside expected range of 0-59"));
  EXPECT_EQ(errors<Time>(R"("10-20")"),
            parsing("time_parsing", kTime, R"("10-20")", "invalid time separator, expected `:`"));
  EXPECT_EQ(errors<Time>(R"("10:20 ")"),
            parsing("time_parsing", kTime, R"("10:20 ")", "unexpected extra characters at the end of the input"));
  EXPECT_EQ(errors<Time>("null"), R"({"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]})");
}

// ---------------------------------------------------------------- TimeDelta

constexpr std::string_view kDelta = "Input should be a valid timedelta, ";

TEST(RouterTypes, TimeDeltaReadsDurationsAndSecondsWritesIso8601) {
  EXPECT_EQ(encoded(decoded<TimeDelta>("90")), R"("PT90S")");  // speedate writes seconds, not minutes
  EXPECT_EQ(encoded(decoded<TimeDelta>("1.5")), R"("PT1.5S")");
  EXPECT_EQ(encoded(decoded<TimeDelta>("-1")), R"("-PT1S")");
  EXPECT_EQ(encoded(decoded<TimeDelta>("0")), R"("PT0S")");
  EXPECT_EQ(encoded(decoded<TimeDelta>("-0.0")), R"("PT0S")");  // one zero, unsigned
  EXPECT_EQ(encoded(decoded<TimeDelta>(R"("P400D")")), R"("P1Y35D")");
  EXPECT_EQ(encoded(decoded<TimeDelta>(R"("P1W2DT1H0.5S")")), R"("P9DT3600.5S")");
  EXPECT_EQ(encoded(decoded<TimeDelta>(R"("P0.5D")")), R"("PT43200S")");
  EXPECT_EQ(encoded(decoded<TimeDelta>(R"("01:02:03")")), R"("PT3723S")");
  EXPECT_EQ(encoded(decoded<TimeDelta>(R"("1 day, 01:00:00")")), R"("P1DT3600S")");
  EXPECT_EQ(encoded(decoded<TimeDelta>(R"("3d")")), R"("P3D")");
  EXPECT_EQ(encoded(decoded<TimeDelta>(R"("P999999999D")")), R"("P2739726Y9D")");
}

TEST(RouterTypes, TimeDeltaRefusals) {
  EXPECT_EQ(errors<TimeDelta>(R"("P1000000000D")"),
            parsing("time_delta_parsing", kDelta, R"("P1000000000D")", "durations may not exceed 999,999,999 days"));
  EXPECT_EQ(errors<TimeDelta>(R"("P99999999999D")"),
            parsing("time_delta_parsing", kDelta, R"("P99999999999D")", "a numeric value in the duration is too large"));
  EXPECT_EQ(errors<TimeDelta>("1e300"),
            parsing("time_delta_parsing", kDelta, "1e300", "a numeric value in the duration is too large"));
  EXPECT_EQ(errors<TimeDelta>(R"("PXD")"), parsing("time_delta_parsing", kDelta, R"("PXD")", "invalid digit in duration"));
  EXPECT_EQ(errors<TimeDelta>(R"("P1X")"),
            parsing("time_delta_parsing", kDelta, R"("P1X")", "quantity invalid in date part of duration"));
  EXPECT_EQ(errors<TimeDelta>(R"("PT1D")"),
            parsing("time_delta_parsing", kDelta, R"("PT1D")", "quantity invalid in time part of duration"));
  EXPECT_EQ(errors<TimeDelta>(R"("P1DTT1H")"),
            parsing("time_delta_parsing", kDelta, R"("P1DTT1H")", "`t` character repeated in duration"));
  EXPECT_EQ(errors<TimeDelta>(R"("P")"), parsing("time_delta_parsing", kDelta, R"("P")", "input is too short"));
  EXPECT_EQ(errors<TimeDelta>(R"("")"), parsing("time_delta_parsing", kDelta, R"("")", "input is too short"));
  // A bare number in a string is not one of speedate's forms: it reads it as days without "d".
  EXPECT_EQ(errors<TimeDelta>(R"("-0")"), parsing("time_delta_parsing", kDelta, R"("-0")",
                                                  R"(\"day\" identifier in duration not correctly formatted)"));
  EXPECT_EQ(errors<TimeDelta>("false"), one("time_delta_type", "Input should be a valid timedelta", "false"));
}

// ---------------------------------------------------------------- Uuid

constexpr std::string_view kUuid = "Input should be a valid UUID, ";

TEST(RouterTypes, UuidTakesTheUuidCratesFormsAndWritesLowercase) {
  const Uuid u = decoded<Uuid>(R"("urn:uuid:A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")");
  EXPECT_EQ(u.str(), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(decoded<Uuid>(R"("a0eebc999c0b4ef8bb6d6bb9bd380a11")"), u);
  EXPECT_EQ(decoded<Uuid>(R"("{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}")"), u);
}

TEST(RouterTypes, UuidRefusalsNameTheFault) {
  EXPECT_EQ(errors<Uuid>(R"("incorrect-user-id")"),
            parsing("uuid_parsing", kUuid, R"("incorrect-user-id")",
                    "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found "
                    "`i` at 1"));
  EXPECT_EQ(errors<Uuid>(R"("3fa85f64-5717-4562-b3fc-2c963f66afaz")"),
            parsing("uuid_parsing", kUuid, R"("3fa85f64-5717-4562-b3fc-2c963f66afaz")",
                    "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found "
                    "`z` at 36"));
  EXPECT_EQ(errors<Uuid>(R"("")"), parsing("uuid_parsing", kUuid, R"("")",
                                           "invalid length: expected length 32 for simple format, found 0"));
  EXPECT_EQ(errors<Uuid>(R"("3fa85f64-5717-4562-b3fc")"),
            parsing("uuid_parsing", kUuid, R"("3fa85f64-5717-4562-b3fc")", "invalid group count: expected 5, found 4"));
  EXPECT_EQ(errors<Uuid>(R"("3fa85f64-5717-4562-b3fc-2c963f66afa")"),
            parsing("uuid_parsing", kUuid, R"("3fa85f64-5717-4562-b3fc-2c963f66afa")",
                    "invalid group length in group 4: expected 12, found 11"));
  EXPECT_EQ(errors<Uuid>(R"("urn:uuid:a0eebc999c0b4ef8bb6d6bb9bd380a11")"),  // a URN takes the hyphenated form
            parsing("uuid_parsing", kUuid, R"("urn:uuid:a0eebc999c0b4ef8bb6d6bb9bd380a11")",
                    "invalid length: expected length 32 for simple format, found 41"));
  EXPECT_EQ(errors<Uuid>("1"), one("uuid_type", "UUID input should be a string, bytes or UUID object", "1"));
}

// ---------------------------------------------------------------- Email and Url

std::string email_error(std::string_view input, std::string_view reason) {
  std::string msg = "value is not a valid email address: ", ctx = R"({"reason":")";
  msg.append(reason);
  ctx.append(reason).append("\"}");
  return one("value_error", msg, input, ctx);
}

TEST(RouterTypes, EmailLowersTheDomainAndRefusesAsEmailValidator) {
  EXPECT_EQ(decoded<Email>(R"("Ann.Lee+x@Mail.Example.COM")").value, "Ann.Lee+x@mail.example.com");
  EXPECT_EQ(errors<Email>(R"("not-an-email")"),
            email_error(R"("not-an-email")", "An email address must have an @-sign."));
  EXPECT_EQ(errors<Email>(R"("@x.org")"), email_error(R"("@x.org")", "There must be something before the @-sign."));
  EXPECT_EQ(errors<Email>(R"("a@")"), email_error(R"("a@")", "There must be something after the @-sign."));
  EXPECT_EQ(errors<Email>(R"("a@localhost")"),
            email_error(R"("a@localhost")", "The part after the @-sign is not valid. It should have a period."));
  EXPECT_EQ(errors<Email>(R"("a b@x.org")"),
            email_error(R"("a b@x.org")", "The email address contains invalid characters before the @-sign: ' '."));
  EXPECT_EQ(errors<Email>(R"("a..b@x.org")"),
            email_error(R"("a..b@x.org")", "An email address cannot have two periods in a row."));
  const std::string long_local = "\"" + std::string(70, 'a') + "@x.org\"";
  Email e;
  EXPECT_EQ(errors_for(long_local, e),
            email_error(long_local, "The email address is too long before the @-sign (6 characters too many)."));
  EXPECT_EQ(errors<Email>("5"), one("string_type", "Input should be a valid string", "5"));
}

TEST(RouterTypes, UrlIsNormalisedAsHttpUrl) {
  EXPECT_EQ(decoded<Url>(R"("HTTP://Example.COM:80")").value, "http://example.com/");
  EXPECT_EQ(decoded<Url>(R"("https://u:p@x.org:8443/a b?q=1#f")").value, "https://u:p@x.org:8443/a%20b?q=1#f");
  constexpr std::string_view kUrl = "Input should be a valid URL, ";
  EXPECT_EQ(errors<Url>(R"("example.com")"),
            parsing("url_parsing", kUrl, R"("example.com")", "relative URL without a base"));
  EXPECT_EQ(errors<Url>(R"("")"), parsing("url_parsing", kUrl, R"("")", "input is empty"));
  EXPECT_EQ(errors<Url>(R"("http://")"), parsing("url_parsing", kUrl, R"("http://")", "empty host"));
  EXPECT_EQ(errors<Url>(R"("http://x.org:99999")"),
            parsing("url_parsing", kUrl, R"("http://x.org:99999")", "invalid port number"));
  EXPECT_EQ(errors<Url>(R"("ftp://x.org")"), one("url_scheme", "URL scheme should be 'http' or 'https'",
                                                 R"("ftp://x.org")", R"({"expected_schemes":"'http' or 'https'"})"));
  const std::string long_url = "\"http://x.org/" + std::string(2100, 'a') + "\"";
  Url u;
  EXPECT_EQ(errors_for(long_url, u),
            one("url_too_long", "URL should have at most 2083 characters", long_url, R"({"max_length":2083})"));
  EXPECT_EQ(errors<Url>("{}"), one("url_type", "URL input should be a string or URL", "{}"));
}

// ---------------------------------------------------------------- Decimal, Bytes, OneOf

TEST(RouterTypes, DecimalKeepsTheExactDigits) {
  EXPECT_EQ(decoded<Decimal>("1.50").value, "1.50");
  EXPECT_EQ(decoded<Decimal>(R"(" +3 ")").value, "3");
  EXPECT_EQ(decoded<Decimal>(R"("1e3")").value, "1E+3");
  EXPECT_EQ(decoded<Decimal>("0.0000001").value, "1E-7");
  EXPECT_EQ(decoded<Decimal>("-0.000001").value, "-0.000001");
  EXPECT_EQ(decoded<Decimal>("123456789012345678901234567890.5").value, "123456789012345678901234567890.5");
  EXPECT_EQ(encoded(Decimal{"2.50"}), R"("2.50")");
  EXPECT_EQ(errors<Decimal>(R"("abc")"), one("decimal_parsing", "Input should be a valid decimal", R"("abc")"));
  EXPECT_EQ(errors<Decimal>(R"("1e")"), one("decimal_parsing", "Input should be a valid decimal", R"("1e")"));
  EXPECT_EQ(errors<Decimal>(R"("NaN")"), one("finite_number", "Input should be a finite number", R"("NaN")"));
  EXPECT_EQ(errors<Decimal>("true"),
            one("decimal_type", "Decimal input should be an integer, float, string or Decimal object", "true"));
}

std::string base64_error(std::string_view input, std::string_view reason) {
  std::string msg = "Data should be valid base64: ", ctx = R"({"encoding":"base64","encoding_error":")";
  msg.append(reason);
  ctx.append(reason).append("\"}");
  return one("bytes_invalid_encoding", msg, input, ctx);
}

TEST(RouterTypes, BytesAreBase64InJson) {
  EXPECT_EQ(decoded<Bytes>(R"("aGk=")").value, "hi");
  EXPECT_EQ(decoded<Bytes>(R"("aGk")").value, "hi");  // unpadded
  EXPECT_EQ(decoded<Bytes>(R"("+/8=")").value, decoded<Bytes>(R"("-_8=")").value);  // either alphabet
  EXPECT_EQ(encoded(Bytes{std::string("\xfb\xff", 2)}), R"("-_8=")");
  EXPECT_EQ(encoded(Bytes{}), R"("")");
  EXPECT_EQ(errors<Bytes>(R"("a*==")"), base64_error(R"("a*==")", "Invalid symbol 42, offset 1."));
  EXPECT_EQ(errors<Bytes>(R"("abcde")"), base64_error(R"("abcde")", "Invalid input length: 5"));
  EXPECT_EQ(errors<Bytes>(R"("aGk==")"), base64_error(R"("aGk==")", "Invalid padding"));
  EXPECT_EQ(errors<Bytes>(R"("aGl")"), base64_error(R"("aGl")", "Invalid last symbol 108, offset 2."));
  EXPECT_EQ(errors<Bytes>("[1]"), one("bytes_type", "Input should be a valid bytes", "[1]"));
}

TEST(RouterTypes, OneOfIsPydanticsLiteral) {
  EXPECT_EQ(decoded<State>(R"("draft")"), State::of("draft"));
  EXPECT_EQ(encoded(State::of("live")), R"("live")");
  constexpr std::string_view kCtx = R"({"expected":"'draft' or 'live'"})";
  EXPECT_EQ(errors<State>(R"("Live")"), one("literal_error", "Input should be 'draft' or 'live'", R"("Live")", kCtx));
  EXPECT_EQ(errors<State>("1"), one("literal_error", "Input should be 'draft' or 'live'", "1", kCtx));
  std::string s;
  schema<OneOf<"a", "b", "c">>(s);
  EXPECT_EQ(s, R"({"type":"string","enum":["a","b","c"]})");
}

TEST(RouterTypes, ErrorsInAModelCarryTheFieldsLocation) {
  Event e{};
  const std::string body = errors_for(
      R"({"day":"2023-02-30","at":"x","alarm":"07:30","length":"P1D","id":"z","contact":"a@b.org","link":"ftp://a",)"
      R"("price":"1","blob":"","state":"live","related":["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","nope"]})",
      e);
  for (std::string_view want :
       {R"("type":"date_from_datetime_parsing","loc":["body","day"])", R"("type":"datetime_parsing","loc":["body","at"])",
        R"("type":"uuid_parsing","loc":["body","id"])", R"("type":"url_scheme","loc":["body","link"])",
        R"("type":"uuid_parsing","loc":["body","related",1])"})
    EXPECT_NE(body.find(want), std::string::npos) << want << "\n" << body;
}

TEST(RouterTypes, ValidateReadsABuiltValueBackFromItsText) {
  Errors errs;
  EXPECT_TRUE(validate(Date{2024, 2, 29}, errs));
  EXPECT_FALSE(validate(Date{2023, 2, 30}, errs));
  EXPECT_FALSE(validate(Time{25, 0, 0}, errs));
  EXPECT_FALSE(validate(Email{"not-an-email"}, errs));
  EXPECT_TRUE(validate(Decimal{"1.50"}, errs));
  EXPECT_FALSE(validate(Decimal{"1,5"}, errs));
  std::string body;
  errs.to_json(body);
  EXPECT_EQ(body,
            R"({"detail":[)"
            R"({"type":"date_from_datetime_parsing","loc":["response"],"msg":"Input should be a valid date or )"
            R"(datetime, day value is outside expected range","input":"2023-02-30","ctx":{"error":"day value is )"
            R"(outside expected range"}},)"
            R"({"type":"time_parsing","loc":["response"],"msg":"Input should be in a valid time format, hour value )"
            R"(is outside expected range of 0-23","input":"25:00:00","ctx":{"error":"hour value is outside )"
            R"(expected range of 0-23"}},)"
            R"({"type":"value_error","loc":["response"],"msg":"value is not a valid email address: An email )"
            R"(address must have an @-sign.","input":"not-an-email","ctx":{"reason":"An email address must have )"
            R"(an @-sign."}},)"
            R"({"type":"decimal_parsing","loc":["response"],"msg":"Input should be a valid decimal","input":"1,5"}]})");
}

TEST(RouterTypes, AnOptionalDecimalsSchemaIsOneFlatAnyOf) {
  std::string s;
  schema<std::optional<Decimal>>(s);
  EXPECT_EQ(s, R"({"anyOf":[{"type":"number"},{"type":"string"},{"type":"null"}]})");
}

TEST(RouterTypes, ValidateAcceptsBuiltValuesAndRefusesAnOutOfRangeChoice) {
  Errors errs;
  EXPECT_TRUE(validate(decoded<Event>(kEvent), errs));
  State bad;
  bad.index = 7;
  EXPECT_FALSE(validate(bad, errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs.items()[0].type, "literal_error");
}

// ---------------------------------------------------------------- as parameters

APIConfig no_docs() {
  APIConfig c;
  c.app.threads = 1;
  c.docs_url = "";
  return c;
}

TEST(RouterTypesParams, EveryTypeAsAPathOrQueryParameter) {
  API api(no_docs());
  api.get("/e/{id}/{day}",
          [](Path<"id", Uuid> id, Path<"day", Date> day, Query<"at", DateTime> at, Query<"t", Time> t,
             Query<"d", TimeDelta> d, Query<"mail", Email> mail, Query<"url", Url> url, Query<"price", Decimal> price,
             Query<"raw", Bytes> raw, Query<"state", State, State(1)> state,
             Query<"until", std::optional<Date>> until, Query<"ids", std::vector<Uuid>> ids) -> Task<PlainText> {
            std::string out = id->str() + " " + encoded(*day) + " " + encoded(*at) + " " + encoded(*t) + " " +
                              encoded(*d) + " " + mail->value + " " + url->value + " " + price->value + " " +
                              raw->value + " " + std::string(state->value()) + " " +
                              (until->has_value() ? encoded(**until) : "-") + " " + std::to_string(ids->size());
            co_return PlainText{out};
          });
  TestClient c(api.application());
  auto ok = c.get(
      "/e/A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11/2024-02-29?at=2024-01-01T10:00:00%2B01:00&t=10:20&d=P1D&"
      "mail=a@B.org&url=http://X.org&price=1.10&raw=a%2Bb&ids=a0eebc999c0b4ef8bb6d6bb9bd380a11&ids=" 
      "a0eebc999c0b4ef8bb6d6bb9bd380a12");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body,
            R"(a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 "2024-02-29" "2024-01-01T10:00:00+01:00" "10:20:00" "P1D" )"
            R"(a@b.org http://x.org/ 1.10 a+b live - 2)");

  auto bad = c.get("/e/nope/2023-02-30?at=x&t=25:00&d=P&mail=x&url=ftp://x&price=abc&raw=&state=gone&until=1&ids=1");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(
      bad.body,
      R"({"detail":[)"
      R"({"type":"uuid_parsing","loc":["path","id"],"msg":"Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1","input":"nope","ctx":{"error":"invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1"}},)"
      R"({"type":"date_from_datetime_parsing","loc":["path","day"],"msg":"Input should be a valid date or datetime, day value is outside expected range","input":"2023-02-30","ctx":{"error":"day value is outside expected range"}},)"
      R"({"type":"datetime_parsing","loc":["query","at"],"msg":"Input should be a valid datetime, input is too short","input":"x","ctx":{"error":"input is too short"}},)"
      R"({"type":"time_parsing","loc":["query","t"],"msg":"Input should be in a valid time format, hour value is outside expected range of 0-23","input":"25:00","ctx":{"error":"hour value is outside expected range of 0-23"}},)"
      R"({"type":"time_delta_parsing","loc":["query","d"],"msg":"Input should be a valid timedelta, input is too short","input":"P","ctx":{"error":"input is too short"}},)"
      R"({"type":"value_error","loc":["query","mail"],"msg":"value is not a valid email address: An email address must have an @-sign.","input":"x","ctx":{"reason":"An email address must have an @-sign."}},)"
      R"({"type":"url_scheme","loc":["query","url"],"msg":"URL scheme should be 'http' or 'https'","input":"ftp://x","ctx":{"expected_schemes":"'http' or 'https'"}},)"
      R"({"type":"decimal_parsing","loc":["query","price"],"msg":"Input should be a valid decimal","input":"abc"},)"
      R"({"type":"literal_error","loc":["query","state"],"msg":"Input should be 'draft' or 'live'","input":"gone","ctx":{"expected":"'draft' or 'live'"}},)"
      R"({"type":"date_from_datetime_parsing","loc":["query","until"],"msg":"Input should be a valid date or datetime, input is too short","input":"1","ctx":{"error":"input is too short"}},)"
      R"({"type":"uuid_parsing","loc":["query","ids",0],"msg":"Input should be a valid UUID, invalid length: expected length 32 for simple format, found 1","input":"1","ctx":{"error":"invalid length: expected length 32 for simple format, found 1"}}]})");
}

TEST(RouterTypesParams, BytesThatAreNotUtf8AreRefusedWithoutHarm) {
  API api(no_docs());
  api.get("/u", [](Query<"id", Uuid> id, Query<"day", Date> day) -> Task<PlainText> {
    co_return PlainText{id->str() + encoded(*day)};
  });
  TestClient c(api.application());
  auto r = c.get("/u?id=%FF%C3&day=2024-01-0%FF");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("found `\xEF\xBF\xBD` at 1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("type":"date_from_datetime_parsing","loc":["query","day"])"), std::string::npos) << r.body;
  // A character beyond ASCII is named whole.
  r = c.get("/u?id=%C3%A9&day=2024-01-01");
  EXPECT_NE(r.body.find("found `\xC3\xA9` at 1"), std::string::npos) << r.body;
}

TEST(RouterTypesParams, OpenApiGivesParametersTheirFormat) {
  API api;
  api.get("/p/{id}", [](Path<"id", Uuid> id, Query<"day", std::optional<Date>> day,
                        Query<"state", State, State(1)> state) -> Task<PlainText> {
    co_return PlainText{id->str() + (day->has_value() ? "d" : "") + std::string(state->value())};
  });
  const std::string& doc = api.openapi();
  EXPECT_NE(doc.find(R"("schema":{"type":"string","format":"uuid","title":"Id"})"), std::string::npos) << doc;
  EXPECT_NE(doc.find(R"("schema":{"anyOf":[{"type":"string","format":"date"},{"type":"null"}],"title":"Day"})"),
            std::string::npos)
      << doc;
  EXPECT_NE(doc.find(R"("schema":{"type":"string","enum":["draft","live"],"title":"State","default":"live"})"),
            std::string::npos)
      << doc;
}

}  // namespace rt_types
