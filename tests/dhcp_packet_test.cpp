#include "dhcp_packet.hpp"

#include <gtest/gtest.h>
#include <string.h>

#include <initializer_list>
#include <vector>

using namespace runall;

namespace {

// Builds packets byte by byte, independently of EncodeDhcpPacket, so that
// the parser is tested against the wire format rather than against itself.
struct Raw {
  std::vector<uint8_t> b;
  Raw(uint8_t op = 1, uint8_t htype = 1, uint8_t hlen = 6) : b(240, 0) {
    b[0] = op;
    b[1] = htype;
    b[2] = hlen;
    b[4] = 0x12;
    b[5] = 0x34;
    b[6] = 0x56;
    b[7] = 0x78;   // xid
    b[10] = 0x80;  // broadcast flag
    const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
    memcpy(&b[28], mac, 6);
    b[236] = 99;
    b[237] = 130;
    b[238] = 83;
    b[239] = 99;
  }
  Raw& Opt(uint8_t code, std::initializer_list<uint8_t> value) {
    b.push_back(code);
    b.push_back(static_cast<uint8_t>(value.size()));
    b.insert(b.end(), value);
    return *this;
  }
  Raw& OptN(uint8_t code, size_t n, uint8_t fill) {
    b.push_back(code);
    b.push_back(static_cast<uint8_t>(n));
    b.insert(b.end(), n, fill);
    return *this;
  }
  Raw& Byte(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Raw& End() { return Byte(255); }
  // Writes options into the sname (44..107) or file (108..235) field.
  Raw& At(size_t offset, std::initializer_list<uint8_t> bytes) {
    size_t i = offset;
    for (uint8_t v : bytes) b[i++] = v;
    return *this;
  }
};

DhcpParseError ParseError(const std::vector<uint8_t>& bytes) {
  DhcpPacket p;
  DhcpParseError e = DhcpParseError::kNone;
  if (ParseDhcpPacket(bytes.data(), bytes.size(), &p, &e)) return DhcpParseError::kNone;
  EXPECT_NE(e, DhcpParseError::kNone);
  return e;
}

Raw Discover() {
  Raw r;
  r.Opt(53, {1});
  return r;
}

}  // namespace

TEST(ParseDhcpPacket, ReadsADiscoverAsAClientSendsIt) {
  Raw r;
  r.Opt(53, {1})
      .Opt(61, {1, 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef})
      .Opt(55, {1, 3, 6, 12, 15})
      .Opt(57, {0x05, 0xdc})
      .Opt(50, {172, 20, 3, 2})
      .Opt(12, {'g', 'u', 'e', 's', 't'})
      .End();
  DhcpPacket p;
  DhcpParseError e;
  ASSERT_TRUE(ParseDhcpPacket(r.b.data(), r.b.size(), &p, &e)) << DhcpParseErrorText(e);
  EXPECT_EQ(p.op, kBootRequest);
  EXPECT_EQ(p.htype, 1);
  EXPECT_EQ(p.hlen, 6);
  EXPECT_EQ(p.xid, 0x12345678u);
  EXPECT_TRUE(p.Broadcast());
  EXPECT_EQ(p.chaddr[0], 0x52);
  EXPECT_EQ(p.chaddr[5], 0xef);
  EXPECT_EQ(p.message_type, kDhcpDiscover);
  EXPECT_EQ(p.client_id.len, 7);
  EXPECT_EQ(p.client_id.data[0], 1);
  EXPECT_EQ(p.parameters.len, 5);
  EXPECT_TRUE(p.Requests(kOptHostname));
  EXPECT_FALSE(p.Requests(kOptLeaseTime));
  EXPECT_EQ(p.max_message_size, 1500);
  EXPECT_EQ(p.requested_address, (172u << 24) | (20u << 16) | (3u << 8) | 2u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(p.hostname.data), p.hostname.len), "guest");
  EXPECT_EQ(p.server_id, 0u);
}

TEST(ParseDhcpPacket, SkipsPadsAndUnknownOptionsAndIgnoresWhatFollowsEnd) {
  Raw r;
  r.Byte(0).Byte(0).Opt(200, {}).Opt(201, {1, 2, 3}).Opt(53, {3}).Byte(0).End();
  r.Byte(53).Byte(1).Byte(7);  // after the end option: padding by definition
  DhcpPacket p;
  ASSERT_TRUE(ParseDhcpPacket(r.b.data(), r.b.size(), &p, nullptr));
  EXPECT_EQ(p.message_type, kDhcpRequest);
}

