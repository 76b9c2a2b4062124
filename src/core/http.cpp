#include "core/http.h"

#include <curl/curl.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>

namespace bulkhead {
namespace {

// Error bodies of streamed downloads are only read for messages; a hostile server must not
// make us hold more than this.
constexpr size_t kMaxErrorBody = 64u * 1024;
// Across all header blocks of one transfer, redirects included.
constexpr size_t kMaxHeaderBytes = 1u << 20;

Status globalInit() {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (code != CURLE_OK) {
    return makeError("libcurl initialisation failed: {}", curl_easy_strerror(code));
  }
  return {};
}

struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  const std::function<Status(const char*, size_t)>* sink = nullptr;  // null: buffer
  long status = 0;  // of the header block being received
  size_t headerBytes = 0;
  bool headersTooLarge = false;
  bool bodyTooLarge = false;
  bool errorBodyTruncated = false;
  std::optional<Error> sinkError;
  // Stall detection: libcurl's own low-speed check averages over ~5 s, so a peer that sends
  // a few bytes and then hangs would get several seconds of grace beyond stallSeconds.
  curl_off_t lastBytes = -1;
  std::chrono::steady_clock::time_point lastProgress = std::chrono::steady_clock::now();
};

std::string trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::string lowerCase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  transfer.headerBytes += bytes;
  if (transfer.headerBytes > kMaxHeaderBytes) {
    transfer.headersTooLarge = true;
    return 0;
  }
  const std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) {
    // Every response (redirects, 100 Continue) starts a new header block: keep the last.
    transfer.response->headers.clear();
    const auto space = line.find(' ');
    transfer.status =
        space == std::string_view::npos
            ? 0
            : std::strtol(std::string(line.substr(space + 1, 3)).c_str(), nullptr, 10);
    return bytes;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return bytes;  // blank line, folded junk
  transfer.response->headers[lowerCase(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  return bytes;
}

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  const bool success = transfer.status >= 200 && transfer.status < 300;
  if (transfer.sink != nullptr && success) {
    auto status = (*transfer.sink)(data, bytes);
    if (!status) {
      transfer.sinkError = status.error();
      return 0;
    }
    return bytes;
  }
  std::string& body = transfer.response->body;
  const size_t limit = transfer.sink != nullptr ? kMaxErrorBody : transfer.request->maxBodyBytes;
  if (body.size() + bytes > limit) {
    if (transfer.sink != nullptr) {
      body.append(data, limit - body.size());
      transfer.errorBodyTruncated = true;
    } else {
      transfer.bodyTooLarge = true;
    }
    return 0;
  }
  body.append(data, bytes);
  return bytes;
}

int onProgress(void* user, curl_off_t, curl_off_t downloaded, curl_off_t, curl_off_t uploaded) {
  auto& transfer = *static_cast<Transfer*>(user);
  const auto now = std::chrono::steady_clock::now();
  const curl_off_t bytes = downloaded + uploaded;
  if (bytes != transfer.lastBytes) {
    transfer.lastBytes = bytes;
    transfer.lastProgress = now;
    return 0;
  }
  const long limit = transfer.request->options.stallSeconds;
  if (limit > 0 && now - transfer.lastProgress >= std::chrono::seconds(limit)) {
    return 1;  // aborts with CURLE_ABORTED_BY_CALLBACK, reported as a stall
  }
  return 0;
}

bool isTlsError(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

// Turns a failed transfer into a message that says which way it failed.
Error transferError(const HttpRequest& request, CURL* curl, CURLcode code, const char* detail) {
  const std::string where = fmt::format("{} {}", request.method, request.url);
  const std::string text = *detail ? detail : curl_easy_strerror(code);
  const HttpOptions& options = request.options;
  if (code == CURLE_OPERATION_TIMEDOUT || code == CURLE_ABORTED_BY_CALLBACK) {
    if (code == CURLE_ABORTED_BY_CALLBACK || std::strstr(detail, "too slow") != nullptr) {
      return makeError("{}: stalled: no data for {} s", where, options.stallSeconds);
    }
    // libcurl bounds the connect phase (TCP and TLS handshake) by the smaller of both limits.
    double connectTime = 0;
    curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME, &connectTime);
    long connectLimit = options.connectTimeoutMs;
    if (options.totalTimeoutMs > 0 && options.totalTimeoutMs < connectLimit) {
      connectLimit = options.totalTimeoutMs;
    }
    if (std::strstr(detail, "SSL") != nullptr) {
      return makeError("{}: TLS handshake timed out after {} ms ({})", where, connectLimit, text);
    }
    if (connectTime <= 0 && std::strstr(detail, "Operation timed out") == nullptr) {
      return makeError("{}: connection timed out after {} ms ({})", where, connectLimit, text);
    }
    return makeError("{}: timed out after {} ms ({})", where, options.totalTimeoutMs, text);
  }
  if (code == CURLE_COULDNT_CONNECT) {
    long osErrno = 0;
    curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &osErrno);
    const std::string reason =
        osErrno != 0 ? std::string(std::strerror(static_cast<int>(osErrno))) : text;
    return makeError("{}: cannot connect: {} ({})", where, lowerCase(reason), text);
  }
  if (code == CURLE_COULDNT_RESOLVE_HOST) {
    return makeError("{}: cannot resolve host: {}", where, text);
  }
  if (code == CURLE_SSL_CACERT_BADFILE) {
    return makeError("{}: TLS failure: cannot load CA certificates from '{}': {}", where,
                     options.caFile, text);
  }
  if (code == CURLE_PEER_FAILED_VERIFICATION) {
    return makeError("{}: TLS failure: {} (give the registry's CA certificate as caFile?)", where,
                     text);
  }
  if (isTlsError(code)) return makeError("{}: TLS failure: {}", where, text);
  if (code == CURLE_TOO_MANY_REDIRECTS) {
    return makeError("{}: more than {} redirects", where, options.maxRedirects);
  }
  if (code == CURLE_UNSUPPORTED_PROTOCOL) {
    return makeError("{}: refused: only http and https are allowed ({})", where, text);
  }
  if (code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING ||
      code == CURLE_SEND_ERROR) {
    return makeError("{}: connection closed early: {}", where, text);
  }
  return makeError("{}: {}", where, text);
}

