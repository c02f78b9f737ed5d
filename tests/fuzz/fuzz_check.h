/* What every fuzz target shares: the check that turns a broken invariant
 * into a finding. libFuzzer reports an abort like a crash and saves the
 * input; the replay test (replay_main.cpp) fails on it the same way. */
#pragma once

#include <cstdio>
#include <cstdlib>

#define GV_FUZZ_CHECK(cond)                                                                        \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf (stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);                \
      abort ();                                                                                    \
    }                                                                                              \
  } while (0)