TEST(ParseDhcpPacket, AcceptsOptionsThatFillThePacketWithoutEnd) {
  Raw r = Discover();  // no end option: the last option ends the packet
  DhcpPacket p;
  EXPECT_TRUE(ParseDhcpPacket(r.b.data(), r.b.size(), &p, nullptr));
}

TEST(ParseDhcpPacket, ReadsReplyOptions) {
  Raw r(2);
  r.Opt(53, {5})
      .Opt(54, {172, 20, 3, 1})
      .Opt(51, {0, 0, 0, 120})
      .Opt(58, {0, 0, 0, 60})
      .Opt(59, {0, 0, 0, 105})
      .Opt(1, {255, 255, 255, 0})
      .Opt(3, {172, 20, 3, 1, 10, 0, 0, 1})
      .Opt(15, {'l', 'a', 'n'})
      .Opt(56, {'n', 'o'})
      .OptN(6, 40, 9)  // ten servers: the first eight are kept
      .End();
  DhcpPacket p;
  ASSERT_TRUE(ParseDhcpPacket(r.b.data(), r.b.size(), &p, nullptr));
  EXPECT_EQ(p.op, kBootReply);
  EXPECT_EQ(p.message_type, kDhcpAck);
  EXPECT_EQ(p.server_id, 0xac140301u);
  EXPECT_EQ(p.lease_time, 120u);
  EXPECT_EQ(p.renewal_time, 60u);
  EXPECT_EQ(p.rebinding_time, 105u);
  EXPECT_EQ(p.subnet_mask, 0xffffff00u);
  EXPECT_EQ(p.router, 0xac140301u);  // the first router listed
  EXPECT_EQ(p.dns_count, 8);
  EXPECT_EQ(p.dns[7], 0x09090909u);
  EXPECT_EQ(p.domain.len, 3);
  EXPECT_EQ(p.message.len, 2);
}

TEST(ParseDhcpPacket, RefusesEveryTruncatedHeader) {
  Raw r = Discover();
  r.End();
  for (size_t n = 0; n < kDhcpMinSize; ++n) {
    DhcpPacket p;
    DhcpParseError e;
    EXPECT_FALSE(ParseDhcpPacket(r.b.data(), n, &p, &e)) << n;
    EXPECT_EQ(e, DhcpParseError::kTruncated);
  }
}

TEST(ParseDhcpPacket, RefusesAnOversizedPacket) {
  Raw r = Discover();
  r.b.resize(kDhcpMaxSize + 1, 0);
  EXPECT_EQ(ParseError(r.b), DhcpParseError::kTooLong);
  r.b.resize(kDhcpMaxSize);
  EXPECT_EQ(ParseError(r.b), DhcpParseError::kNone);
}

TEST(ParseDhcpPacket, RefusesBadOpAndHardwareFields) {
  for (uint8_t op : {0, 3, 255}) {
    Raw r(op);
    r.Opt(53, {1});
    EXPECT_EQ(ParseError(r.b), DhcpParseError::kBadOp) << int(op);
  }
  for (uint8_t hlen : {0, 5, 7, 17, 255}) {
    Raw r(1, 1, hlen);
    r.Opt(53, {1});
    EXPECT_EQ(ParseError(r.b), DhcpParseError::kBadHardware) << int(hlen);
  }
  Raw other(1, 6, 16);  // IEEE 802 with a 16-byte address is fine
  other.Opt(53, {1});
  EXPECT_EQ(ParseError(other.b), DhcpParseError::kNone);
  Raw huge(1, 6, 17);
  huge.Opt(53, {1});
  EXPECT_EQ(ParseError(huge.b), DhcpParseError::kBadHardware);
}

TEST(ParseDhcpPacket, RefusesPlainBootpAndABadCookie) {
  Raw r = Discover();
  r.b[239] = 98;
  EXPECT_EQ(ParseError(r.b), DhcpParseError::kBadCookie);
  Raw zero = Discover();
  memset(&zero.b[236], 0, 4);
  EXPECT_EQ(ParseError(zero.b), DhcpParseError::kBadCookie);
}