using CurlHandle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

Result<HttpResponse> perform(const HttpRequest& request,
                             const std::function<Status(const char*, size_t)>* sink) {
  BH_TRY_STATUS(globalInit());
  if (!request.url.starts_with("http://") && !request.url.starts_with("https://")) {
    return makeError("{} {}: refused: only http and https URLs are allowed", request.method,
                     request.url);
  }
  CurlHandle curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return makeError("{} {}: cannot create a libcurl handle", request.method, request.url);
  CURL* h = curl.get();

  HeaderList headers(nullptr, &curl_slist_free_all);
  for (const std::string& header : request.headers) {
    // A line break would let a value (a token from a server) smuggle in more headers.
    if (header.find_first_of("\r\n") != std::string::npos) {
      return makeError("{} {}: refused: request header contains a line break", request.method,
                       request.url);
    }
    // curl_slist_append returns the list head, or null (leaving the list intact) on failure.
    curl_slist* head = curl_slist_append(headers.get(), header.c_str());
    if (head == nullptr) {
      return makeError("{} {}: out of memory for headers", request.method, request.url);
    }
    if (!headers) headers.reset(head);
  }

  HttpResponse response;
  Transfer transfer;
  transfer.request = &request;
  transfer.response = &response;
  transfer.sink = sink;
  char detail[CURL_ERROR_SIZE] = {};
  const HttpOptions& options = request.options;

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(h, CURLOPT_USERAGENT, "bulkhead/" BULKHEAD_VERSION);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeoutMs);
  if (options.stallSeconds > 0) {
    // The precise check is onProgress; libcurl's low-speed check stays as a backstop.
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, options.stallSeconds);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  if (options.totalTimeoutMs > 0) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, options.totalTimeoutMs);
  if (options.maxRedirects > 0) {
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, options.maxRedirects);
    // libcurl drops Authorization headers when a redirect leaves the host (blob storage
    // URLs are pre-signed); CURLOPT_UNRESTRICTED_AUTH stays off on purpose.
  }
  if (!options.caFile.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options.caFile.c_str());
  if (!options.verifyTls) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET" || !request.body.empty()) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty()) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);

  const CURLcode code = curl_easy_perform(h);
  if (transfer.sinkError) return std::move(*transfer.sinkError);
  if (transfer.bodyTooLarge) {
    return makeError("{} {}: response body larger than the limit of {} bytes", request.method,
                     request.url, request.maxBodyBytes);
  }
  if (transfer.headersTooLarge) {
    return makeError("{} {}: response headers larger than the limit of {} bytes", request.method,
                     request.url, kMaxHeaderBytes);
  }
  // A truncated error body still tells the status; that is all the caller needs.
  if (code != CURLE_OK && !(transfer.errorBodyTruncated && code == CURLE_WRITE_ERROR)) {
    return transferError(request, h, code, detail);
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  const char* effective = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective) {
    response.effectiveUrl = effective;
  }
  return response;
}

}  // namespace

Result<HttpResponse> httpFetch(const HttpRequest& request) { return perform(request, nullptr); }

Result<HttpResponse> httpDownload(const HttpRequest& request,
                                  const std::function<Status(const char*, size_t)>& sink) {
  return perform(request, &sink);
}

std::string urlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string httpStatusText(long status) {
  switch (status) {
    case 200:
      return "200 OK";
    case 201:
      return "201 Created";
    case 202:
      return "202 Accepted";
    case 204:
      return "204 No Content";
    case 206:
      return "206 Partial Content";
    case 301:
      return "301 Moved Permanently";
    case 302:
      return "302 Found";
    case 304:
      return "304 Not Modified";
    case 307:
      return "307 Temporary Redirect";
    case 308:
      return "308 Permanent Redirect";
    case 400:
      return "400 Bad Request";
    case 401:
      return "401 Unauthorized";
    case 403:
      return "403 Forbidden";
    case 404:
      return "404 Not Found";
    case 405:
      return "405 Method Not Allowed";
    case 406:
      return "406 Not Acceptable";
    case 408:
      return "408 Request Timeout";
    case 409:
      return "409 Conflict";
    case 410:
      return "410 Gone";
    case 413:
      return "413 Payload Too Large";
    case 416:
      return "416 Range Not Satisfiable";
    case 429:
      return "429 Too Many Requests";
    case 500:
      return "500 Internal Server Error";
    case 501:
      return "501 Not Implemented";
    case 502:
      return "502 Bad Gateway";
    case 503:
      return "503 Service Unavailable";
    case 504:
      return "504 Gateway Timeout";
    default:
      return fmt::format("HTTP {}", status);
  }
}

}  // namespace bulkhead
