#include "core/http.h"

#include <gtest/gtest.h>

#include <chrono>

#include "../support/loopback_http_server.h"

namespace bulkhead {
namespace {

using testing::Connection;
using testing::HttpExchange;
using testing::LoopbackHttpServer;

HttpRequest get(std::string url) {
  HttpRequest request;
  request.url = std::move(url);
  request.options.connectTimeoutMs = 2000;
  request.options.stallSeconds = 5;
  request.options.totalTimeoutMs = 20000;  // a hung test fails instead of hanging CI
  return request;
}

TEST(HttpFetch, BuffersBodyAndLowerCasesHeaders) {
  LoopbackHttpServer server([](const HttpExchange& exchange, Connection& conn) {
    conn.respond(200, "hello " + exchange.header("x-probe"),
                 {{"X-Thing", "first"}, {"x-thing", "second"}, {"Content-Type", "text/plain"}});
  });
  HttpRequest request = get(server.url("/greeting"));
  request.headers.push_back("X-Probe: 42");
  auto response = httpFetch(request);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello 42");
  EXPECT_EQ(response->header("x-thing"), "second");
  EXPECT_EQ(response->header("content-type"), "text/plain");
  EXPECT_EQ(response->effectiveUrl, server.url("/greeting"));
}

TEST(HttpFetch, ReturnsErrorStatusesAsResponses) {
  LoopbackHttpServer server([](const HttpExchange&, Connection& conn) {
    conn.respond(404, R"({"errors":[{"code":"NOT_FOUND"}]})");
  });
  auto response = httpFetch(get(server.url("/missing")));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 404);
  EXPECT_CONTAINS(response->body, "NOT_FOUND");
}

TEST(HttpFetch, SendsMethodAndBody) {
  LoopbackHttpServer server([](const HttpExchange& exchange, Connection& conn) {
    conn.respond(200, exchange.method + ":" + exchange.body);
  });
  HttpRequest request = get(server.url("/token"));
  request.method = "POST";
  request.body = "grant_type=refresh_token&x=1";
  request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  auto response = httpFetch(request);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "POST:grant_type=refresh_token&x=1");
}

TEST(HttpFetch, BodyBeyondLimitIsAnErrorNamingTheUrl) {
  LoopbackHttpServer server(
      [](const HttpExchange&, Connection& conn) { conn.respond(200, std::string(3u << 20, 'x')); });
  HttpRequest request = get(server.url("/huge"));
  request.maxBodyBytes = 1u << 20;
  auto response = httpFetch(request);
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, server.url("/huge"));
  EXPECT_CONTAINS(response.error().message, "larger than the limit of 1048576 bytes");
}

TEST(HttpFetch, ConnectionRefusedNamesTheUrl) {
  const std::string url =
      "http://127.0.0.1:" + std::to_string(testing::unusedLoopbackPort()) + "/v2/";
  auto response = httpFetch(get(url));
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, url);
  EXPECT_CONTAINS(response.error().message, "connection refused");
}

TEST(HttpFetch, PeerThatNeverAnswersStalls) {
  LoopbackHttpServer server(
      [](const HttpExchange&, Connection& conn) { conn.server().waitForStop(); });
  HttpRequest request = get(server.url("/silent"));
  request.options.stallSeconds = 1;
  const auto start = std::chrono::steady_clock::now();
  auto response = httpFetch(request);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, server.url("/silent"));
  EXPECT_CONTAINS(response.error().message, "stalled: no data for 1 s");
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(HttpFetch, TotalTimeoutIsReported) {
  LoopbackHttpServer server(
      [](const HttpExchange&, Connection& conn) { conn.server().waitForStop(); });
  HttpRequest request = get(server.url("/slow"));
  request.options.stallSeconds = 0;
  request.options.totalTimeoutMs = 300;
  auto response = httpFetch(request);
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, server.url("/slow"));
  EXPECT_CONTAINS(response.error().message, "timed out after 300 ms");
}

