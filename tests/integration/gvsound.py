"""Sound for the launcher's tests: a private PulseAudio server (Debian's
`pulseaudio`, its own socket and home in a temporary directory, null sinks
for outputs), something playing into one of them, and what a recording or a
sink's monitor holds: seconds of sound, its level and its pitch."""
import array
import math
import os
import shutil
import subprocess
import tempfile
import time

import gi

import gvtest

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

RATE = 48000


class PulseServer:
    """pulseaudio -n with a null sink per name in `sinks` (the first is the
    default output); `env` is the environment its clients need."""

    def __init__(self, sinks):
        if not shutil.which("pulseaudio") or not shutil.which("pactl"):
            gvtest.skip("PulseAudio is not installed (Debian: pulseaudio, pulseaudio-utils)")
        self.dir = tempfile.mkdtemp(prefix="gv-pulse-")
        socket = os.path.join(self.dir, "native")
        os.makedirs(os.path.join(self.dir, "run"), mode=0o700)
        self.env = dict(os.environ, HOME=self.dir, XDG_RUNTIME_DIR=os.path.join(self.dir, "run"),
                        PULSE_SERVER=f"unix:{socket}")
        self.env.pop("PULSE_SINK", None)
        self.env.pop("PULSE_SOURCE", None)
        args = ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
                "--disallow-module-loading=no", "-F", "/dev/null", "--log-target=stderr",
                f"--load=module-native-protocol-unix socket={socket} auth-anonymous=1"]
        args += [f"--load=module-null-sink sink_name={name}" for name in sinks]
        self.log = open(os.path.join(self.dir, "pulseaudio.log"), "w")
        self.proc = subprocess.Popen(args, env=self.env, stdout=self.log, stderr=self.log)
        for _ in range(100):
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0:
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        else:
            self.stop()
            gvtest.fail("PulseAudio did not answer within 10 s")
        if self.proc.poll() is not None:
            gvtest.fail("PulseAudio exited at start:\n" + open(self.log.name).read()[-2000:])
        subprocess.run(["pactl", "set-default-sink", sinks[0]], env=self.env, check=True)

    def play_tone(self, sink, freq):
        """A sine of `freq` Hz playing into `sink` until stop_playing ()."""
        self.player = subprocess.Popen(
            ["gst-launch-1.0", "-q", "audiotestsrc", "is-live=true", f"freq={freq}", "volume=0.5",
             "!", "pulsesink", f"device={sink}"], env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    def stop(self):
        for proc in (getattr(self, "player", None), self.proc):
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Heard:
    """Mono 16-bit samples at RATE: seconds, level (dBFS) and pitch (Hz, from
    zero crossings) of the loud part (blocks of 10 ms above -40 dBFS)."""

    def __init__(self, samples):
        self.seconds = len(samples) / RATE
        block = RATE // 100
        loud = []
        for i in range(0, len(samples) - block + 1, block):
            chunk = samples[i:i + block]
            if (sum(s * s for s in chunk) / block) ** 0.5 > 32768 * 0.01:
                loud.extend(chunk)
        self.loud_seconds = len(loud) / RATE
        self.rms_dbfs = -120.0
        self.pitch_hz = 0.0
        if loud:
            rms = (sum(s * s for s in loud) / len(loud)) ** 0.5
            self.rms_dbfs = 20 * math.log10(max(rms, 1) / 32768)
            crossings = sum(1 for a, b in zip(loud, loud[1:]) if (a < 0) != (b < 0))
            self.pitch_hz = crossings / 2 / self.loud_seconds

    def __str__(self):
        return (f"{self.seconds:.2f} s of sound, {self.loud_seconds:.2f} s loud at "
                f"{self.rms_dbfs:.1f} dBFS, pitch {self.pitch_hz:.0f} Hz")


def _collect(description, timeout):
    """Runs `description` (ending in `appsink name=out`) until EOS or
    `timeout` seconds; its samples."""
    Gst.init(None)
    pipeline = Gst.parse_launch(description)
    sink = pipeline.get_by_name("out")
    data = bytearray()
    pipeline.set_state(Gst.State.PLAYING)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sample = sink.emit("try-pull-sample", 100 * Gst.MSECOND)
        if sample is None:
            if sink.get_property("eos"):
                break
            msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
            if msg:
                pipeline.set_state(Gst.State.NULL)
                gvtest.fail(f"reading sound with {description}: {msg.parse_error()[0].message}")
            continue
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        if ok:
            data += info.data
            buf.unmap(info)
    pipeline.set_state(Gst.State.NULL)
    samples = array.array("h")
    samples.frombytes(bytes(data[:len(data) - len(data) % 2]))
    return samples


RAW = f"audioconvert ! audioresample ! audio/x-raw,format=S16LE,channels=1,rate={RATE}"


def heard_in_file(path):
    """The sound in a recording (its first audio stream)."""
    return Heard(_collect(f"filesrc location={path} ! decodebin ! {RAW} ! "
                          "appsink name=out sync=false", 60))


def heard_on(server, source, seconds):
    """`seconds` of what PulseAudio source `source` (a sink's monitor) hears."""
    os.environ.update({k: server.env[k] for k in ("PULSE_SERVER", "HOME", "XDG_RUNTIME_DIR")})
    return Heard(_collect(f"pulsesrc device={source} ! {RAW} ! appsink name=out sync=false",
                          seconds))
