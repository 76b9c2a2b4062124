#pragma once
// Bounded reading of a flow sample: every read checks what is left and fails instead of
// running past the end, so detectors never index out of their sample.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace bulkhead::net {

using Bytes = std::span<const std::uint8_t>;

class ByteReader {
 public:
  explicit ByteReader(Bytes data) : data_(data) {}
  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t position() const { return pos_; }
  Bytes rest() const { return data_.subspan(pos_); }

  bool u8(std::uint8_t& v) {
    if (remaining() < 1) return false;
    v = data_[pos_++];
    return true;
  }
  bool be16(std::uint16_t& v) {
    if (remaining() < 2) return false;
    v = static_cast<std::uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool be24(std::uint32_t& v) {
    if (remaining() < 3) return false;
    v = std::uint32_t{data_[pos_]} << 16 | std::uint32_t{data_[pos_ + 1]} << 8 | data_[pos_ + 2];
    pos_ += 3;
    return true;
  }
  bool be32(std::uint32_t& v) {
    if (remaining() < 4) return false;
    v = std::uint32_t{data_[pos_]} << 24 | std::uint32_t{data_[pos_ + 1]} << 16 |
        std::uint32_t{data_[pos_ + 2]} << 8 | data_[pos_ + 3];
    pos_ += 4;
    return true;
  }
  bool le32(std::uint32_t& v) {
    if (remaining() < 4) return false;
    v = std::uint32_t{data_[pos_ + 3]} << 24 | std::uint32_t{data_[pos_ + 2]} << 16 |
        std::uint32_t{data_[pos_ + 1]} << 8 | data_[pos_];
    pos_ += 4;
    return true;
  }
  bool skip(std::size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  bool take(std::size_t n, Bytes& out) {
    if (remaining() < n) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  // A NUL-terminated string of at most max bytes (the NUL is consumed, not returned).
  bool cstring(std::string_view& out, std::size_t max) {
    for (std::size_t i = pos_; i < data_.size() && i - pos_ <= max; ++i) {
      if (data_[i] == 0) {
        out = std::string_view(reinterpret_cast<const char*>(data_.data()) + pos_, i - pos_);
        pos_ = i + 1;
        return true;
      }
    }
    return false;
  }

 private:
  Bytes data_;
  std::size_t pos_ = 0;
};

inline std::string_view asText(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// A value for an attribute: at most max bytes, control characters and bytes outside ASCII
// shown as \xNN, so that attributes are safe to print and compare.
std::string printable(std::string_view text, std::size_t max = 256);

// True when every byte is printable ASCII (0x20..0x7e).
bool isPrintable(std::string_view text);

// ASCII case-insensitive comparison.
bool equalsIgnoreCase(std::string_view a, std::string_view b);

// True when a (possibly empty) sample is a strict prefix of the text: more bytes could still
// make the text appear.
inline bool couldBecome(std::string_view sample, std::string_view text) {
  return sample.size() < text.size() && text.substr(0, sample.size()) == sample;
}

}  // namespace bulkhead::net
