// MongoDB wire protocol: the client's first message, OP_MSG (the first key of its body is
// the command, "hello" for a driver's handshake), the legacy OP_QUERY a driver still opens
// with ("isMaster" on "admin.$cmd"), or OP_COMPRESSED. Attributes: opcode, command,
// collection.
#include <algorithm>

#include "net/protocol/bytes.h"
#include "net/protocol/detector.h"

namespace bulkhead::net {
namespace {

constexpr std::uint32_t kOpMsg = 2013, kOpQuery = 2004, kOpCompressed = 2012;
constexpr std::uint32_t kMaxMessage = 48 * 1024 * 1024;

// The first key of a BSON document at the reader, when it is there.
bool firstKey(ByteReader& in, std::string_view& key) {
  std::uint32_t length = 0;
  std::uint8_t type = 0;
  if (!in.le32(length) || length < 5 || length > kMaxMessage || !in.u8(type)) return false;
  if (type == 0 || type > 0x13) return false;  // BSON element types 0x01..0x13
  return in.cstring(key, 128) && !key.empty() && isPrintable(key);
}

class MongodbDetector final : public Detector {
 public:
  std::string_view name() const override { return "mongodb"; }

  Detection detect(const FlowSample& flow) const override {
    ByteReader in(flow.client);
    std::uint32_t length = 0, request = 0, responseTo = 0, opcode = 0;
    if (!in.le32(length) || !in.le32(request) || !in.le32(responseTo) || !in.le32(opcode)) {
      // Short: wait, unless the length already read is not one a message has.
      const bool badLength = flow.client.size() >= 4 && (length < 21 || length > kMaxMessage);
      return flow.client.size() < 16 && !badLength ? Detection::needMore() : Detection::noMatch();
    }
    if (length < 21 || length > kMaxMessage || responseTo != 0) return Detection::noMatch();
    if (flow.client.size() < std::min<std::size_t>(length, kMaxSample)) return Detection::needMore();
    Identification id{"mongodb", {}};
    std::string_view key;
    if (opcode == kOpMsg) {
      std::uint32_t flags = 0;
      std::uint8_t kind = 0;
      if (!in.le32(flags) || (flags & 0xfffc) != 0 || !in.u8(kind) || kind > 1) return Detection::noMatch();
      id.add("opcode", "OP_MSG");
      if (kind == 0) {
        if (!firstKey(in, key)) return Detection::noMatch();
        id.add("command", printable(key));
      }
    } else if (opcode == kOpQuery) {
      std::uint32_t flags = 0;
      std::string_view collection;
      if (!in.le32(flags) || !in.cstring(collection, 256) || collection.find('.') == std::string_view::npos ||
          !isPrintable(collection) || !in.skip(8)) {
        return Detection::noMatch();
      }
      id.add("opcode", "OP_QUERY");
      id.add("collection", printable(collection));
      if (firstKey(in, key)) id.add("command", printable(key));
    } else if (opcode == kOpCompressed) {
      std::uint32_t original = 0, size = 0;
      std::uint8_t compressor = 0;
      if (!in.le32(original) || !in.le32(size) || !in.u8(compressor) ||
          (original != kOpMsg && original != kOpQuery) || compressor > 3) {
        return Detection::noMatch();
      }
      id.add("opcode", "OP_COMPRESSED");
    } else {
      return Detection::noMatch();
    }
    return Detection::match(std::move(id));
  }
};

}  // namespace

const Detector& mongodbDetector() {
  static const MongodbDetector d;
  return d;
}

}  // namespace bulkhead::net