TEST(ParseDhcpPacket, RefusesAnOptionRunningPastTheEnd) {
  Raw r = Discover();
  r.Byte(12).Byte(10).Byte('a').Byte('b');  // says 10 bytes, has 2
  EXPECT_EQ(ParseError(r.b), DhcpParseError::kOptionOverflow);
  Raw no_len = Discover();
  no_len.Byte(12);  // a code with no length byte after it
  EXPECT_EQ(ParseError(no_len.b), DhcpParseError::kOptionOverflow);
  Raw max = Discover();
  max.Byte(61).Byte(255);
  EXPECT_EQ(ParseError(max.b), DhcpParseError::kOptionOverflow);
}

TEST(ParseDhcpPacket, NeedsExactlyOneWellFormedMessageType) {
  Raw none;
  none.Opt(12, {'x'}).End();
  EXPECT_EQ(ParseError(none.b), DhcpParseError::kNoMessageType);
  Raw empty;
  empty.Opt(53, {}).End();
  EXPECT_EQ(ParseError(empty.b), DhcpParseError::kBadLength);
  Raw two_bytes;
  two_bytes.Opt(53, {1, 3}).End();
  EXPECT_EQ(ParseError(two_bytes.b), DhcpParseError::kBadLength);
  Raw twice;  // joined per RFC 3396 this is two bytes: ambiguous, refused
  twice.Opt(53, {1}).Opt(53, {3}).End();
  EXPECT_EQ(ParseError(twice.b), DhcpParseError::kBadLength);
  for (uint8_t t : {0, 9, 13, 255}) {
    Raw r;
    r.Opt(53, {t}).End();
    EXPECT_EQ(ParseError(r.b), DhcpParseError::kBadMessageType) << int(t);
  }
  for (uint8_t t = 1; t <= 8; ++t) {
    Raw r;
    r.Opt(53, {t}).End();
    EXPECT_EQ(ParseError(r.b), DhcpParseError::kNone) << int(t);
  }
}

TEST(ParseDhcpPacket, RefusesOptionsOfTheWrongSize) {
  struct Case {
    uint8_t code;
    size_t len;
  } bad[] = {{50, 3}, {50, 5}, {54, 0}, {54, 8}, {51, 2}, {1, 6},  {57, 1}, {57, 4}, {3, 3},
             {6, 0},  {6, 5},  {61, 1}, {61, 0}, {12, 0}, {15, 0}, {55, 0}, {56, 0}, {58, 1}};
  for (const Case& c : bad) {
    Raw r = Discover();
    r.OptN(c.code, c.len, 1).End();
    EXPECT_EQ(ParseError(r.b), DhcpParseError::kBadLength) << int(c.code) << "/" << c.len;
  }
}

TEST(ParseDhcpPacket, JoinsSplitOptionsAsRfc3396Says) {
  Raw r = Discover();
  r.Opt(61, {1, 0xaa}).Opt(61, {0xbb, 0xcc}).Opt(50, {172, 20}).Opt(50, {3, 2}).End();
  DhcpPacket p;
  ASSERT_TRUE(ParseDhcpPacket(r.b.data(), r.b.size(), &p, nullptr));
  ASSERT_EQ(p.client_id.len, 4);
  EXPECT_EQ(p.client_id.data[3], 0xcc);
  EXPECT_EQ(p.requested_address, 0xac140302u);

  Raw dup = Discover();  // two whole addresses join into eight bytes
  dup.Opt(50, {172, 20, 3, 2}).Opt(50, {172, 20, 3, 9}).End();
  EXPECT_EQ(ParseError(dup.b), DhcpParseError::kBadLength);

  Raw long_id = Discover();
  long_id.OptN(61, 200, 7).OptN(61, 100, 7).End();
  EXPECT_EQ(ParseError(long_id.b), DhcpParseError::kTooLongOption);
}

TEST(ParseDhcpPacket, ReadsOptionsOverloadedIntoFileAndSname) {
  // Options field: type, overload = both; file then sname hold the rest.
  Raw r = Discover();
  r.Opt(52, {3}).End();
  r.At(108, {61, 2, 1, 0xaa, 255});               // file: first part of the id
  r.At(44, {61, 1, 0xbb, 12, 2, 'h', 'i', 255});  // sname: the rest, hostname
  DhcpPacket p;
  DhcpParseError e;
  ASSERT_TRUE(ParseDhcpPacket(r.b.data(), r.b.size(), &p, &e)) << DhcpParseErrorText(e);
  ASSERT_EQ(p.client_id.len, 3);
  EXPECT_EQ(p.client_id.data[1], 0xaa);  // file is read before sname
  EXPECT_EQ(p.client_id.data[2], 0xbb);
  EXPECT_EQ(p.hostname.len, 2);

  Raw file_only = Discover();
  file_only.Opt(52, {1}).End();
  file_only.At(108, {50, 4, 172, 20, 3, 2});  // no end option: pads to the end
  ASSERT_TRUE(ParseDhcpPacket(file_only.b.data(), file_only.b.size(), &p, nullptr));
  EXPECT_EQ(p.requested_address, 0xac140302u);

  Raw sname_ignored = Discover();  // without overload, sname is a name
  sname_ignored.End();
  sname_ignored.At(44, {53, 1, 9});
  ASSERT_TRUE(ParseDhcpPacket(sname_ignored.b.data(), sname_ignored.b.size(), &p, nullptr));
  EXPECT_EQ(p.message_type, kDhcpDiscover);
}

