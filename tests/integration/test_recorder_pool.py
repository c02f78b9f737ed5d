#!/usr/bin/env python3
"""The recorder pool (issue 14, item 3), with real processes: a redis-server,
signalling nodes a and c (--redis, --api-keys), `ghostview host` on node a,
two `ghostview recorder-worker` processes joining through node c.

- POST /api/v1/sessions/{pin}/recordings on node a queues a job (202,
  Location); GET /api/v1/recordings/{id} follows it: queued, then recording
  by one worker;
- that worker killed with SIGKILL mid-job: the other takes the job over
  within 30 s and records a second part; the first part, finalized by its
  recorder when its worker died, plays;
- the session ended through the API: the job is done, its two part files
  play (gst-discoverer-1.0: Matroska, VP8), and together cover the session;
- node a, which queued the job, sends a signed `recording.done` webhook
  with the job's files to a receiver in the test;
- an unknown job is 404, a read key cannot queue (403), a PIN with no
  session is 404."""
import hashlib
import hmac
import http.server
import json
import os
import threading
import shutil
import signal
import subprocess
import time
import urllib.request

import gvfault
import gvtest

KEY = "gv-recorder-pool-test-key"
TAKEOVER_LIMIT_S = 30
CLAIM_IDLE_S = 6  # the workers' --claim-idle: short, so the test is short

gvtest.need_ghostview()
gvfault.need_signaling()
gvtest.need_discoverer()
gvtest.need_elements("vp8enc", "vp8dec", "webrtcbin", "videotestsrc", "matroskamux")
REDIS = shutil.which("redis-server")
if not REDIS:
    gvtest.skip("redis-server is not installed (Debian: redis-server)")


