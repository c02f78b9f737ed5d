/* Small additions to Check for C++ tests. */
#pragma once

#include <check.h>

#include <string>

/* ck_assert_str_eq keeps only the char pointers it is given, so a pointer
 * into a temporary std::string dangles; this one holds copies. */
#define GV_ASSERT_STR_EQ(a, b)                                                                     \
  do {                                                                                             \
    const std::string gv_a_ (a), gv_b_ (b);                                                        \
    ck_assert_msg (gv_a_ == gv_b_, "'%s' == '%s' failed: \"%s\" != \"%s\"", #a, #b,                \
                   gv_a_.c_str (), gv_b_.c_str ());                                                \
  } while (0)