TEST(HttpFetch, StallInTheMiddleOfTheBody) {
  LoopbackHttpServer server([](const HttpExchange&, Connection& conn) {
    conn.send("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial");
    conn.server().waitForStop();
  });
  HttpRequest request = get(server.url("/half"));
  request.options.stallSeconds = 1;
  auto response = httpFetch(request);
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, "stalled: no data for 1 s");
}

TEST(HttpFetch, SilentTlsPeerTimesOutInTheHandshake) {
  LoopbackHttpServer server(
      [](const HttpExchange&, Connection& conn) { conn.server().waitForStop(); },
      /*readRequests=*/false);
  const std::string url = "https://" + server.host() + "/v2/";
  HttpRequest request = get(url);
  request.options.connectTimeoutMs = 300;
  auto response = httpFetch(request);
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, url);
  EXPECT_CONTAINS(response.error().message, "timed out after 300 ms");
}

TEST(HttpFetch, ConnectionClosedMidBody) {
  LoopbackHttpServer server([](const HttpExchange&, Connection& conn) {
    conn.send("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\nonly a little");
  });
  auto response = httpFetch(get(server.url("/cut")));
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, server.url("/cut"));
  EXPECT_CONTAINS(response.error().message, "connection closed early");
}

TEST(HttpFetch, EmptyAnswerIsAnError) {
  LoopbackHttpServer server([](const HttpExchange&, Connection&) {});
  auto response = httpFetch(get(server.url("/nothing")));
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, server.url("/nothing"));
}

TEST(HttpFetch, FollowsRedirectsAndKeepsTheLastHeaders) {
  LoopbackHttpServer server([](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path() == "/from") {
      conn.respond(307, "moved", {{"Location", "/to"}, {"X-Hop", "first"}});
    } else {
      conn.respond(200, "arrived", {{"X-Final", "yes"}});
    }
  });
  auto response = httpFetch(get(server.url("/from")));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "arrived");
  EXPECT_EQ(response->header("x-final"), "yes");
  EXPECT_EQ(response->header("x-hop"), "");
  EXPECT_EQ(response->effectiveUrl, server.url("/to"));
}

TEST(HttpFetch, AuthorizationIsNotForwardedToAnotherHost) {
  LoopbackHttpServer server([](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path() == "/from") {
      // Same server, other host name: what a registry's redirect to blob storage looks like.
      const std::string port = std::to_string(conn.server().port());
      conn.respond(307, "", {{"Location", "http://localhost:" + port + "/storage"}});
    } else {
      conn.respond(200, "auth=[" + exchange.header("authorization") + "]");
    }
  });
  HttpRequest request = get(server.url("/from"));
  request.headers.push_back("Authorization: Bearer secret");
  auto response = httpFetch(request);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "auth=[]");
  EXPECT_EQ(server.seen().front().header("authorization"), "Bearer secret");
}

TEST(HttpFetch, TooManyRedirects) {
  LoopbackHttpServer server([](const HttpExchange&, Connection& conn) {
    conn.respond(302, "", {{"Location", "/again"}});
  });
  HttpRequest request = get(server.url("/loop"));
  request.options.maxRedirects = 3;
  auto response = httpFetch(request);
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, server.url("/loop"));
  EXPECT_CONTAINS(response.error().message, "more than 3 redirects");
}

TEST(HttpFetch, RedirectToAnotherProtocolIsRefused) {
  LoopbackHttpServer server([](const HttpExchange&, Connection& conn) {
    conn.respond(302, "", {{"Location", "file:///etc/passwd"}});
  });
  auto response = httpFetch(get(server.url("/escape")));
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, server.url("/escape"));
  EXPECT_CONTAINS(response.error().message, "only http and https");
}

TEST(HttpFetch, NonHttpUrlsAreRefused) {
  auto response = httpFetch(get("file:///etc/passwd"));
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, "file:///etc/passwd");
  EXPECT_CONTAINS(response.error().message, "only http and https");
}

