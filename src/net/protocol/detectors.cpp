#include "net/protocol/detector.h"

namespace bulkhead::net {

// The one list of detectors, most specific first: TLS and the HTTP/2 preface before
// HTTP/1.x; PostgreSQL's start-up message before Kafka, whose header it would also parse.
const std::vector<const Detector*>& detectors() {
  static const std::vector<const Detector*> list{
      &tlsDetector(),      &http2Detector(),   &http1Detector(), &sshDetector(),
      &postgresDetector(), &mysqlDetector(),   &mongodbDetector(), &redisDetector(),
      &kafkaDetector(),    &dnsDetector(),
  };
  return list;
}

Detection identify(const FlowSample& flow) {
  FlowSample cut = flow;  // detectors look at no more than kMaxSample bytes each way
  if (cut.client.size() > kMaxSample) cut.client = cut.client.first(kMaxSample);
  if (cut.server.size() > kMaxSample) cut.server = cut.server.first(kMaxSample);
  bool more = false;
  for (const Detector* d : detectors()) {
    Detection r = d->detect(cut);
    if (r.kind == Detection::Kind::Match) return r;
    if (r.kind == Detection::Kind::NeedMore) more = true;
  }
  return more ? Detection::needMore() : Detection::noMatch();
}

}  // namespace bulkhead::net
