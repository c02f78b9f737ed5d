/* The subcommands of `ghostview`; each parses its own options and returns
 * the exit code. argv[0] is the command name. */
#pragma once

namespace gv::launcher {

int command_host (int argc, char **argv);
int command_view (int argc, char **argv);
int command_record (int argc, char **argv);
int command_run (int argc, char **argv);
int command_whip_relay (int argc, char **argv);
int command_recorder_worker (int argc, char **argv);
int command_serve (int argc, char **argv);
int command_presets (int argc, char **argv);
int command_devices (int argc, char **argv);

} // namespace gv::launcher