TEST(ParseDhcpPacket, RefusesABadOverload) {
  for (uint8_t v : {0, 4, 255}) {
    Raw r = Discover();
    r.Opt(52, {v}).End();
    EXPECT_EQ(ParseError(r.b), DhcpParseError::kBadOverload) << int(v);
  }
  Raw split = Discover();  // an empty piece, then the value (found by fuzzing)
  split.Opt(52, {}).Opt(52, {2}).End();
  split.At(44, {12, 1, 'x', 255});
  DhcpPacket p;
  ASSERT_TRUE(ParseDhcpPacket(split.b.data(), split.b.size(), &p, nullptr));
  EXPECT_EQ(p.hostname.len, 1);
  Raw empty_last = Discover();  // the empty piece last, at the very end
  empty_last.Opt(52, {1});
  empty_last.Byte(52).Byte(0);
  EXPECT_EQ(ParseError(empty_last.b), DhcpParseError::kNone);
  Raw wide = Discover();
  wide.Opt(52, {1, 1}).End();
  EXPECT_EQ(ParseError(wide.b), DhcpParseError::kBadOverload);
  Raw nested = Discover();  // an overload inside the overloaded field
  nested.Opt(52, {1}).End();
  nested.At(108, {52, 1, 2, 255});
  EXPECT_EQ(ParseError(nested.b), DhcpParseError::kBadOverload);
  Raw overflow = Discover();  // runs past the end of file into the cookie
  overflow.Opt(52, {1}).End();
  overflow.At(230, {12, 10, 'a'});
  EXPECT_EQ(ParseError(overflow.b), DhcpParseError::kOptionOverflow);
  Raw sname_overflow = Discover();  // must not spill from sname into file
  sname_overflow.Opt(52, {2}).End();
  sname_overflow.At(104, {12, 6, 'a', 'b'});
  EXPECT_EQ(ParseError(sname_overflow.b), DhcpParseError::kOptionOverflow);
}

TEST(EncodeDhcpPacket, WritesEveryFieldSoThatParsingGivesItBack) {
  DhcpPacket in;
  in.op = kBootReply;
  in.htype = 1;
  in.hlen = 6;
  in.xid = 0xdeadbeef;
  in.flags = kDhcpBroadcastFlag;
  in.ciaddr = 0x01020304;
  in.yiaddr = 0xac140302;
  in.chaddr[0] = 0x52;
  in.message_type = kDhcpAck;
  in.server_id = 0xac140301;
  in.lease_time = 120;
  in.renewal_time = 60;
  in.rebinding_time = 105;
  in.subnet_mask = 0xffffff00;
  in.router = 0xac140301;
  in.dns_count = 2;
  in.dns[0] = 0xc0000235;
  in.dns[1] = 0xc0000236;
  in.hostname.Assign("guest3", 6);
  in.domain.Assign("example.test", 12);
  in.client_id.Assign("\x01\x52\x54\x00\x01\x02\x03", 7);
  uint8_t buf[kDhcpMaxSize];
  size_t n = EncodeDhcpPacket(in, buf, sizeof buf);
  ASSERT_GE(n, kDhcpMinEncodedSize);
  EXPECT_EQ(buf[236], 99);
  EXPECT_EQ(buf[240], kOptMessageType);  // the first option, always
  DhcpPacket out;
  DhcpParseError e;
  ASSERT_TRUE(ParseDhcpPacket(buf, n, &out, &e)) << DhcpParseErrorText(e);
  EXPECT_EQ(out.op, in.op);
  EXPECT_EQ(out.xid, in.xid);
  EXPECT_EQ(out.flags, in.flags);
  EXPECT_EQ(out.ciaddr, in.ciaddr);
  EXPECT_EQ(out.yiaddr, in.yiaddr);
  EXPECT_EQ(out.chaddr[0], 0x52);
  EXPECT_EQ(out.message_type, kDhcpAck);
  EXPECT_EQ(out.server_id, in.server_id);
  EXPECT_EQ(out.lease_time, 120u);
  EXPECT_EQ(out.renewal_time, 60u);
  EXPECT_EQ(out.rebinding_time, 105u);
  EXPECT_EQ(out.subnet_mask, in.subnet_mask);
  EXPECT_EQ(out.router, in.router);
  ASSERT_EQ(out.dns_count, 2);
  EXPECT_EQ(out.dns[1], in.dns[1]);
  EXPECT_EQ(out.hostname.len, 6);
  EXPECT_EQ(out.domain.len, 12);
  EXPECT_EQ(out.client_id.len, 7);
  EXPECT_EQ(out.requested_address, 0u);
}

