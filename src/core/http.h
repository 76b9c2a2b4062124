#pragma once
// A small HTTP(S) client over libcurl for registries and feeds. Only http and https are
// spoken (also after redirects), and every transfer is bounded: connect timeout, stall
// detection, optional total timeout, and a cap on buffered bodies.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace bulkhead {

struct HttpOptions {
  long connectTimeoutMs = 10000;
  long stallSeconds = 30;   // abort when < 1 byte/s for this long (CURLOPT_LOW_SPEED_*)
  long totalTimeoutMs = 0;  // 0 = none
  std::string caFile;
  bool verifyTls = true;
  long maxRedirects = 5;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when non-empty (token endpoints take form posts)
  size_t maxBodyBytes = 8u << 20;
  HttpOptions options;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names, last value wins
  std::string body;
  std::string effectiveUrl;

  // The header's value, or "" when absent; `name` is lower-case.
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Buffers the body (bounded by maxBodyBytes: larger is an error naming the URL).
Result<HttpResponse> httpFetch(const HttpRequest& request);

// Streams the body of a 2xx answer into `sink` (non-2xx answers are buffered into
// response.body up to 64 KiB instead); a sink error aborts the transfer and is returned.
Result<HttpResponse> httpDownload(const HttpRequest& request,
                                  const std::function<Status(const char*, size_t)>& sink);

// Percent-encodes everything but RFC 3986 unreserved characters (for query values).
std::string urlEncode(std::string_view text);

// "Reason" phrase for common statuses, for messages ("404 Not Found").
std::string httpStatusText(long status);

}  // namespace bulkhead
