// common/text.hpp: the ASCII helpers every tier shares, and the XML
// escaper behind the bench's chart and the profiler's flame graphs.
#include "common/text.hpp"

#include <gtest/gtest.h>

namespace {

using namespace strata::text;

TEST(Text, IequalsIgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_FALSE(iequals("content-length", "content-lengt"));
  EXPECT_FALSE(iequals("\xc3\x9c", "\xc3\xbc"));  // Ü and ü: not ASCII, not folded
}

TEST(Text, AsciiLoweredLowersAsciiLettersOnly) {
  EXPECT_EQ(ascii_lowered("Content-Type: X-Y_Z 42"), "content-type: x-y_z 42");
  EXPECT_EQ(ascii_lowered(""), "");
  // Bytes above 0x7f (a UTF-8 É) pass through unchanged.
  EXPECT_EQ(ascii_lowered("\xc3\x89T\xc3\xa9"), "\xc3\x89t\xc3\xa9");
}

TEST(Text, TrimOwsStripsSpacesAndTabsAtBothEnds) {
  EXPECT_EQ(trim_ows(" \t gzip, br \t"), "gzip, br");
  EXPECT_EQ(trim_ows(" \t "), "");
}

TEST(Text, XmlEscapeMakesEveryByteValidXml) {
  EXPECT_EQ(xml_escape(R"(<a href="x">Tom & 'Jerry'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;");
  // Control bytes are not XML, escaped or not; tab, newline and CR are.
  EXPECT_EQ(xml_escape(std::string_view("a\x01\tb\nc\x1b\x7f", 8)), "a\tb\nc\x7f");
  // UTF-8 passes through, unless only ASCII may.
  EXPECT_EQ(xml_escape("J\xc3\xbcrgen"), "J\xc3\xbcrgen");
  EXPECT_EQ(xml_escape("J\xc3\xbcrgen", /*ascii_only=*/true), "J??rgen");
}

}  // namespace