TEST(EncodeDhcpPacket, PadsToTheBootpMinimumAndRefusesASmallBuffer) {
  DhcpPacket p;
  p.op = kBootRequest;
  p.htype = 1;
  p.hlen = 6;
  p.message_type = kDhcpDiscover;
  uint8_t buf[kDhcpMaxSize];
  memset(buf, 0xee, sizeof buf);
  size_t n = EncodeDhcpPacket(p, buf, sizeof buf);
  EXPECT_EQ(n, kDhcpMinEncodedSize);
  EXPECT_EQ(buf[243], kOptEnd);
  for (size_t i = 244; i < n; ++i) ASSERT_EQ(buf[i], 0) << i;
  EXPECT_EQ(EncodeDhcpPacket(p, buf, kDhcpMinEncodedSize - 1), 0u);
}

TEST(EncodeDhcpPacket, LeavesOutWhatDoesNotFitAndKeepsWhatMatters) {
  DhcpPacket p;
  p.op = kBootReply;
  p.htype = 1;
  p.hlen = 6;
  p.message_type = kDhcpOffer;
  p.server_id = 0xac140301;
  p.lease_time = 120;
  std::string big(255, 'x');
  p.client_id.Assign(big.data(), big.size());
  p.hostname.Assign(big.data(), 63);
  p.domain.Assign(big.data(), 200);
  uint8_t buf[kDhcpDefaultMaxSize];
  size_t n = EncodeDhcpPacket(p, buf, sizeof buf);
  ASSERT_LE(n, sizeof buf);
  DhcpPacket out;
  ASSERT_TRUE(ParseDhcpPacket(buf, n, &out, nullptr));
  EXPECT_EQ(out.message_type, kDhcpOffer);
  EXPECT_EQ(out.server_id, p.server_id);
  EXPECT_EQ(out.lease_time, 120u);
  EXPECT_EQ(out.client_id.len, 255);
  EXPECT_TRUE(out.domain.empty());  // the least important, and too big
}

TEST(EncodeDhcpPacket, EveryPrefixOfAnEncodedPacketParsesOrIsRefused) {
  DhcpPacket p;
  p.op = kBootRequest;
  p.htype = 1;
  p.hlen = 6;
  p.message_type = kDhcpRequest;
  p.requested_address = 0xac140302;
  p.server_id = 0xac140301;
  p.client_id.Assign("\x01\x02\x03", 3);
  p.parameters.Assign("\x01\x03\x06", 3);
  uint8_t buf[kDhcpMaxSize];
  size_t n = EncodeDhcpPacket(p, buf, sizeof buf);
  for (size_t len = 0; len <= n; ++len) {
    DhcpPacket out;
    DhcpParseError e = DhcpParseError::kNone;
    if (ParseDhcpPacket(buf, len, &out, &e)) {
      EXPECT_EQ(out.message_type, kDhcpRequest);
    } else {
      EXPECT_NE(e, DhcpParseError::kNone);
    }
  }
}

TEST(DhcpNames, NameEveryMessageTypeAndError) {
  EXPECT_STREQ(DhcpMessageTypeName(kDhcpDiscover), "DHCPDISCOVER");
  EXPECT_STREQ(DhcpMessageTypeName(kDhcpInform), "DHCPINFORM");
  EXPECT_STREQ(DhcpMessageTypeName(77), "DHCP?");
  for (int e = 0; e <= static_cast<int>(DhcpParseError::kBadMessageType); ++e)
    EXPECT_GT(strlen(DhcpParseErrorText(static_cast<DhcpParseError>(e))), 3u);
}
