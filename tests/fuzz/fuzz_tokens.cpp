/* Fuzz target: the signed tokens a client hands the server — an invite
 * link's (a viewer's `join`) and a resume token (a host's `register`) —
 * into their verifiers (signaling/invite_token.cpp, resume_token.cpp) under
 * a fixed key. Whatever verifies must be a token the server itself makes
 * from the claim it yields (only one spelling is signed), with fields in
 * their ranges; an input never verifies as both kinds. */
#include "capabilities.h"
#include "fuzz_check.h"
#include "invite_token.h"
#include "resume_token.h"

#include <cstdint>
#include <string>

namespace sig = gv::signaling;

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const std::string key (sig::kSessionKeyBytes, 'k');
  const std::string text (reinterpret_cast<const char *> (data), size);

  std::optional<sig::InviteClaim> invite = sig::verify_invite_token (key, text);
  std::optional<sig::ResumeClaim> resume = sig::verify_resume_token (key, text);
  GV_FUZZ_CHECK (!(invite && resume));
  if (invite) {
    GV_FUZZ_CHECK (sig::make_invite_token (key, *invite) == text);
    GV_FUZZ_CHECK (invite->capabilities & GV_CAPABILITY_VIEW);
    GV_FUZZ_CHECK ((invite->capabilities & ~gv::kAllCapabilities) == 0);
    GV_FUZZ_CHECK (invite->uses >= 1 && invite->uses <= sig::kMaxInviteUses);
  }
  if (resume) {
    GV_FUZZ_CHECK (sig::make_resume_token (key, *resume) == text);
    GV_FUZZ_CHECK (resume->uses_spent >= 0 && resume->uses_spent <= resume->max_viewers);
  }
  return 0;
}
