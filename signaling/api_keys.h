/* The REST API's keys. A client sends its key as `Authorization: Bearer
 * KEY`; the server is given a file (`--api-keys FILE`, reloaded on SIGHUP)
 * with one line per key:
 *
 *   # NAME  SCOPES  SHA256HEX
 *   backup  read    4a0e508e4f6922bc29d7c5a055f8d1d51de563a99452f0c0e2400fe7f7c62d01
 *   ops     admin   9b3a91136feac4a6472d2cc9af52e9a6f9e367c1e8fcffb5a41c5c2beeaad08e
 *
 * The third field is the SHA-256 of the key (`printf %s KEY | sha256sum`),
 * so the file holds no secret (those above are of "example-read-key" and
 * "example-admin-key": do not copy them). A key is checked against every
 * hash in time that does not depend on which one matches, or where a
 * guess differs.
 *
 * Scopes: `read`, `write`, `admin`. `admin` implies the other two; `write`
 * does not imply `read` (a key that only pushes, e.g. a CI job, need not be
 * able to list sessions): write `read,write` for both.
 *
 * Each key has its own token bucket (kApiKeyBurst requests, then
 * kApiKeyPerSecond). Time is passed in so tests can drive it. Not thread
 * safe: its owner locks (or, as the server does, uses it from one main
 * context only, the SIGHUP reload included).
 *
 * The HTTP answer for each result: Missing and Unknown 401 with
 * `WWW-Authenticate: Bearer`, Forbidden 403, RateLimited 429. */
#pragma once

#include "token_bucket.h"

#include <glib.h>

#include <array>
#include <string>
#include <vector>

namespace gv::signaling {

enum ApiScope : guint {
  kScopeRead = 1,
  kScopeWrite = 2,
  kScopeAdmin = 4,
};

/* Every scope; what `admin` grants. */
constexpr guint kScopeAll = kScopeRead | kScopeWrite | kScopeAdmin;

/* Per key: this many requests at once, refilled at this rate. */
constexpr double kApiKeyBurst = 60;
constexpr double kApiKeyPerSecond = 10;

/* Limits on what a key file and a request may hold. */
constexpr gsize kApiKeysMaxFileBytes = 1024 * 1024;
constexpr gsize kApiKeyMaxNameLength = 64;
constexpr gsize kApiKeyMaxTokenBytes = 512;

/* The token of "Bearer <token>": scheme in any case, one or more spaces,
 * then 1 to kApiKeyMaxTokenBytes visible ASCII characters to the end. */
bool bearer_token (const char *authorization, std::string &token);

struct ApiKeyCheck {
  enum class Result {
    Ok,
    Missing,     /* no Authorization header, or not "Bearer <token>" */
    Unknown,     /* a token that matches no key */
    Forbidden,   /* a known key without the scope needed */
    RateLimited, /* a known key, with the scope, that asks too often */
  };
  Result result = Result::Missing;
  /* The key's name when it is known (Ok, Forbidden, RateLimited), for logs
   * and for the caller's own per-key accounting. */
  std::string name;
  /* A sentence for the JSON error ({"code", "message"}); empty when Ok. */
  std::string message;
};

class ApiKeys {
public:
  /* Parses `text`, the contents of a key file: one key per line `NAME
   * SCOPES SHA256HEX`, fields separated by spaces or tabs; blank lines and
   * lines whose first non-blank character is '#' are ignored. NAME is 1 to
   * 64 of [A-Za-z0-9._-]; SCOPES a comma list (parse_api_scopes); the hash
   * exactly 64 hex digits, either case. Two keys with one name or one hash
   * are refused. On a bad line: false, `error` = "line N: what is wrong"
   * and the keys are left as they were. On success the keys are replaced;
   * a name that stays keeps its rate-limit bucket (a reload is no way
   * around the limit). An empty file is valid: no key is accepted. */
  bool load_text (const std::string &text, std::string &error);
  /* Reads the file at `path` (at most kApiKeysMaxFileBytes) and loads it as
   * load_text does; `error` starts with the path. */
  bool load_file (const std::string &path, std::string &error);

  /* Whether the request with this `authorization` header value (nullptr
   * when there is none) may do what needs every bit of `scope`. In order:
   * Missing when it is not "Bearer <token>" (scheme in any case, token 1 to
   * kApiKeyMaxTokenBytes visible ASCII characters); Unknown when the
   * token's SHA-256 is no key's; Forbidden when the key lacks a scope (the
   * message names it; no token is spent); RateLimited when the key's bucket
   * is empty. `now_us` is monotonic. */
  ApiKeyCheck check (const char *authorization, guint scope, gint64 now_us);

  std::size_t size () const { return keys_.size (); }
  bool empty () const { return keys_.empty (); }

private:
  struct Key {
    std::string name;
    guint scopes = 0;
    std::array<guint8, 32> hash{};
    TokenBucket bucket{ kApiKeyBurst, kApiKeyPerSecond };
  };
  std::vector<Key> keys_;
};

/* "read,write" -> kScopeRead | kScopeWrite; "admin" -> kScopeAll. False on
 * an empty list, an empty item or an unknown name (names are lowercase). */
bool parse_api_scopes (const std::string &text, guint &scopes);

/* The names of the scopes in `scopes`, as "read, write". */
std::string api_scope_names (guint scopes);

} // namespace gv::signaling
