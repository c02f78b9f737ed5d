#include "api_keys.h"

#include <glib/gstdio.h>

#include <cerrno>
#include <cstdio>
#include <unordered_map>
#include <utility>

namespace gv::signaling {

namespace {

constexpr gsize kHashBytes = 32;

struct ScopeName {
  const char *name;
  guint scopes;
};
/* What each name grants: admin implies the others, write does not imply
 * read (api_keys.h). */
constexpr ScopeName kScopeNames[] = {
  { "read", kScopeRead },
  { "write", kScopeWrite },
  { "admin", kScopeAll },
};

bool is_blank (char ch)
{
  return ch == ' ' || ch == '\t';
}

std::vector<std::string> split_blank (const std::string &line)
{
  std::vector<std::string> fields;
  gsize i = 0;
  while (i < line.size ()) {
    while (i < line.size () && is_blank (line[i]))
      i++;
    gsize start = i;
    while (i < line.size () && !is_blank (line[i]))
      i++;
    if (i > start)
      fields.push_back (line.substr (start, i - start));
  }
  return fields;
}

bool is_valid_name (const std::string &name)
{
  if (name.empty () || name.size () > kApiKeyMaxNameLength)
    return false;
  for (char ch : name)
    if (!g_ascii_isalnum (ch) && ch != '.' && ch != '_' && ch != '-')
      return false;
  return true;
}

bool parse_hash (const std::string &hex, std::array<guint8, kHashBytes> &hash)
{
  if (hex.size () != 2 * kHashBytes)
    return false;
  for (gsize i = 0; i < kHashBytes; i++) {
    int hi = g_ascii_xdigit_value (hex[2 * i]);
    int lo = g_ascii_xdigit_value (hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    hash[i] = (guint8) (hi << 4 | lo);
  }
  return true;
}

std::string line_error (gsize number, const std::string &what)
{
  return "line " + std::to_string (number) + ": " + what;
}

std::array<guint8, kHashBytes> sha256 (const std::string &text)
{
  std::array<guint8, kHashBytes> digest{};
  GChecksum *checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guchar *) text.data (), (gssize) text.size ());
  gsize length = digest.size ();
  g_checksum_get_digest (checksum, digest.data (), &length);
  g_checksum_free (checksum);
  return digest;
}

} // namespace

