// The typed codec (docs/core.md, "Typed codec") and UTF-8 validation.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <vector>

#include <duroxide/codec.hpp>
#include <duroxide/wire.hpp>

using namespace duroxide;

namespace {
struct Order {
  std::string sku;
  int qty = 0;
  bool operator==(const Order&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Order, sku, qty)
}  // namespace

TEST(UnitCodec, EncodeStoresStringsRawAndEverythingElseAsCompactJson) {
  EXPECT_EQ(codec::encode(std::string("abc")), "abc");
  EXPECT_EQ(codec::encode(std::string("with \"quotes\"")), "with \"quotes\"") << "no escaping of raw strings";
  EXPECT_EQ(codec::encode(42), "42");
  EXPECT_EQ(codec::encode(nullptr), "null");
  EXPECT_EQ(codec::encode(std::vector<int>{1, 2}), "[1,2]");
}

TEST(UnitCodec, EncodeSortsObjectKeys) {
  EXPECT_EQ(codec::encode(Order{"x", 2}), R"({"qty":2,"sku":"x"})");
  EXPECT_EQ(codec::encode(std::map<std::string, int>{{"b", 1}, {"a", 2}}), R"({"a":2,"b":1})");
}

TEST(UnitCodec, DecodeStringAcceptsRawAndQuoted) {
  EXPECT_EQ(codec::decode<std::string>("abc"), "abc");
  EXPECT_EQ(codec::decode<std::string>("\"abc\""), "abc");
  EXPECT_EQ(codec::decode<std::string>("123"), "123") << "a number falls back to its raw text";
  EXPECT_EQ(codec::decode<std::string>(""), "");
}

TEST(UnitCodec, DecodeStructsAndNumbers) {
  EXPECT_EQ(codec::decode<Order>(R"({"sku":"x","qty":2})"), (Order{"x", 2}));
  EXPECT_EQ(codec::decode<int>("5"), 5);
}

TEST(UnitCodec, DecodeFailuresReturnTheErrorText) {
  auto quoted_int = codec::decode<int>("\"5\"");
  ASSERT_FALSE(quoted_int.has_value()) << "a JSON string is not an int";
  EXPECT_FALSE(quoted_int.error().empty());
  // Like duroxide, the error reported is that of the raw-string fallback (the last attempt).
  auto bad_struct = codec::decode<Order>(R"({"sku":"x"})");
  ASSERT_FALSE(bad_struct.has_value());
  EXPECT_NE(bad_struct.error().find("type_error"), std::string::npos) << bad_struct.error();
}

TEST(UnitCodec, AnIntegerMustBeGivenAsAnIntegerInRange) {
  // nlohmann::json alone truncates 3.7 to 3, wraps 300 into a uint8_t and converts 1e300 with a
  // cast that is undefined behaviour; serde (duroxide) rejects all three, and so do we.
  for (const char* text : {"3.7", "1e300", "-1e300", "3.0"}) {
    auto value = codec::decode<int>(text);
    ASSERT_FALSE(value.has_value()) << text;
    EXPECT_NE(value.error().find("is not an integer"), std::string::npos) << value.error();
  }
  auto wrapped = codec::decode<std::uint8_t>("300");
  ASSERT_FALSE(wrapped.has_value());
  EXPECT_NE(wrapped.error().find("out of range"), std::string::npos) << wrapped.error();
  EXPECT_FALSE(codec::decode<unsigned>("-1").has_value());
  EXPECT_FALSE(codec::decode<std::int64_t>("18446744073709551615").has_value());
  EXPECT_EQ(codec::decode<std::uint64_t>("18446744073709551615"), 18446744073709551615ull);
  EXPECT_EQ(codec::decode<std::int8_t>("-128"), std::int8_t{-128});
  EXPECT_EQ(codec::decode<double>("1e300"), 1e300) << "a float target still takes any number";
}

TEST(UnitCodec, IntegersInsideContainersAreChecked) {
  EXPECT_FALSE((codec::decode<std::vector<int>>("[1, 2.5]").has_value()));
  EXPECT_FALSE((codec::decode<std::map<std::string, std::uint16_t>>(R"({"a": 70000})").has_value()));
  EXPECT_FALSE((codec::decode<std::vector<std::vector<std::int64_t>>>("[[1], [1e40]]").has_value()));
  EXPECT_EQ((codec::decode<std::vector<std::vector<std::int64_t>>>("[[1], [-2]]")),
            (std::vector<std::vector<std::int64_t>>{{1}, {-2}}));
}

namespace {
struct Counted {
  std::int32_t count = 0;
  bool operator==(const Counted&) const = default;
};
void from_json(const nlohmann::json& j, Counted& c) { c.count = codec::get_integer<std::int32_t>(j.at("count")); }
void to_json(nlohmann::json& j, const Counted& c) { j = nlohmann::json{{"count", c.count}}; }
}  // namespace

TEST(UnitCodec, GetIntegerChecksTheFieldsOfAUserType) {
  EXPECT_EQ(codec::decode<Counted>(R"({"count": 12})"), Counted{12});
  EXPECT_EQ(codec::encode(Counted{12}), R"({"count":12})");
  auto too_big = codec::decode<Counted>(R"({"count": 1e300})");
  ASSERT_FALSE(too_big.has_value());
  EXPECT_NE(too_big.error().find("1e+300 is not an integer"), std::string::npos) << too_big.error();
  EXPECT_FALSE(codec::decode<Counted>(R"({"count": 4294967296})").has_value());
}

TEST(UnitCodec, TypedValuesRoundTrip) {
  const Order order{"widget", 7};
  auto encoded = codec::encode(order);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(codec::decode<Order>(*encoded), order);
  auto text = codec::encode(std::string("plain"));
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(codec::decode<std::string>(*text), "plain");
}

TEST(UnitCodec, EncodeOfInvalidUtf8IsAnErrorNotAnException) {
  auto encoded = codec::encode(std::vector<std::string>{"ok", "bad\xff"});
  ASSERT_FALSE(encoded.has_value());
  EXPECT_NE(encoded.error().find("encode error"), std::string::npos) << encoded.error();
}

TEST(UnitUtf8, AcceptsWellFormedAndRejectsMalformed) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\xC3")) << "truncated sequence";
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF")) << "overlong encoding";
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80")) << "UTF-16 surrogate";
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80")) << "past U+10FFFF";
}