def api(base, method, path, key=KEY):
    req = urllib.request.Request(base + path, data=b"" if method == "POST" else None,
                                 method=method, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null"), r.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), e.headers


def job_until(base, job_id, what, test, timeout):
    deadline = time.monotonic() + timeout
    job = None
    while time.monotonic() < deadline:
        status, job, _ = api(base, "GET", f"/recordings/{job_id}")
        if status != 200:
            gvtest.fail(f"GET /recordings/{job_id} answered {status}: {job}")
        if test(job):
            return job
        time.sleep(0.2)
    gvtest.fail(f"{what}: not within {timeout} s; the job is {job}")


def duration_s(path):
    out = subprocess.run(["gst-discoverer-1.0", path], capture_output=True, text=True,
                         timeout=60).stdout
    if "Matroska" not in out or "VP8" not in out:
        gvtest.fail(f"{path} is not a Matroska file with VP8:\n{out}")
    for line in out.splitlines():
        if line.strip().startswith("Duration:"):
            h, m, s = line.split(":", 1)[1].strip().split(":")
            return int(h) * 3600 + int(m) * 60 + float(s)
    gvtest.fail(f"no duration for {path}:\n{out}")


class Hooks(http.server.BaseHTTPRequestHandler):
    events = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Hooks.events.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


work = gvtest.workdir()
keyfile = os.path.join(work, "api-keys")
reader_key = "gv-recorder-pool-reader"
ADMIN = "gv-recorder-pool-admin"
with open(keyfile, "w") as f:
    f.write(f"integrator write,read {hashlib.sha256(KEY.encode()).hexdigest()}\n")
    f.write(f"dashboard read {hashlib.sha256(reader_key.encode()).hexdigest()}\n")
    f.write(f"ops admin {hashlib.sha256(ADMIN.encode()).hexdigest()}\n")
out_dir = os.path.join(work, "recordings")
redis_port = gvfault.free_port()
redis_url = f"redis://127.0.0.1:{redis_port}/0"
procs = []
try:
    redis = gvtest.Process([REDIS, "--port", str(redis_port), "--bind", "127.0.0.1", "--save",
                            "", "--appendonly", "no", "--dir", work], "redis", echo=False)
    procs.append(redis)
    if not redis.wait_for(r"Ready to accept connections", 15)[0]:
        gvtest.fail("redis-server did not start:\n" + redis.output())
    hooks = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    secret = "gv-recorder-pool-webhook-secret"
    secret_file = os.path.join(work, "webhook.secret")
    with open(secret_file, "w") as f:
        f.write(secret)
    ports = {n: gvfault.free_port() for n in "ac"}
    for n in "ac":
        hook = ["--webhook", f"http://127.0.0.1:{hooks.server_address[1]}/hook",
                "--webhook-secret-file", secret_file] if n == "a" else []
        procs.append(gvfault.start_server(ports[n], "--redis", redis_url, "--node-id", n,
                                          "--api-keys", keyfile, "--session-key-file",
                                          os.path.join(work, "session.key"), *hook,
                                          name=f"node-{n}"))
    base = f"http://127.0.0.1:{ports['a']}/api/v1"
    host, pin = gvfault.start_host(f"ws://127.0.0.1:{ports['a']}/ws", "--set", "MAX_VIEWERS=4")
    procs.append(host)

    workers = {}
    for name in ("w1", "w2"):
        workers[name] = gvtest.Process(
            [gvtest.GHOSTVIEW, "recorder-worker", "--redis", redis_url, "--out", out_dir,
             "--server", f"ws://127.0.0.1:{ports['c']}/ws", "--name", name,
             "--claim-idle", str(CLAIM_IDLE_S)], name)
        procs.append(workers[name])
        if not workers[name].wait_for(r"taking recording jobs", 15)[0]:
            gvtest.fail(f"{name} did not start:\n" + workers[name].output())

    # Refusals first.
    status, body, _ = api(base, "POST", f"/sessions/{pin}/recordings", reader_key)
    if status != 403:
        gvtest.fail(f"a read key queued a recording: {status} {body}")
    status, body, _ = api(base, "POST", "/sessions/000000/recordings" if pin != "000000"
                          else "/sessions/000001/recordings")
    if status != 404 or body.get("code") != "SESSION_NOT_FOUND":
        gvtest.fail(f"a recording of no session answered {status} {body}")
    status, body, _ = api(base, "GET", "/recordings/rec-0000000000000000")
    if status != 404 or body.get("code") != "RECORDING_NOT_FOUND":
        gvtest.fail(f"an unknown job answered {status} {body}")

    status, job, headers = api(base, "POST", f"/sessions/{pin}/recordings")
    if status != 202 or job.get("state") != "queued" or job.get("pin") != pin:
        gvtest.fail(f"POST /sessions/{pin}/recordings answered {status} {job}")
    if headers.get("Location") != f"/api/v1/recordings/{job['id']}":
        gvtest.fail(f"no Location for the job: {headers.get('Location')}")
    job_id = job["id"]
    print(f"job {job_id} queued for PIN {pin}", flush=True)
    job = job_until(base, job_id, "a worker records the job",
                    lambda j: j["state"] == "recording" and j["worker"] in workers, 30)
    first = job["worker"]
    other = "w2" if first == "w1" else "w1"
    if not workers[first].wait_for(r"recording PIN", 5)[0]:
        gvtest.fail(f"{first} says nothing of the job:\n" + workers[first].output())
    if not host.wait_for(r"viewer joined", 30)[0]:
        gvtest.fail("the recorder never joined the host:\n" + host.output())
    print(f"{first} records it (part 1)", flush=True)
    time.sleep(5)

    killed = time.monotonic()
    workers[first].proc.send_signal(signal.SIGKILL)
    workers[first].proc.wait(10)
    job = job_until(base, job_id, f"{other} takes the job over",
                    lambda j: j["worker"] == other and j["parts"] == 2 and
                    j["state"] == "recording", TAKEOVER_LIMIT_S)
    took = time.monotonic() - killed
    print(f"{first} killed: {other} took the job over in {took:.1f} s (part 2); "
          f"files so far: {job['files']}", flush=True)
    if not workers[other].wait_for(r"taken over from " + first, 5)[0]:
        gvtest.fail(f"{other} does not say it took the job over:\n" + workers[other].output())
    part1 = os.path.join(out_dir, f"{job_id}-part1.mkv")
    deadline = time.monotonic() + 20
    while part1 not in job["files"] and time.monotonic() < deadline:
        time.sleep(0.5)
        _, job, _ = api(base, "GET", f"/recordings/{job_id}")
    if part1 in job["files"]:
        print("part 1 was finalized by its recorder and listed", flush=True)
    if not os.path.exists(part1):
        gvtest.fail(f"part 1 ({part1}) is gone")
    # Its recorder, told by PR_SET_PDEATHSIG, finishes the file and says so.
    part1_log = part1[:-len(".mkv")] + ".log"
    deadline = time.monotonic() + 15
    said = ""
    while "saved " not in said and time.monotonic() < deadline:
        time.sleep(0.2)
        with open(part1_log, errors="replace") as f:
            said = f.read()
    if "saved " not in said:
        gvtest.fail(f"part 1's recorder did not finish its file:\n{said}")
    first_s = duration_s(part1)
    if first_s < 3:
        gvtest.fail(f"part 1 holds {first_s:.1f} s, recorded for about 5 s before the kill")
    if not host.wait_for(r"viewer joined.*\(number 2\)", 30)[0]:
        gvtest.fail("the second part's recorder never joined:\n" + host.output())
    time.sleep(4)

    status, _, _ = api(base, "DELETE", f"/sessions/{pin}?reason=done")
    if status != 204:
        gvtest.fail(f"ending the session answered {status}")
    job = job_until(base, job_id, "the job is done once the session ended",
                    lambda j: j["state"] in ("done", "failed"), 30)
    if job["state"] != "done" or len(job["files"]) != 2:
        gvtest.fail(f"the job ended as {job}")
    durations = [duration_s(f) for f in job["files"]]
    print(f"job {job_id} done: {len(job['files'])} parts, "
          + ", ".join(f"{os.path.basename(f)} {d:.1f} s" for f, d in zip(job["files"], durations)),
          flush=True)
    if durations[1] < 2:
        gvtest.fail(f"part 2 holds {durations[1]:.1f} s, recorded for about 4 s")

    deadline = time.monotonic() + 15
    done = None
    while done is None and time.monotonic() < deadline:
        for headers, body in list(Hooks.events):
            event = json.loads(body)
            if event.get("type") == "recording.done":
                done = (headers, body, event)
        time.sleep(0.2)
    if done is None:
        gvtest.fail("no recording.done webhook; got " +
                    str([json.loads(b).get("type") for _, b in Hooks.events]))
    headers, body, event = done
    want = "sha256=" + hmac.new(secret.encode(), headers["X-GhostView-Timestamp"].encode() +
                                b"." + body, hashlib.sha256).hexdigest()
    if headers.get("X-GhostView-Signature") != want:
        gvtest.fail("the recording.done webhook's signature does not verify")
    rec = event.get("recording", {})
    if rec.get("id") != job_id or rec.get("files") != job["files"] or \
            event["session"]["pin"] != pin:
        gvtest.fail(f"the recording.done webhook says {event}")
    print("node a sent a signed recording.done webhook with both files", flush=True)

    # The lists the admin portal reads: the nodes, the workers and the jobs.
    status, listed, _ = api(base, "GET", "/nodes", ADMIN)
    names = [n["node"] for n in listed.get("nodes", [])] if status == 200 else []
    if names != ["a", "c"]:
        gvtest.fail(f"GET /nodes answered {status} {listed}")
    status, pool, _ = api(base, "GET", "/recordings")
    if status != 200 or pool["recordings"][0]["id"] != job_id or \
            other not in [w["name"] for w in pool["workers"]]:
        gvtest.fail(f"GET /recordings answered {status} {pool}")
    print(f"GET /nodes: {names}; GET /recordings: workers "
          f"{[(w['name'], w['idle_ms']) for w in pool['workers']]}, newest job {job_id}",
          flush=True)
finally:
    if "hooks" in globals():
        hooks.shutdown()
    for proc in reversed(procs):
        proc.kill()
    shutil.rmtree(work, ignore_errors=True)