TEST(HttpFetch, TlsToAPlainServerIsATlsFailure) {
  LoopbackHttpServer server(
      [](const HttpExchange&, Connection& conn) { conn.respond(400, "plain http, not TLS"); },
      /*readRequests=*/false);
  const std::string url = "https://" + server.host() + "/v2/";
  auto response = httpFetch(get(url));
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, url);
  EXPECT_CONTAINS(response.error().message, "TLS failure");
}

TEST(HttpFetch, HeadersWithLineBreaksAreRefused) {
  HttpRequest request = get("http://127.0.0.1:1/");
  request.headers.push_back("Authorization: Bearer x\r\nX-Injected: 1");
  auto response = httpFetch(request);
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, "http://127.0.0.1:1/");
  EXPECT_CONTAINS(response.error().message, "line break");
}

TEST(HttpFetch, UnreadableCaFileIsNamed) {
  LoopbackHttpServer server([](const HttpExchange&, Connection& conn) { conn.respond(400, "x"); },
                            /*readRequests=*/false);
  HttpRequest request = get("https://" + server.host() + "/");
  request.options.caFile = "/nonexistent/ca.pem";
  auto response = httpFetch(request);
  ASSERT_FALSE(response);
  EXPECT_CONTAINS(response.error().message, "TLS failure");
  EXPECT_CONTAINS(response.error().message, "/nonexistent/ca.pem");
}

TEST(HttpDownload, StreamsSuccessfulBodiesIntoTheSink) {
  const std::string payload(1u << 20, 'b');
  LoopbackHttpServer server(
      [&](const HttpExchange&, Connection& conn) { conn.respond(200, payload); });
  std::string received;
  size_t calls = 0;
  auto response = httpDownload(get(server.url("/blob")), [&](const char* data, size_t size) {
    received.append(data, size);
    ++calls;
    return Status{};
  });
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body.empty());
  EXPECT_EQ(received, payload);
  EXPECT_GT(calls, 1u);
}

TEST(HttpDownload, BuffersErrorBodiesInsteadOfStreaming) {
  LoopbackHttpServer server([](const HttpExchange&, Connection& conn) {
    conn.respond(404, R"({"errors":[{"code":"BLOB_UNKNOWN"}]})");
  });
  bool called = false;
  auto response = httpDownload(get(server.url("/blob")), [&](const char*, size_t) {
    called = true;
    return Status{};
  });
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 404);
  EXPECT_CONTAINS(response->body, "BLOB_UNKNOWN");
  EXPECT_FALSE(called);
}

TEST(HttpDownload, HugeErrorBodiesAreCutAt64KiB) {
  LoopbackHttpServer server(
      [](const HttpExchange&, Connection& conn) { conn.respond(500, std::string(4u << 20, 'e')); });
  auto response =
      httpDownload(get(server.url("/blob")), [](const char*, size_t) { return Status{}; });
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body.size(), 64u * 1024);
}

TEST(HttpDownload, SinkErrorAbortsAndIsReturned) {
  LoopbackHttpServer server(
      [](const HttpExchange&, Connection& conn) { conn.respond(200, std::string(4u << 20, 'z')); });
  size_t received = 0;
  auto response = httpDownload(get(server.url("/blob")), [&](const char*, size_t size) -> Status {
    received += size;
    if (received > 1000) return makeError("disk full (test)");
    return {};
  });
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().message, "disk full (test)");
  EXPECT_LT(received, 4u << 20);
}

TEST(UrlEncode, EncodesReservedCharacters) {
  EXPECT_EQ(urlEncode("repository:bulkhead/testbed:pull"),
            "repository%3Abulkhead%2Ftestbed%3Apull");
  EXPECT_EQ(urlEncode("a-b_c.d~e f&g=h"), "a-b_c.d~e%20f%26g%3Dh");
  EXPECT_EQ(urlEncode(std::string("\xff", 1)), "%FF");
}

}  // namespace
}  // namespace bulkhead
