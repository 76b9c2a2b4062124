#include "net/protocol/hpack.h"

#include <array>
#include <string_view>

namespace bulkhead::net {
namespace {

// RFC 7541 Appendix A.
constexpr std::array<std::pair<std::string_view, std::string_view>, 61> kStatic{{
    {":authority", ""}, {":method", "GET"}, {":method", "POST"}, {":path", "/"},
    {":path", "/index.html"}, {":scheme", "http"}, {":scheme", "https"}, {":status", "200"},
    {":status", "204"}, {":status", "206"}, {":status", "304"}, {":status", "400"},
    {":status", "404"}, {":status", "500"}, {"accept-charset", ""},
    {"accept-encoding", "gzip, deflate"}, {"accept-language", ""}, {"accept-ranges", ""},
    {"accept", ""}, {"access-control-allow-origin", ""}, {"age", ""}, {"allow", ""},
    {"authorization", ""}, {"cache-control", ""}, {"content-disposition", ""},
    {"content-encoding", ""}, {"content-language", ""}, {"content-length", ""},
    {"content-location", ""}, {"content-range", ""}, {"content-type", ""}, {"cookie", ""},
    {"date", ""}, {"etag", ""}, {"expect", ""}, {"expires", ""}, {"from", ""}, {"host", ""},
    {"if-match", ""}, {"if-modified-since", ""}, {"if-none-match", ""}, {"if-range", ""},
    {"if-unmodified-since", ""}, {"last-modified", ""}, {"link", ""}, {"location", ""},
    {"max-forwards", ""}, {"proxy-authenticate", ""}, {"proxy-authorization", ""},
    {"range", ""}, {"referer", ""}, {"refresh", ""}, {"retry-after", ""}, {"server", ""},
    {"set-cookie", ""}, {"strict-transport-security", ""}, {"transfer-encoding", ""},
    {"user-agent", ""}, {"vary", ""}, {"via", ""}, {"www-authenticate", ""},
}};

// RFC 7541 Appendix B: the code length of each symbol 0-255 (EOS, 256, has 30 bits). The
// code is canonical: codes of one length are consecutive in symbol order, so the lengths
// define it.
constexpr std::array<std::uint8_t, 256> kCodeLength{
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
    13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
    15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
    6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
};
constexpr int kEos = 256;
constexpr int kMaxBits = 30;

struct CanonicalCode {
  std::array<std::uint32_t, kMaxBits + 1> first{};  // first code of each length
  std::array<std::uint32_t, kMaxBits + 1> count{};  // codes of each length
  std::array<std::uint32_t, kMaxBits + 1> offset{};  // index in symbols of the first one
  std::array<std::uint16_t, 257> symbols{};          // by length, then by symbol
};

CanonicalCode makeCode() {
  CanonicalCode c;
  auto length = [](int sym) { return sym == kEos ? kMaxBits : int{kCodeLength[sym]}; };
  for (int sym = 0; sym <= kEos; ++sym) ++c.count[length(sym)];
  std::uint32_t code = 0, index = 0;
  for (int len = 1; len <= kMaxBits; ++len) {
    code = (code + c.count[len - 1]) << 1;
    c.first[len] = code;
    c.offset[len] = index;
    for (int sym = 0; sym <= kEos; ++sym) {
      if (length(sym) == len) c.symbols[index++] = static_cast<std::uint16_t>(sym);
    }
  }
  return c;
}

// An integer with an N-bit prefix (RFC 7541 section 5.1), at most 2^28.
bool readInteger(ByteReader& in, std::uint8_t first, int prefixBits, std::size_t& value) {
  const std::uint32_t mask = (1u << prefixBits) - 1;
  value = first & mask;
  if (value < mask) return true;
  for (int shift = 0; shift <= 21; shift += 7) {
    std::uint8_t b = 0;
    if (!in.u8(b)) return false;
    value += std::size_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

Result<std::string> readString(ByteReader& in) {
  std::uint8_t first = 0;
  std::size_t length = 0;
  Bytes raw;
  if (!in.u8(first) || !readInteger(in, first, 7, length) || !in.take(length, raw)) {
    return makeError("HPACK string runs past the header block");
  }
  if (first & 0x80) return huffmanDecode(raw);
  return std::string(asText(raw));
}

}  // namespace

Result<std::string> huffmanDecode(Bytes in) {
  static const CanonicalCode code = makeCode();
  std::string out;
  out.reserve(in.size() * 8 / 5);
  std::uint32_t bits = 0;
  int length = 0;
  for (const std::uint8_t byte : in) {
    for (int i = 7; i >= 0; --i) {
      bits = bits << 1 | ((byte >> i) & 1u);
      ++length;
      const std::uint32_t delta = bits - code.first[length];
      if (bits >= code.first[length] && delta < code.count[length]) {
        const std::uint16_t sym = code.symbols[code.offset[length] + delta];
        if (sym == kEos) return makeError("HPACK Huffman string contains EOS");
        out += static_cast<char>(sym);
        bits = 0;
        length = 0;
      } else if (length == kMaxBits) {
        return makeError("HPACK Huffman string has an invalid code");
      }
    }
  }
  // Padding: fewer than 8 bits, all ones (the start of EOS).
  if (length > 7 || bits != (1u << length) - 1) {
    return makeError("HPACK Huffman string has invalid padding");
  }
  return out;
}

Result<Header> HpackDecoder::entry(std::size_t index) const {
  if (index >= 1 && index <= kStatic.size()) {
    const auto& [name, value] = kStatic[index - 1];
    return Header{std::string(name), std::string(value)};
  }
  if (index > kStatic.size() && index - kStatic.size() <= dynamic_.size()) {
    return dynamic_[index - kStatic.size() - 1];
  }
  return makeError("HPACK index {} is not in the tables", index);
}

void HpackDecoder::evict(std::size_t room) {
  while (!dynamic_.empty() && size_ + room > maxSize_) {
    size_ -= dynamic_.back().first.size() + dynamic_.back().second.size() + 32;
    dynamic_.pop_back();
  }
}

void HpackDecoder::insert(Header header) {
  const std::size_t size = header.first.size() + header.second.size() + 32;
  evict(size);
  if (size > maxSize_) return;  // larger than the table: the table is now empty
  size_ += size;
  dynamic_.push_front(std::move(header));
}

Result<std::vector<Header>> HpackDecoder::decode(Bytes block) {
  ByteReader in(block);
  std::vector<Header> headers;
  std::size_t total = 0;
  std::uint8_t b = 0;
  while (in.u8(b)) {
    std::size_t index = 0;
    if (b & 0x80) {  // indexed
      if (!readInteger(in, b, 7, index)) return makeError("HPACK integer runs past the block");
      auto h = entry(index);
      if (!h) return h.error();
      total += h->first.size() + h->second.size();
      headers.push_back(std::move(*h));
    } else if ((b & 0xe0) == 0x20) {  // dynamic table size update
      if (!readInteger(in, b, 5, index)) return makeError("HPACK integer runs past the block");
      if (index > kMaxTableSize) return makeError("HPACK table size {} is too large", index);
      maxSize_ = index;
      evict(0);
    } else {  // literal: with incremental indexing (01), without (0000) or never (0001)
      const bool indexing = (b & 0xc0) == 0x40;
      if (!readInteger(in, b, indexing ? 6 : 4, index)) {
        return makeError("HPACK integer runs past the block");
      }
      Header h;
      if (index != 0) {
        auto named = entry(index);
        if (!named) return named.error();
        h.first = std::move(named->first);
      } else {
        auto name = readString(in);
        if (!name) return name.error();
        h.first = std::move(*name);
      }
      auto value = readString(in);
      if (!value) return value.error();
      h.second = std::move(*value);
      total += h.first.size() + h.second.size();
      if (indexing) insert(h);
      headers.push_back(std::move(h));
    }
    if (total > kMaxHeaderBytes) return makeError("HPACK header block is over {} bytes", kMaxHeaderBytes);
  }
  return headers;
}

}  // namespace bulkhead::net
