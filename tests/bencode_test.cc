#include "core/bencode.h"

#include <gtest/gtest.h>

#include <string>

#include "core/bencode_value.h"

namespace fluxo::bencode {
namespace {

Status decode_error(std::string_view in, const Limits& limits = {}) {
  auto r = decode(in, limits);
  EXPECT_FALSE(r.is_ok()) << "accepted: " << in.substr(0, 80);
  return r.status();
}

void expect_rejected(std::string_view in) { (void)decode_error(in); }

TEST(Bencode, DecodesIntegers) {
  auto d = decode("i42e");
  ASSERT_TRUE(d) << d.status().to_string();
  EXPECT_EQ(*d->root().as_int(), 42);
  EXPECT_EQ(*decode("i-7e")->root().as_int(), -7);
  EXPECT_EQ(*decode("i0e")->root().as_int(), 0);
  EXPECT_EQ(*decode("i9223372036854775807e")->root().as_int(), INT64_MAX);
  EXPECT_EQ(*decode("i-9223372036854775808e")->root().as_int(), INT64_MIN);
}

TEST(Bencode, RejectsNonCanonicalIntegers) {
  EXPECT_EQ(decode_error("i03e").code(), ErrorCode::parse_error);
  EXPECT_EQ(decode_error("i-0e").message(), "negative zero");
  EXPECT_EQ(decode_error("i-03e").code(), ErrorCode::parse_error);
  expect_rejected("ie");
  expect_rejected("i-e");
  expect_rejected("i+5e");
  expect_rejected("i5");
  expect_rejected("i 5e");
}

TEST(Bencode, RejectsIntegersOutOfRange) {
  expect_rejected("i9223372036854775808e");
  expect_rejected("i-9223372036854775809e");
  auto s = decode_error("i123456789012345678901234567890e");
  EXPECT_NE(s.message().find("64-bit"), std::string::npos);
  EXPECT_EQ(s.offset(), 1u);
}

TEST(Bencode, DecodesStringsWithoutCopying) {
  std::string in = "5:hello";
  auto d = decode(in);
  ASSERT_TRUE(d);
  auto s = *d->root().as_string();
  EXPECT_EQ(s, "hello");
  EXPECT_EQ(s.data(), in.data() + 2);  // a view into the input
  EXPECT_EQ(*decode("0:")->root().as_string(), "");
}

TEST(Bencode, ChecksStringLengthsAgainstTheInput) {
  auto s = decode_error("5:abc");
  EXPECT_NE(s.message().find("exceeds"), std::string::npos);
  EXPECT_EQ(s.offset(), 0u);
  // Lengths that would overflow any integer type fail before any use.
  expect_rejected("99999999999999999999999999:x");
  expect_rejected("4294967296:x");
  expect_rejected("18446744073709551616:x");
  expect_rejected("05:hello");  // leading zero
  expect_rejected("-1:x");
  expect_rejected("5hello");
}

TEST(Bencode, DecodesNestedContainers) {
  auto d = decode("d4:listli1ei2ee3:numi3e3:strd1:ai1eee");
  ASSERT_TRUE(d) << d.status().to_string();
  Node root = d->root();
  ASSERT_TRUE(root.is_dict());
  EXPECT_EQ(root.size(), 3u);
  auto list = root.find("list");
  ASSERT_TRUE(list);
  std::vector<std::int64_t> values;
  for (Node n : list->items()) values.push_back(*n.as_int());
  EXPECT_EQ(values, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(*root.find("num")->as_int(), 3);
  EXPECT_EQ(root.find("str")->raw(), "d1:ai1ee");
  EXPECT_FALSE(root.find("missing"));
  std::vector<std::string_view> keys;
  for (auto [k, v] : root.entries()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string_view>{"list", "num", "str"}));
}

TEST(Bencode, EmptyContainers) {
  EXPECT_EQ(decode("le")->root().size(), 0u);
  EXPECT_EQ(decode("de")->root().size(), 0u);
  auto d = decode("lledee");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->root().size(), 2u);
}

TEST(Bencode, RejectsTruncatedInput) {
  expect_rejected("");
  expect_rejected("l");
  expect_rejected("li1e");
  expect_rejected("d3:foo");
  expect_rejected("d3:fooi1e");
  expect_rejected("i12");
  expect_rejected("3:ab");
  auto s = decode_error("lli1ee");
  EXPECT_EQ(s.offset(), 6u);
}

TEST(Bencode, RejectsTrailingGarbage) {
  auto s = decode_error("i1ei2e");
  EXPECT_EQ(s.offset(), 3u);
  EXPECT_NE(s.message().find("trailing"), std::string::npos);
  expect_rejected("dee");
  expect_rejected("4:spamX");
}

TEST(Bencode, RejectsNonStringKeys) {
  expect_rejected("di1ei2ee");
  expect_rejected("dlei1ee");
}

TEST(Bencode, RejectsKeyWithoutValue) { expect_rejected("d3:fooe"); }

TEST(Bencode, RejectsDuplicateKeys) {
  EXPECT_NE(decode_error("d1:ai1e1:ai2ee").message().find("duplicate"), std::string::npos);
  // Duplicates hidden by unsorted order are found too.
  EXPECT_NE(decode_error("d1:bi1e1:ai2e1:bi3ee").message().find("duplicate"), std::string::npos);
}

TEST(Bencode, AcceptsUnsortedKeysButReportsThem) {
  auto d = decode("d1:bi1e1:ai2ee");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->canonical());
  EXPECT_EQ(*d->root().find("a")->as_int(), 2);
  EXPECT_TRUE(decode("d1:ai1e1:bi2ee")->canonical());
}

