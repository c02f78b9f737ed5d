/* Runs a fuzz target's entry point over files, without libFuzzer: how the
 * main (gcc) build checks every committed seed and every input that once
 * crashed a target (tests/fuzz/regressions/TARGET/). Arguments are files or
 * directories (their files, sorted); a run that finds no input fails, so a
 * missing corpus cannot pass for a clean one. A finding aborts, as under
 * libFuzzer. */
#include <glib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
extern "C" int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

static void add_inputs (const char *path, std::vector<std::string> &files)
{
  if (!g_file_test (path, G_FILE_TEST_IS_DIR)) {
    files.emplace_back (path);
    return;
  }
  GDir *dir = g_dir_open (path, 0, nullptr);
  if (!dir)
    return;
  std::vector<std::string> found;
  while (const char *name = g_dir_read_name (dir))
    if (name[0] != '.')
      found.push_back (std::string (path) + G_DIR_SEPARATOR_S + name);
  g_dir_close (dir);
  std::sort (found.begin (), found.end ());
  files.insert (files.end (), found.begin (), found.end ());
}

int main (int argc, char **argv)
{
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize (&argc, &argv);
  std::vector<std::string> files;
  for (int i = 1; i < argc; i++)
    add_inputs (argv[i], files);
  for (const auto &file : files) {
    gchar *contents = nullptr;
    gsize length = 0;
    GError *error = nullptr;
    if (!g_file_get_contents (file.c_str (), &contents, &length, &error)) {
      fprintf (stderr, "%s\n", error->message);
      g_error_free (error);
      return 1;
    }
    LLVMFuzzerTestOneInput (reinterpret_cast<const uint8_t *> (contents), length);
    g_free (contents);
  }
  if (files.empty ()) {
    fprintf (stderr, "no inputs found\n");
    return 1;
  }
  printf ("%s: %zu inputs replayed, none failed\n", argv[0], files.size ());
  return 0;
}