bool parse_api_scopes (const std::string &text, guint &scopes)
{
  guint mask = 0;
  gsize start = 0;
  while (true) {
    gsize comma = text.find (',', start);
    std::string item = text.substr (start, comma == std::string::npos ? comma : comma - start);
    bool known = false;
    for (const ScopeName &s : kScopeNames)
      if (item == s.name) {
        mask |= s.scopes;
        known = true;
      }
    if (!known)
      return false;
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  scopes = mask;
  return true;
}

std::string api_scope_names (guint scopes)
{
  std::string names;
  const std::pair<guint, const char *> bits[] = {
    { kScopeRead, "read" },
    { kScopeWrite, "write" },
    { kScopeAdmin, "admin" },
  };
  for (const auto &[bit, name] : bits)
    if (scopes & bit)
      names += (names.empty () ? "" : ", ") + std::string (name);
  return names;
}

bool ApiKeys::load_text (const std::string &text, std::string &error)
{
  std::vector<Key> keys;
  std::unordered_map<std::string, gsize> line_of_name;
  std::unordered_map<std::string, gsize> line_of_hash;

  gsize number = 0;
  for (gsize start = 0; start <= text.size ();) {
    gsize end = text.find ('\n', start);
    if (end == std::string::npos)
      end = text.size ();
    std::string line = text.substr (start, end - start);
    start = end + 1;
    number++;
    if (!line.empty () && line.back () == '\r')
      line.pop_back ();

    std::vector<std::string> fields = split_blank (line);
    if (fields.empty () || fields[0][0] == '#')
      continue;
    if (fields.size () != 3) {
      error = line_error (number, "expected NAME SCOPES SHA256HEX, found " +
                                      std::to_string (fields.size ()) + " fields");
      return false;
    }
    Key key;
    key.name = fields[0];
    if (!is_valid_name (key.name)) {
      /* Not echoed: it may be anything, a key pasted in the wrong place. */
      error = line_error (number, "the name must be 1 to " + std::to_string (kApiKeyMaxNameLength) +
                                      " letters, digits, '.', '_' or '-'");
      return false;
    }
    if (!parse_api_scopes (fields[1], key.scopes)) {
      error = line_error (number, "the scopes of \"" + key.name +
                                      "\" must be a comma list of read, write and admin");
      return false;
    }
    if (!parse_hash (fields[2], key.hash)) {
      /* Not echoed either: a key written where its hash belongs would
       * otherwise end up in the log. */
      error = line_error (number, "the hash of \"" + key.name +
                                      "\" must be 64 hex digits, the SHA-256 of the key "
                                      "(not the key itself)");
      return false;
    }
    auto named = line_of_name.emplace (key.name, number);
    if (!named.second) {
      error = line_error (number, "the name \"" + key.name + "\" is already used on line " +
                                      std::to_string (named.first->second));
      return false;
    }
    auto hashed = line_of_hash.emplace (std::string (key.hash.begin (), key.hash.end ()), number);
    if (!hashed.second) {
      error =
          line_error (number, "the hash of \"" + key.name + "\" is already used on line " +
                                  std::to_string (hashed.first->second) + " (one key, two names)");
      return false;
    }
    keys.push_back (std::move (key));
  }

  /* A name that stays keeps its bucket: reloading is no way around the
   * limit. */
  for (Key &key : keys)
    for (const Key &old : keys_)
      if (old.name == key.name)
        key.bucket = old.bucket;
  keys_ = std::move (keys);
  return true;
}

bool ApiKeys::load_file (const std::string &path, std::string &error)
{
  FILE *file = g_fopen (path.c_str (), "rb");
  if (!file) {
    int saved = errno;
    error = path + ": " + g_strerror (saved);
    return false;
  }
  std::string text;
  char buffer[16384];
  gsize n;
  bool too_large = false;
  while ((n = fread (buffer, 1, sizeof buffer, file)) > 0) {
    text.append (buffer, n);
    if (text.size () > kApiKeysMaxFileBytes) {
      too_large = true;
      break;
    }
  }
  bool failed = ferror (file) != 0;
  int saved = errno;
  fclose (file);
  if (too_large) {
    error = path + ": larger than " + std::to_string (kApiKeysMaxFileBytes / 1024) + " KiB";
    return false;
  }
  if (failed) {
    error = path + ": " + g_strerror (saved);
    return false;
  }
  if (!load_text (text, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

ApiKeyCheck ApiKeys::check (const char *authorization, guint scope, gint64 now_us)
{
  ApiKeyCheck result;
  std::string token;
  if (!bearer_token (authorization, token)) {
    result.result = ApiKeyCheck::Result::Missing;
    result.message = authorization ? "The Authorization header must be \"Bearer\" and an API key."
                                   : "This request needs an API key, sent as "
                                     "\"Authorization: Bearer KEY\".";
    return result;
  }

  /* Every hash is compared, every byte of each, with no branch on the
   * data: how long this takes says nothing about which key matched, or how
   * close a guess came. Hashes are unique, so at most one matches. */
  const std::array<guint8, kHashBytes> digest = sha256 (token);
  gsize match = 0; /* index + 1 of the key that matched, or 0 */
  for (gsize i = 0; i < keys_.size (); i++) {
    guint diff = 0;
    for (gsize b = 0; b < kHashBytes; b++)
      diff |= (guint) (keys_[i].hash[b] ^ digest[b]);
    /* 1 when diff is 0, else 0 (diff < 256). */
    gsize equal = ((diff - 1) >> 8) & 1;
    match |= equal * (i + 1);
  }
  if (match == 0) {
    result.result = ApiKeyCheck::Result::Unknown;
    result.message = "The API key is not known to this server.";
    return result;
  }

  Key &key = keys_[match - 1];
  result.name = key.name;
  guint missing = scope & ~key.scopes;
  if (missing) {
    result.result = ApiKeyCheck::Result::Forbidden;
    result.message = "The API key \"" + key.name + "\" does not have the scope this request " +
                     "needs: " + api_scope_names (missing) + ".";
    return result;
  }
  if (!key.bucket.try_take (now_us)) {
    result.result = ApiKeyCheck::Result::RateLimited;
    result.message =
        "Too many requests with the API key \"" + key.name + "\"; wait a moment and try again.";
    return result;
  }
  result.result = ApiKeyCheck::Result::Ok;
  return result;
}

bool bearer_token (const char *authorization, std::string &token)
{
  if (!authorization)
    return false;
  static const char kScheme[] = "Bearer";
  const gsize scheme_length = sizeof (kScheme) - 1;
  if (g_ascii_strncasecmp (authorization, kScheme, scheme_length) != 0)
    return false;
  const char *p = authorization + scheme_length;
  if (*p != ' ')
    return false;
  while (*p == ' ')
    p++;
  gsize length = 0;
  for (const char *q = p; *q; q++, length++)
    if (*q < 0x21 || *q > 0x7e || length >= kApiKeyMaxTokenBytes)
      return false;
  if (length == 0)
    return false;
  token.assign (p, length);
  return true;
}

} // namespace gv::signaling
