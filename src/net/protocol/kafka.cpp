// Kafka: the client's first request (a size, api key and version, correlation id and
// client id; a client opens with ApiVersions), confirmed by the server's reply carrying the
// same correlation id when the sample has it. Attributes: api_key, api_version, client_id.
#include <fmt/format.h>

#include <algorithm>

#include "net/protocol/bytes.h"
#include "net/protocol/detector.h"

namespace bulkhead::net {
namespace {

constexpr std::string_view kApiNames[] = {
    "Produce", "Fetch", "ListOffsets", "Metadata", "LeaderAndIsr", "StopReplica",
    "UpdateMetadata", "ControlledShutdown", "OffsetCommit", "OffsetFetch", "FindCoordinator",
    "JoinGroup", "Heartbeat", "LeaveGroup", "SyncGroup", "DescribeGroups", "ListGroups",
    "SaslHandshake", "ApiVersions", "CreateTopics", "DeleteTopics", "DeleteRecords",
    "InitProducerId", "OffsetForLeaderEpoch", "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn",
    "WriteTxnMarkers", "TxnOffsetCommit", "DescribeAcls", "CreateAcls", "DeleteAcls",
    "DescribeConfigs", "AlterConfigs", "AlterReplicaLogDirs", "DescribeLogDirs",
    "SaslAuthenticate", "CreatePartitions"};
constexpr std::uint16_t kMaxApiKey = 80, kMaxApiVersion = 20;
constexpr std::uint32_t kMaxRequest = 100 * 1024 * 1024;

class KafkaDetector final : public Detector {
 public:
  std::string_view name() const override { return "kafka"; }

  Detection detect(const FlowSample& flow) const override {
    ByteReader in(flow.client);
    std::uint32_t size = 0, correlation = 0;
    std::uint16_t key = 0, version = 0, clientIdLength = 0;
    if (!in.be32(size) || !in.be16(key) || !in.be16(version) || !in.be32(correlation) ||
        !in.be16(clientIdLength)) {
      return flow.client.size() < 14 && (flow.client.empty() || flow.client[0] == 0)
                 ? Detection::needMore()
                 : Detection::noMatch();
    }
    if (size < 10 || size > kMaxRequest || key > kMaxApiKey || version > kMaxApiVersion) {
      return Detection::noMatch();
    }
    if (flow.client.size() < std::min<std::size_t>(4 + std::size_t{size}, kMaxSample)) {
      return Detection::needMore();
    }
    Bytes clientId;
    const bool nullId = clientIdLength == 0xffff;
    if (!nullId && (clientIdLength > size - 10 || !in.take(clientIdLength, clientId) ||
                    !isPrintable(asText(clientId)))) {
      return Detection::noMatch();
    }
    // The reply: a size and the same correlation id.
    ByteReader reply(flow.server);
    std::uint32_t replySize = 0, replyCorrelation = 0;
    if (reply.be32(replySize) && reply.be32(replyCorrelation) && replyCorrelation != correlation) {
      return Detection::noMatch();
    }
    Identification id{"kafka", {}};
    id.add("api_key", key < std::size(kApiNames) ? std::string(kApiNames[key]) : fmt::format("api-{}", key));
    id.add("api_version", std::to_string(version));
    if (!nullId) id.add("client_id", printable(asText(clientId)));
    return Detection::match(std::move(id));
  }
};

}  // namespace

const Detector& kafkaDetector() {
  static const KafkaDetector d;
  return d;
}

}  // namespace bulkhead::net
