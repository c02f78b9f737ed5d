/* The launcher's exit codes, as README and --help document them. */
#pragma once

namespace gv::launcher {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;       /* e.g. the signalling server cannot listen */
constexpr int kExitUsage = 2;         /* bad option, preset or variable */
constexpr int kExitPipeline = 3;      /* the pipeline could not be built or failed */
constexpr int kExitInterrupted = 130; /* a second Ctrl-C: quit without finalizing */

} // namespace gv::launcher
