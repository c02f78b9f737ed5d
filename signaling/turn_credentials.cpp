#include "turn_credentials.h"

namespace gv::signaling {

proto::IceServer make_turn_server (const std::vector<std::string> &urls, const std::string &secret,
                                   const std::string &id, gint64 expiry_unix_s)
{
  proto::IceServer s;
  s.urls = urls;
  s.username = std::to_string (expiry_unix_s) + ":" + id;

  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA1, reinterpret_cast<const guchar *> (secret.data ()),
                            secret.size ());
  g_hmac_update (hmac, reinterpret_cast<const guchar *> (s.username.data ()),
                 (gssize) s.username.size ());
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  g_hmac_get_digest (hmac, digest, &digest_len);
  g_hmac_unref (hmac);

  gchar *b64 = g_base64_encode (digest, digest_len);
  s.credential = b64;
  g_free (b64);
  return s;
}

std::vector<proto::IceServer> make_ice_servers (const std::vector<std::string> &stun_urls,
                                                const std::vector<std::string> &turn_urls,
                                                const std::string &secret, const std::string &id,
                                                gint64 expiry_unix_s)
{
  std::vector<proto::IceServer> out;
  if (!stun_urls.empty ())
    out.push_back (proto::IceServer{ stun_urls, {}, {} });
  if (!turn_urls.empty () && !secret.empty ())
    out.push_back (make_turn_server (turn_urls, secret, id, expiry_unix_s));
  return out;
}

} // namespace gv::signaling