TEST(Bencode, KeysCompareAsUnsignedBytes) {
  // 0xff sorts after 'a' as raw bytes.
  std::string in = "d1:ai1e1:\xffi2ee";
  auto d = decode(in);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->canonical());
}

TEST(Bencode, BoundsDepthWithoutRecursion) {
  std::string deep(100000, 'l');
  deep += std::string(100000, 'e');
  auto s = decode_error(deep);
  EXPECT_EQ(s.code(), ErrorCode::limit_exceeded);
  EXPECT_EQ(s.offset(), 100u);
  Limits l;
  l.max_depth = 3;
  EXPECT_TRUE(decode("llleee", l));
  EXPECT_EQ(decode_error("lllleeee", l).code(), ErrorCode::limit_exceeded);
}

TEST(Bencode, BoundsTokenCount) {
  std::string many = "l";
  for (int i = 0; i < 1000; ++i) many += "i1e";
  many += "e";
  Limits l;
  l.max_tokens = 500;
  EXPECT_EQ(decode_error(many, l).code(), ErrorCode::limit_exceeded);
  l.max_tokens = 1001;
  EXPECT_TRUE(decode(many, l));
}

TEST(Bencode, MillionsOfTinyItemsStayWithinTheTokenLimit) {
  std::string many = "l";
  for (int i = 0; i < 3'000'000; ++i) many += "0:";
  many += "e";
  Limits l;
  l.max_tokens = 1'000'000;
  EXPECT_EQ(decode_error(many, l).code(), ErrorCode::limit_exceeded);
  auto d = decode(many);  // default limits take it
  ASSERT_TRUE(d) << d.status().to_string();
  EXPECT_EQ(d->root().size(), 3'000'000u);
}

TEST(Bencode, BoundsInputSize) {
  Limits l;
  l.max_input_size = 4;
  EXPECT_EQ(decode_error("5:hello", l).code(), ErrorCode::limit_exceeded);
}

TEST(Bencode, RejectsUnknownBytes) {
  auto s = decode_error("x");
  EXPECT_EQ(s.offset(), 0u);
  expect_rejected("e");
  expect_rejected("l\x00e");
}

TEST(Bencode, RawSpansAreExactInputBytes) {
  std::string in = "d4:infod1:bi1e1:ai2eee";  // unsorted inner dict kept as-is
  auto d = decode(in);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->root().find("info")->raw(), "d1:bi1e1:ai2ee");
}

TEST(BencodeValue, EncodesCanonically) {
  Value::Dict d;
  d["zeta"] = 1;
  d["alpha"] = Value::List{Value("x"), Value(-5)};
  EXPECT_EQ(encode(Value(d)), "d5:alphal1:xi-5ee4:zetai1ee");
  EXPECT_EQ(encode(Value(std::string("a\0b", 3))), std::string("3:a\0b", 5));
}

TEST(BencodeValue, RoundTripsCanonicalInput) {
  for (std::string in : {"i0e", "le", "de", "d1:ai1e1:bl1:c1:dee", "l0:i-1ed1:xdeee",
                         "d8:announce3:url4:infod6:lengthi5e4:name1:xee"}) {
    auto d = decode(in);
    ASSERT_TRUE(d) << in;
    EXPECT_EQ(encode(to_value(d->root())), in);
  }
}

TEST(BencodeValue, ReencodingSortsUnsortedInput) {
  auto d = decode("d1:bi1e1:ai2ee");
  ASSERT_TRUE(d);
  EXPECT_EQ(encode(to_value(d->root())), "d1:ai2e1:bi1ee");
}

}  // namespace
}  // namespace fluxo::bencode
