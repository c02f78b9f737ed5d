// web/js/protocol.js and web/js/assist.js against the C++ definitions they
// mirror, both ways: the input data channel (plugins/webrtc/gvnavjson.h),
// the assistance channel (plugins/webrtc/gvassistjson.h), signalling
// (signaling/protocol.h) and capabilities (signaling/capabilities.h), as
// printed by protocol-dump; and every builder's message through the C++
// parsers themselves, and the C++ builders' through the JS parser. No
// browser: node's own test runner.
//   node tests/protocol/parity.test.mjs build/tests/protocol/protocol-dump
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, test } from 'node:test';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = process.env.GHOSTVIEW_SOURCE_DIR || path.resolve(here, '../..');
const webDir = process.env.GHOSTVIEW_WEB_DIR || path.join(sourceDir, 'web');
const dumpBin = process.argv[2] || path.join(sourceDir, 'build', 'tests', 'protocol', 'protocol-dump');
if (!existsSync(dumpBin)) {
  process.stdout.write(`SKIP: ${dumpBin} is not built (ninja -C build)\n`);
  process.exit(77);
}

const proto = await import(pathToFileURL(path.join(webDir, 'js', 'protocol.js')).href);
const assist = await import(pathToFileURL(path.join(webDir, 'js', 'assist.js')).href);

// protocol-dump needs GStreamer's types, not its plugins: an empty registry
// of our own, so no run scans or touches the user's.
const scratch = mkdtempSync(path.join(tmpdir(), 'gv-protocol-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const dumpEnv = {
  ...process.env,
  GST_PLUGIN_SYSTEM_PATH_1_0: '',
  GST_PLUGIN_PATH_1_0: '',
  GST_REGISTRY_1_0: path.join(scratch, 'registry.bin'),
};

function runDump(args, input) {
  // (Pictures of up to 1,000 KiB go through it, in hex.)
  const r = spawnSync(dumpBin, args, { input, env: dumpEnv, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `protocol-dump ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const cxx = JSON.parse(runDump([]));

/** Each message (an object) through a C++ parser; its results, in order. */
function cxxParse(args, messages) {
  const out = runDump(args, messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
  const results = out.split('\n').filter(Boolean).map((line) => JSON.parse(line));
  assert.equal(results.length, messages.length);
  return results;
}

/** The table name rule both sides follow: "mouse-down" -> MOUSE_DOWN. */
const constName = (name) => name.toUpperCase().replace(/-/g, '_');

/** `obj` is exactly { constName(name): value } over `entries` ([name, value]). */
function assertExactly(obj, entries, what) {
  const expected = Object.fromEntries(entries.map(([name, value]) => [constName(name), value]));
  for (const [key, value] of Object.entries(expected)) {
    assert.ok(key in obj, `protocol.js ${what} lacks ${key} (${JSON.stringify(value)}), which C++ defines`);
    assert.deepEqual(obj[key], value, `protocol.js ${what}.${key}`);
  }
  for (const key of Object.keys(obj)) {
    assert.ok(key in expected, `protocol.js ${what}.${key} (${JSON.stringify(obj[key])}) is not in the C++ definition`);
  }
}

// Every export of protocol.js, by how this file checks it. A new export
// fails the last test until it is listed here, so nothing reaches the
// pages unchecked.
const CHECKED = {
  signalling: ['VERSION', 'PIN_MIN_DIGITS', 'PIN_MAX_DIGITS', 'MAX_MESSAGE_BYTES', 'MAX_SDP_BYTES', 'MAX_CANDIDATE_BYTES',
    'MAX_NAME_BYTES', 'MAX_REASON_BYTES', 'MAX_VIEWERS_LIMIT', 'MAX_DETAIL_BYTES', 'MAX_CODEC_BYTES', 'MAX_RESUME_TOKEN_BYTES',
    'MAX_INVITE_TOKEN_BYTES', 'MAX_INVITE_USES', 'MIN_INVITE_TTL', 'MAX_INVITE_TTL', 'Type',
    'ErrorCode', 'Capability', 'Reason', 'Problem', 'CloseCode', 'JOIN_FATAL_ERRORS', 'isValidPin', 'normalisePin',
    'FallbackAction', 'MAX_INPUT_EVENTS', 'FALLBACK_MAGIC', 'MAX_FALLBACK_FRAME_BYTES', 'parseFallbackFrame',
    'makeFallbackFrame'],
  signallingBuilders: ['makeRegister', 'makeJoin', 'makeJoinByInvite', 'makeInvite', 'makeAccept', 'makeDecline', 'makeGrant', 'makeKick',
    'makeEnd', 'makeLeave', 'makePing', 'makeSdp', 'makeIce', 'makeReport', 'makeRestart', 'makeFallback',
    'makeFallbackUnavailable', 'makeInput', 'makeSnapshotRefusal'],
  input: ['INPUT_CHANNEL_LABEL', 'MAX_INPUT_MESSAGE_BYTES', 'MAX_TOUCH_ID', 'Input', 'InputField',
    'InputButton', 'InputModifier', 'inputKind'],
  inputBuilders: ['makeMouseMove', 'makeMouseButton', 'makeWheel', 'makeKey', 'makeTouch', 'makeTouchFrame',
    'makeTouchCancel', 'makeRequestControl', 'withModifierState'],
  host: ['HostMessage', 'HostField', 'MAX_LINK_BPS', 'MAX_LINK_LAYER', 'parseHostMessage'],
  // The pages' own: sentences for people and helpers with no wire format
  // of their own (their inputs and outputs are the checked names above).
  browserOnly: ['errorMessage', 'sessionEndedMessage', 'truncateUtf8', 'signallingUrl', 'iceCandidateInit'],
};

// ---- signalling ----

test('signalling limits and version are the C++ ones', () => {
  const s = cxx.signalling;
  assert.equal(proto.VERSION, s.version);
  assert.equal(proto.PIN_MIN_DIGITS, s.pin_min_digits);
  assert.equal(proto.PIN_MAX_DIGITS, s.pin_max_digits);
  assert.equal(proto.MAX_MESSAGE_BYTES, s.max_message_bytes);
  assert.equal(proto.MAX_SDP_BYTES, s.max_sdp_bytes);
  assert.equal(proto.MAX_CANDIDATE_BYTES, s.max_candidate_bytes);
  assert.equal(proto.MAX_NAME_BYTES, s.max_name_bytes);
  assert.equal(proto.MAX_REASON_BYTES, s.max_reason_bytes);
  assert.equal(proto.MAX_VIEWERS_LIMIT, s.max_viewers_limit);
  assert.equal(proto.MAX_DETAIL_BYTES, s.max_detail_bytes);
  assert.equal(proto.MAX_CODEC_BYTES, s.max_codec_bytes);
  assert.equal(proto.MAX_RESUME_TOKEN_BYTES, s.max_resume_token_bytes);
  assert.equal(proto.MAX_INVITE_TOKEN_BYTES, s.max_invite_token_bytes);
  assert.equal(proto.MAX_INVITE_USES, s.max_invite_uses);
  assert.equal(proto.MIN_INVITE_TTL, s.min_invite_ttl);
  assert.equal(proto.MAX_INVITE_TTL, s.max_invite_ttl);
  assert.equal(proto.MAX_INPUT_EVENTS, s.max_input_events);
  assert.equal(proto.FALLBACK_MAGIC, s.fallback_magic);
  assert.equal(proto.MAX_FALLBACK_FRAME_BYTES, s.max_fallback_frame_bytes);
  for (let n = s.pin_min_digits; n <= s.pin_max_digits; n++) assert.ok(proto.isValidPin('7'.repeat(n)), `${n} digits`);
  assert.ok(!proto.isValidPin('7'.repeat(s.pin_max_digits + 1)) && !proto.isValidPin('7'.repeat(s.pin_min_digits - 1)));
  assert.ok(!proto.isValidPin('12345a') && !proto.isValidPin('123 456'));
  assert.equal(proto.normalisePin('1'.repeat(s.pin_max_digits + 3)).length, s.pin_max_digits);
  assert.equal(proto.normalisePin('123 456-789'), '123456789');
});

test('message types, error codes, reasons, close codes and capabilities are the C++ ones', () => {
  const s = cxx.signalling;
  assertExactly(proto.Type, s.types.map((t) => [t.name, t.name]), 'Type');
  assertExactly(proto.ErrorCode, s.error_codes.map((c) => [c, c]), 'ErrorCode');
  assertExactly(proto.Reason, s.reasons.map((r) => [r, r]), 'Reason');
  assertExactly(proto.Problem, s.problems.map((p) => [p, p]), 'Problem');
  assertExactly(proto.FallbackAction, s.fallback_actions.map((a) => [a, a]), 'FallbackAction');
  assertExactly(proto.CloseCode, Object.entries(s.close_codes), 'CloseCode');
  assertExactly(proto.Capability, cxx.capabilities.map((c) => [c.name, c.name]), 'Capability');
  // In bit order, as the wire lists them.
  assert.deepEqual(Object.values(proto.Capability), cxx.capabilities.map((c) => c.name));

  // Every code and reason has a sentence of the pages' own.
  for (const code of s.error_codes) assert.ok(!proto.errorMessage(code).startsWith('Unexpected'), `a message for ${code}`);
  for (const code of proto.JOIN_FATAL_ERRORS) assert.ok(s.error_codes.includes(code), `JOIN_FATAL_ERRORS: ${code}`);
  const fallback = proto.sessionEndedMessage('no-such-reason');
  for (const reason of [proto.Reason.HOST_ENDED, proto.Reason.HOST_DISCONNECTED, proto.Reason.REMOVED]) {
    assert.notEqual(proto.sessionEndedMessage(reason), fallback, `a message for ${reason}`);
  }
});

test('every signalling builder makes a message the C++ parser accepts, with C++ field names and kinds', () => {
  const caps = Object.values(proto.Capability);
  const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host', sdpMLineIndex: 0, sdpMid: '0' };
  const samples = [
    proto.makeRegister(),
    proto.makeRegister({ maxViewers: proto.MAX_VIEWERS_LIMIT, pinTtl: 600, name: 'é'.repeat(100) }),
    proto.makeRegister({ resumeToken: 'v1.ab.123456.1.1.0.' + 'f'.repeat(64) }),
    proto.makeJoin('123456'),
    proto.makeJoin('123456', 'Al'),
    proto.makeJoinByInvite('i1.ab.3.1.1.0123456789abcdef.' + 'f'.repeat(64), 'Al'),
    proto.makeInvite(),
    proto.makeInvite([proto.Capability.VIEW, proto.Capability.CONTROL], proto.MAX_INVITE_USES, proto.MAX_INVITE_TTL),
    proto.makeAccept('p1'),
    proto.makeAccept('p1', caps),
    proto.makeDecline('p1'),
    proto.makeDecline('p1', 'x'.repeat(1000)),
    proto.makeGrant('p1', [proto.Capability.VIEW, proto.Capability.CONTROL]),
    proto.makeKick('p1', 'bye'),
    proto.makeEnd(),
    proto.makeLeave(),
    proto.makePing(),
    proto.makeSdp('p1', 'offer', 'v=0\r\n'),
    proto.makeSdp('', 'answer', 'v=0\r\n'),
    proto.makeIce('p1', candidate),
    proto.makeIce('', null),
    proto.makeReport(proto.Problem.NO_COMMON_CODEC),
    // Line breaks, control characters and oversize are the builder's to fix.
    proto.makeReport(proto.Problem.CANNOT_DECODE, `frames\r\nstopped\u0007 ${'é'.repeat(400)}`, `VP9\n${'x'.repeat(60)}`),
    proto.makeRestart(),
    proto.makeFallback(proto.FallbackAction.START),
    proto.makeFallback(proto.FallbackAction.ACK, 1),
    proto.makeFallback(proto.FallbackAction.ACK, 2 ** 32 - 1),
    proto.makeFallback(proto.FallbackAction.STOP),
    proto.makeFallbackUnavailable('p1', 'the host shares encoded video'),
    proto.makeFallbackUnavailable('p1', `two\nlines ${'é'.repeat(400)}`),
    proto.makeInput([proto.makeMouseMove(0.5, 0.5)]),
    proto.makeInput(inputSamples()),
    proto.makeInput(Array.from({ length: proto.MAX_INPUT_EVENTS }, (_, n) => proto.makeMouseMove(n / 64, 0.5))),
    proto.makeSnapshotRefusal('snap-abc', `no\nsnapshots ${'é'.repeat(400)}`),
  ];
  const made = new Set(samples.map((m) => m.type));
  for (const name of CHECKED.signallingBuilders) {
    assert.equal(typeof proto[name], 'function', name);
  }
  // (makeJoin and makeJoinByInvite both make a `join`; makeFallback and
  // makeFallbackUnavailable a `fallback`.)
  assert.equal(made.size, CHECKED.signallingBuilders.length - 2, 'one sample type per builder');

  const results = cxxParse(['parse-signalling'], samples);
  const specs = Object.fromEntries(cxx.signalling.types.map((t) => [t.name, t.fields]));
  samples.forEach((msg, i) => {
    const text = JSON.stringify(msg);
    assert.ok(results[i].ok, `C++ refuses ${text}: ${results[i].code} ${results[i].error}`);
    assert.equal(results[i].type, msg.type);
    const fields = Object.fromEntries(specs[msg.type].map((f) => [f.name, f]));
    for (const [key, value] of Object.entries(msg)) {
      if (key === 'type') continue;
      const f = fields[key];
      assert.ok(f, `${text}: "${key}" is not a field of "${msg.type}" in signaling/protocol.cpp`);
      if (f.kind === 'string') {
        assert.equal(typeof value, 'string', `${text}: ${key}`);
        const bytes = Buffer.byteLength(value);
        assert.ok(bytes >= f.min && bytes <= f.max, `${text}: ${key} is ${bytes} bytes, C++ takes ${f.min}..${f.max}`);
      } else if (f.kind === 'int') {
        assert.ok(Number.isInteger(value) && value >= f.min && value <= f.max, `${text}: ${key}`);
      } else {
        assert.ok(Array.isArray(value) && value.length >= f.min && value.length <= f.max, `${text}: ${key}`);
        if (f.kind === 'string-array') {
          for (const v of value) assert.ok(caps.includes(v), `${text}: ${key} holds "${v}"`);
        }
      }
    }
    for (const f of specs[msg.type]) {
      if (f.required) assert.ok(f.name in msg, `${text} lacks "${f.name}", required by C++`);
    }
  });
});

test('a report is refused by the C++ parser unless its problem is listed and its texts are one short line', () => {
  const s = cxx.signalling;
  const report = (fields) => ({ type: proto.Type.REPORT, ...fields });
  const cases = [
    // [message, accepted]
    ...s.problems.map((problem) => [report({ problem }), true]),
    [report({ problem: 'no-media', detail: 'x'.repeat(s.max_detail_bytes), codec: 'c'.repeat(s.max_codec_bytes) }), true],
    [report({ problem: 'no-media', detail: 'é'.repeat(s.max_detail_bytes / 2) }), true],
    [report({}), false],
    [report({ problem: '' }), false],
    [report({ problem: 'bored' }), false],
    [report({ problem: 'NO-MEDIA' }), false],
    [report({ problem: 7 }), false],
    [report({ problem: 'no-media', detail: 'x'.repeat(s.max_detail_bytes + 1) }), false],
    [report({ problem: 'no-media', codec: 'c'.repeat(s.max_codec_bytes + 1) }), false],
    [report({ problem: 'no-media', detail: 'two\nlines' }), false],
    [report({ problem: 'no-media', detail: 'bell\u0007' }), false],
    [report({ problem: 'no-media', detail: 'sep\u2028arator' }), false],
    [report({ problem: 'no-media', codec: 'H264\r' }), false],
    [report({ problem: 'no-media', detail: ['a'] }), false],
    [{ type: proto.Type.RESTART }, true],
    [{ type: proto.Type.RESTART, peer: 'x'.repeat(65) }, false],
  ];
  const results = cxxParse(['parse-signalling'], cases.map(([m]) => m));
  cases.forEach(([msg, accepted], i) => {
    const text = JSON.stringify(msg).slice(0, 120);
    assert.equal(results[i].ok, accepted, `${text}: C++ ${results[i].ok ? 'accepts' : `refuses (${results[i].error})`}`);
    if (!accepted) {
      assert.equal(results[i].code, proto.ErrorCode.BAD_MESSAGE, text);
      assert.ok(results[i].error.length > 10, `${text}: a clear error (${results[i].error})`);
    }
  });
  // Whatever a page passes, makeReport makes what the C++ parser accepts.
  const made = [
    proto.makeReport(proto.Problem.NO_MEDIA, 'two\nlines\u2028and a bell\u0007', 'H264\r'),
    proto.makeReport(proto.Problem.NO_MEDIA, 'é'.repeat(s.max_detail_bytes), '€'.repeat(s.max_codec_bytes)),
    proto.makeReport(proto.Problem.RESOLVED, '\n\n', ''),
  ];
  for (const [i, r] of cxxParse(['parse-signalling'], made).entries()) {
    assert.ok(r.ok, `${JSON.stringify(made[i])}: ${r.error}`);
  }
  assert.equal(made[0].detail, 'two lines and a bell');
  assert.equal(made[0].codec, 'H264');
  assert.ok(!('detail' in made[2]), 'an empty detail is left out');
});

// ---- the fallback (pictures over the signalling WebSocket) ----

test('fallback and input messages: the C++ parser takes the listed actions and 1 to MAX_INPUT_EVENTS events', () => {
  const s = cxx.signalling;
  const fallback = (fields) => ({ type: proto.Type.FALLBACK, ...fields });
  const input = (events) => ({ type: proto.Type.INPUT, events });
  const move = proto.makeMouseMove(0.5, 0.5);
  const cases = [
    // [message, accepted]
    ...s.fallback_actions.map((action) => [fallback({ action }), true]),
    [fallback({ action: 'ack', frame: 0 }), true],
    [fallback({ action: 'ack', frame: 2 ** 32 - 1 }), true],
    [fallback({ action: 'ack', frame: 2 ** 32 }), false],
    [fallback({ action: 'ack', frame: -1 }), false],
    [fallback({ action: 'ack', frame: '1' }), false],
    [fallback({}), false],
    [fallback({ action: '' }), false],
    [fallback({ action: 'START' }), false],
    [fallback({ action: 'pause' }), false],
    [fallback({ action: 'unavailable', reason: 'x'.repeat(s.max_reason_bytes) }), true],
    [fallback({ action: 'unavailable', reason: 'x'.repeat(s.max_reason_bytes + 1) }), false],
    [input([move]), true],
    [input(Array(s.max_input_events).fill(move)), true],
    [input(Array(s.max_input_events + 1).fill(move)), false],
    [input([]), false],
    [input([move, 'mm']), false],
    [input([[move]]), false],
    [input(move), false],
    [{ type: proto.Type.INPUT }, false],
  ];
  const results = cxxParse(['parse-signalling'], cases.map(([m]) => m));
  cases.forEach(([msg, accepted], i) => {
    const text = JSON.stringify(msg).slice(0, 120);
    assert.equal(results[i].ok, accepted, `${text}: C++ ${results[i].ok ? 'accepts' : `refuses (${results[i].error})`}`);
    if (!accepted) assert.equal(results[i].code, proto.ErrorCode.BAD_MESSAGE, text);
  });
  // The events a page batches are the input channel's messages, which the
  // host parses one by one (the input test below holds the builders to it).
  const batch = proto.makeInput(inputSamples());
  for (const [i, r] of cxxParse(['parse-input', '1920', '1080'], batch.events).entries()) {
    assert.ok(r.ok, `${JSON.stringify(batch.events[i])}: ${r.error}`);
  }
});

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 0xff, 0xd9]);

test('parseFallbackFrame reads the pictures the C++ side makes', () => {
  const s = cxx.signalling;
  for (const [peer, frame, width, height] of [['', 1, 1280, 720], ['ab12cd34', 2 ** 32 - 1, 65535, 1], ['p'.repeat(255), 7, 1, 65535]]) {
    const line = runDump(['make-fallback-frame', peer, String(frame), String(width), String(height)], hex(JPEG)).trim();
    assert.ok(line, `C++ makes a picture for ${peer.length}-byte peer`);
    const bytes = Buffer.from(line, 'hex');
    assert.ok(bytes.subarray(0, 4).equals(Buffer.from(proto.FALLBACK_MAGIC)), 'the magic');
    // An ArrayBuffer of its own, as a WebSocket with binaryType "arraybuffer" hands it over.
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    const p = proto.parseFallbackFrame(buffer);
    assert.ok(p, `JavaScript refuses ${line.slice(0, 60)}…`);
    assert.deepEqual({ ...p, jpeg: hex(p.jpeg) }, { peer, frame, width, height, jpeg: hex(JPEG) });
    // And the browser host page's pictures are byte for byte the same.
    assert.equal(hex(proto.makeFallbackFrame(peer, frame, width, height, JPEG)), line);
  }
  // The largest picture the C++ side makes is the largest the page takes.
  const fixed = proto.FALLBACK_MAGIC.length + 1 + 4 + 2 + 2;
  const big = new Uint8Array(s.max_fallback_frame_bytes - fixed);
  big.set([0xff, 0xd8]);
  const most = runDump(['make-fallback-frame', '', '1', '2', '2'], hex(big)).trim();
  assert.equal(most.length / 2, s.max_fallback_frame_bytes);
  assert.ok(proto.parseFallbackFrame(Buffer.from(most, 'hex')));
  assert.equal(runDump(['make-fallback-frame', '', '1', '2', '2'], `${hex(big)}00`).trim(), '', 'one byte more: refused');
  assert.equal(hex(proto.makeFallbackFrame('', 1, 2, 2, big)), most);
  assert.equal(proto.makeFallbackFrame('', 1, 2, 2, new Uint8Array(big.length + 1)), null, 'one byte more: refused');
  assert.equal(proto.makeFallbackFrame('p'.repeat(256), 1, 2, 2, JPEG), null, 'a peer over 255 bytes: refused');
});

test('parseFallbackFrame and the C++ parser agree on what is a picture', () => {
  const s = cxx.signalling;
  const frame = ({ magic = proto.FALLBACK_MAGIC, peer = '', peerLength, number = 3, width = 640, height = 360, jpeg = JPEG } = {}) => {
    const p = Buffer.from(peer);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(number, 0);
    head.writeUInt16BE(width, 4);
    head.writeUInt16BE(height, 6);
    return Buffer.concat([Buffer.from(magic), Buffer.from([peerLength ?? p.length]), p, head, Buffer.from(jpeg)]);
  };
  const whole = frame();
  const cases = [
    whole,
    frame({ peer: 'ab12cd34' }),
    frame({ number: 0 }),
    frame({ jpeg: [0xff, 0xd8] }),
    frame({ jpeg: [0xff] }),
    frame({ jpeg: [] }),
    frame({ jpeg: [0xd8, 0xff, 0xd9] }),
    frame({ jpeg: [0x89, 0x50, 0x4e, 0x47] }),
    frame({ width: 0 }),
    frame({ height: 0 }),
    frame({ magic: 'GVJ2' }),
    frame({ magic: 'gvj1' }),
    frame({ peerLength: 200 }),
    frame({ peer: 'abc', peerLength: 2 }),
    whole.subarray(0, 12),
    whole.subarray(0, 13),
    whole.subarray(0, 14),
    Buffer.alloc(0),
    Buffer.from('GVJ1'),
    Buffer.concat([frame(), Buffer.alloc(s.max_fallback_frame_bytes - whole.length)]),
    Buffer.concat([frame(), Buffer.alloc(s.max_fallback_frame_bytes - whole.length + 1)]),
  ];
  const out = runDump(['parse-fallback-frame'], cases.map((b) => `${hex(b)}\n`).join(''));
  const results = out.split('\n').filter(Boolean).map((line) => JSON.parse(line));
  assert.equal(results.length, cases.length);
  cases.forEach((bytes, i) => {
    const js = proto.parseFallbackFrame(new Uint8Array(bytes));
    const c = results[i];
    const what = `case ${i} (${hex(bytes.subarray(0, 24))}…, ${bytes.length} bytes)`;
    assert.equal(js !== null, c.ok, `${what}: JavaScript ${js ? 'accepts' : 'refuses'}, C++ ${c.ok ? 'accepts' : `refuses (${c.error})`}`);
    if (c.ok) {
      assert.deepEqual({ ...js, jpeg: hex(js.jpeg) }, { peer: c.peer, frame: c.frame, width: c.width, height: c.height, jpeg: c.jpeg }, what);
    }
  });
  assert.equal(results.filter((r) => r.ok).length, 5, 'the good pictures are taken');
  assert.equal(proto.parseFallbackFrame('GVJ1'), null, 'text: not a picture');
  assert.equal(proto.parseFallbackFrame(null), null);
});

// ---- the input data channel ----

// The table's kinds by who sends them, and the fields each side's kinds use.
const viewerKinds = cxx.input.kinds.filter((k) => k.direction === 'viewer-to-host');
const hostKinds = cxx.input.kinds.filter((k) => k.direction === 'host-to-viewer');
const hostFieldNames = new Set(hostKinds.flatMap((k) => k.fields.map((u) => u.name)));
const inputFields = cxx.input.fields.filter((f) => !hostFieldNames.has(f.name));
const hostFields = cxx.input.fields.filter((f) => hostFieldNames.has(f.name));

test('input channel constants are the C++ ones', () => {
  const i = cxx.input;
  assert.equal(proto.INPUT_CHANNEL_LABEL, i.channel_label);
  assert.equal(proto.MAX_INPUT_MESSAGE_BYTES, i.max_message_bytes);
  assert.equal(i.touch_id.min, 0);
  assert.equal(proto.MAX_TOUCH_ID, i.touch_id.max);
  for (const [name, b] of Object.entries(proto.InputButton)) {
    assert.ok(Number.isInteger(b) && b >= i.button.min && b <= i.button.max,
      `InputButton.${name} = ${b}, C++ takes ${i.button.min}..${i.button.max}`);
  }
  const nicks = i.modifiers.map((m) => m.nick);
  for (const [name, m] of Object.entries(proto.InputModifier)) {
    assert.ok(nicks.includes(m), `InputModifier.${name} = "${m}" is not a GstNavigationModifierType nick`);
  }
});

test('input kinds and field names are the C++ table', () => {
  const i = cxx.input;
  assert.ok(viewerKinds.length + hostKinds.length === i.kinds.length, 'every kind has a direction');
  assertExactly(proto.Input, [...viewerKinds.map((k) => [k.name, k.compact]), [i.request_control, i.request_control]], 'Input');
  assertExactly(proto.InputField, [['kind', i.kind_field], ...inputFields.map((f) => [f.name, f.compact])], 'InputField');
});

// One message per builder and kind, with every field the kind can carry.
function inputSamples() {
  const I = proto.Input;
  return [
    proto.makeMouseMove(0.12345, 1),
    proto.makeMouseButton(true, 0, 0.5, proto.InputButton.LEFT),
    proto.makeMouseButton(false, 0.5, 0.5, proto.InputButton.FORWARD),
    proto.makeWheel(0.25, 0.75, -1, 3),
    proto.makeKey(true, 'a'),
    proto.makeKey(false, 'ISO_Level3_Shift'),
    proto.makeTouch(I.TOUCH_DOWN, 0, 0.5, 0.5, 0.5),
    proto.makeTouch(I.TOUCH_MOVE, proto.MAX_TOUCH_ID, 0.25, 0.5, 1),
    proto.makeTouch(I.TOUCH_UP, 3, 0.25, 0.5, 0.7),
    proto.makeTouchFrame(),
    proto.makeTouchCancel(),
    proto.makeRequestControl(),
    proto.withModifierState(proto.makeKey(true, 'Return'), Object.values(proto.InputModifier)),
    proto.withModifierState(proto.makeMouseMove(0.5, 0.5), []),
  ];
}

test('every input builder makes what the host parses as that kind, and writes back the same', () => {
  const i = cxx.input;
  const F = proto.InputField;
  const fieldsByName = Object.fromEntries(i.fields.map((f) => [f.name, f]));
  const kindsByCompact = Object.fromEntries(i.kinds.map((k) => [k.compact, k]));
  const samples = inputSamples();
  const width = 1920;
  const height = 1080;
  const results = cxxParse(['parse-input', String(width), String(height)], samples);
  const made = new Set();
  samples.forEach((msg, n) => {
    const text = JSON.stringify(msg);
    const r = results[n];
    assert.ok(r.ok, `the host refuses ${text}: ${r.error}`);
    assert.ok(Buffer.byteLength(text) <= i.max_message_bytes);
    const t = proto.inputKind(msg);
    made.add(t);
    if (t === proto.Input.REQUEST_CONTROL) {
      assert.ok(r.request_control, text);
      assert.deepEqual(Object.keys(msg), [F.KIND]);
      return;
    }
    const kind = kindsByCompact[t];
    assert.ok(kind, `${text}: no C++ kind "${t}"`);
    assert.equal(r.kind, kind.name, text);

    // Exactly the kind's fields (required ones present), in the table's order.
    const allowed = [i.kind_field, ...kind.fields.map((u) => fieldsByName[u.name].compact), F.MODIFIER_STATE];
    const keys = Object.keys(msg);
    for (const key of keys) assert.ok(allowed.includes(key), `${text}: "${key}" is not a field of C++ kind ${kind.name}`);
    assert.deepEqual(keys, allowed.filter((k) => keys.includes(k)), `${text}: fields out of the table's order`);
    for (const u of kind.fields) {
      if (u.presence === 'required') assert.ok(fieldsByName[u.name].compact in msg, `${text} lacks ${u.name}`);
    }

    // The host's own compact form of what it understood is this message
    // (modifier_state is not forwarded; its bits are checked instead).
    const back = JSON.parse(r.compact);
    const { [F.MODIFIER_STATE]: modifiers, ...sent } = msg;
    assert.deepEqual(Object.keys(back), Object.keys(sent), `${text} -> ${r.compact}`);
    for (const [key, value] of Object.entries(sent)) {
      if (typeof value === 'number') assert.ok(Math.abs(back[key] - value) < 1e-9, `${text} -> ${r.compact}: ${key}`);
      else assert.equal(back[key], value, `${text} -> ${r.compact}: ${key}`);
    }
    const bits = (modifiers ? modifiers.split('+') : [])
      .reduce((acc, nick) => acc | i.modifiers.find((m) => m.nick === nick).value, 0);
    assert.equal(r.modifier_state, bits, `${text}: modifier_state`);
  });
  // ... and the builders cover every kind a viewer sends.
  for (const k of viewerKinds) assert.ok(made.has(k.compact), `no protocol.js builder makes C++ kind ${k.name}`);
});

// ---- the host's messages on the input channel ----

test('host message kinds, field names and limits are the C++ table', () => {
  const i = cxx.input;
  assertExactly(proto.HostMessage, hostKinds.map((k) => [k.name, k.compact]), 'HostMessage');
  assertExactly(proto.HostField, hostFields.map((f) => [f.name, f.compact]), 'HostField');
  assert.equal(proto.HostMessage.LINK, i.link_kind);
  assert.equal(proto.MAX_LINK_BPS, i.max_link_bps);
  assert.equal(proto.MAX_LINK_LAYER, i.max_link_layer);
  for (const f of hostFields) {
    assert.equal(f.type, 'integer', `${f.name}: parseHostMessage reads integers`);
    assert.equal(f.min, 0, `${f.name}: min`);
    assert.equal(f.max, f.name === 'layer' ? proto.MAX_LINK_LAYER : proto.MAX_LINK_BPS, `${f.name}: max`);
  }
  // parseHostMessage's rule for the layer (absent: -1) is the table's: optional.
  const link = hostKinds.find((k) => k.compact === i.link_kind);
  assert.deepEqual(link.fields.map((u) => [u.name, u.presence]),
    [['estimate', 'required'], ['layer', 'optional'], ['bitrate', 'required']]);
});

test('parseHostMessage reads what the host writes', () => {
  for (const [estimate, layer, bitrate] of [[1400000, 0, 1350000], [64000, 2, 0], [1, -1, 5], [1e10, 1, 1e10]]) {
    const text = runDump(['make-link', String(estimate), String(layer), String(bitrate)]).trim();
    assert.deepEqual(proto.parseHostMessage(text), { kind: proto.HostMessage.LINK, estimate, layer, bitrate }, text);
  }
});

test('parseHostMessage and the C++ parser agree on what is a host message', () => {
  const L = proto.HostMessage.LINK;
  const F = proto.HostField;
  const link = (fields) => JSON.stringify({ [proto.InputField.KIND]: L, ...fields });
  // JSON numbers spelt 1e3 or 1.0 are integers to JavaScript, not to
  // json-glib: the host writes plain integers, so they are left out.
  const lines = [
    link({ [F.ESTIMATE]: 1400000, [F.LAYER]: 0, [F.BITRATE]: 1350000 }),
    link({ [F.ESTIMATE]: 1400000, [F.BITRATE]: 1350000 }),
    link({ [F.ESTIMATE]: proto.MAX_LINK_BPS, [F.LAYER]: proto.MAX_LINK_LAYER, [F.BITRATE]: 0, later: 'ignored' }),
    link({}),
    link({ [F.ESTIMATE]: 1400000 }),
    link({ [F.BITRATE]: 1 }),
    link({ [F.ESTIMATE]: -1, [F.BITRATE]: 1 }),
    link({ [F.ESTIMATE]: proto.MAX_LINK_BPS + 1, [F.BITRATE]: 1 }),
    link({ [F.ESTIMATE]: 1.5, [F.BITRATE]: 1 }),
    link({ [F.ESTIMATE]: '1', [F.BITRATE]: 1 }),
    link({ [F.ESTIMATE]: 1, [F.BITRATE]: null }),
    link({ [F.ESTIMATE]: 1, [F.LAYER]: proto.MAX_LINK_LAYER + 1, [F.BITRATE]: 1 }),
    link({ [F.ESTIMATE]: 1, [F.LAYER]: -1, [F.BITRATE]: 1 }),
    link({ [F.ESTIMATE]: 1, [F.LAYER]: null, [F.BITRATE]: 1 }),
    link({ [F.ESTIMATE]: 1, [F.LAYER]: 'full', [F.BITRATE]: 1 }),
    link({ [F.ESTIMATE]: 1, [F.BITRATE]: 1, pad: 'x'.repeat(cxx.input.max_message_bytes) }),
    '{"t":"link","estimate":1,"bitrate":1',
    'not json',
    '[]',
    'null',
    '{}',
    JSON.stringify(proto.makeMouseMove(0.5, 0.5)),
    JSON.stringify(proto.makeRequestControl()),
    JSON.stringify({ type: cxx.input.control_form.response_type, id: 1, error: null }),
  ];
  const results = runDump(['parse-host'], lines.map((l) => `${l}\n`).join('')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(results.length, lines.length);
  lines.forEach((text, n) => {
    const js = proto.parseHostMessage(text);
    const c = results[n];
    assert.equal(js !== null, c.ok, `${text.slice(0, 80)}: JavaScript ${js ? 'accepts' : 'refuses'}, C++ ${c.ok ? 'accepts' : `refuses (${c.error})`}`);
    if (c.ok) assert.deepEqual(js, { kind: c.kind, estimate: c.estimate, layer: c.layer, bitrate: c.bitrate }, text);
  });
  assert.ok(results.filter((r) => r.ok).length === 3, 'the accepted samples are accepted');
  assert.equal(proto.parseHostMessage(new ArrayBuffer(8)), null, 'binary: not a host message');
});

test('the host refuses its own messages from a viewer', () => {
  const text = runDump(['make-link', '1400000', '0', '1350000']).trim();
  const [r] = cxxParse(['parse-input', '1920', '1080'], [JSON.parse(text)]);
  assert.ok(!r.ok, `the host accepts ${text}`);
});

test('the pages build input messages only through protocol.js', () => {
  for (const file of ['input.js', 'viewer.js', 'host.js', 'viewer-fallback.js']) {
    const js = readFileSync(path.join(webDir, 'js', file), 'utf8');
    assert.doesNotMatch(js, /[{,]\s*t\s*:/, `${file}: a message literal with "t"; use protocol.js's builders`);
    assert.doesNotMatch(js, /\.t\b|\bmodifier_state\b|'[a-z0-9]+-mask'/, `${file}: an input field or modifier by its literal name`);
  }
});

test('every protocol.js export is checked here or declared the pages\' own', () => {
  const listed = new Set(Object.values(CHECKED).flat());
  for (const name of Object.keys(proto)) {
    assert.ok(listed.has(name), `protocol.js exports ${name}: check it against C++ here, or list it in CHECKED.browserOnly`);
  }
  for (const name of listed) assert.ok(name in proto, `CHECKED lists ${name}, which protocol.js does not export`);
});

// ---- the assistance channel (web/js/assist.js) ----

const ASSIST_CHECKED = {
  constants: ['ASSIST_CHANNEL', 'MAX_ASSIST_MESSAGE_BYTES', 'MAX_CHAT_BYTES', 'MAX_CHAT_NAME_BYTES', 'AssistKind',
    'RefusedWhat', 'ClipboardMime', 'MAX_CLIPBOARD_BYTES', 'CLIPBOARD_CHUNK_BYTES', 'CHAT_REFUSED_MESSAGE',
    'CLIPBOARD_REFUSED_MESSAGE', 'SOURCE_REFUSED_MESSAGE', 'MAX_SOURCES', 'MAX_SOURCE_NAME_BYTES', 'MAX_SOURCE_ID_BYTES',
    'SourceKind', 'SharedReason', 'MAX_CURSOR_SIZE', 'MAX_CURSOR_COORDINATE', 'MIN_RESIZE', 'MAX_RESIZE',
    'RESIZE_REFUSED_MESSAGE'],
  builders: ['makeChat', 'makeHostChat', 'makeRefused', 'makeClipboard', 'makeListSources', 'makeShare', 'makeSources',
    'makeShared', 'makeCursor', 'makeCursorShape', 'makeResize'],
  parsers: ['parseAssist', 'validChatText', 'ClipboardAssembler', 'isValidSourceId'],
};

/** One message of each source kind (list-sources, share, sources, shared) from the assist.js builders. */
function sourceSamples(a) {
  const item = (id, kind, name, width, height) => ({ id, kind, name, width, height });
  const many = Array.from({ length: a.max_sources }, (_, i) => item(`window:0x${(i + 1).toString(16)}`, 'window',
    `Window ${i} ☃`, i, a.max_sources - i));
  return [
    assist.makeListSources(),
    assist.makeShare('screen'),
    assist.makeShare('display:0'),
    assist.makeShare('display:999'),
    assist.makeShare('window:0x1'),
    assist.makeShare(`window:0x${'f'.repeat(16)}`),
    assist.makeSources('screen', [
      item('screen', 'screen', 'Screen', 2944, 1080),
      item('display:0', 'display', 'HDMI-1', 1920, 1080),
      item('display:1', 'display', '', 1024, 768),
      item('window:0x2c0000a', 'window', 'Terminal — vim ✓', 0, 0),
      item('window:0x2c0000b', 'window', 'é'.repeat(a.max_source_name_bytes / 2), 65535, 65535),
    ]),
    assist.makeSources('', []),
    assist.makeSources('display:1', many),
    assist.makeShared({ source: 'window:0x2c0000a', name: 'Terminal', width: 640, height: 480, by: 'Ann' }),
    assist.makeShared({
      source: 'display:0', name: 'HDMI-1', width: 1920, height: 1080, by: a.host_name,
      reason: assist.SharedReason.WINDOW_CLOSED,
    }),
    assist.makeShared({ source: 'screen', name: '', width: 0, height: 0, by: 'é'.repeat(a.max_name_bytes / 2) }),
  ];
}

/** A pointer image's bytes: width*height*4, every one different enough to tell a shifted copy. */
const cursorPixels = (width, height) => Uint8Array.from({ length: width * height * 4 }, (_, i) => (i * 37 + 11) & 0xff);

/** One `cursor` and one `cursor-shape` of each sort from the assist.js builders. */
function cursorSamples(a) {
  const shape = (id, width, height, hotX, hotY) => assist.makeCursorShape({
    shape: id, width, height, hotX, hotY, rgba: cursorPixels(width, height),
  });
  return [
    assist.makeCursor({ x: 0, y: 0, visible: true, shape: 1 }),
    assist.makeCursor({ x: -a.max_cursor_coordinate, y: a.max_cursor_coordinate, visible: false, shape: 2 ** 32 - 1 }),
    assist.makeCursor({ x: 640, y: 480, visible: true, shape: 0 }),
    shape(1, 1, 1, 0, 0),
    shape(2, 3, 1, 2, 0),
    shape(3, 24, 32, 4, 2),
    shape(2 ** 32 - 1, a.max_cursor_size, a.max_cursor_size, a.max_cursor_size - 1, a.max_cursor_size - 1),
  ];
}

/** Lines through the C++ assist parser, as parseAssist's shape (or null); a pointer image's rgba as bytes. */
function cxxParseAssist(lines) {
  const out = runDump(['parse-assist'], lines.map((l) => `${l}\n`).join(''));
  const results = out.split('\n').filter(Boolean).map((line) => JSON.parse(line));
  assert.equal(results.length, lines.length);
  return results.map(({ ok, error, ...fields }) => {
    if (!ok) assert.ok(error && error.length > 10, `a clear error (${error})`);
    if (ok && fields.t === assist.AssistKind.CURSOR_SHAPE && typeof fields.rgba === 'string') {
      fields.rgba = new Uint8Array(Buffer.from(fields.rgba, 'base64'));
    }
    return ok ? fields : null;
  });
}

test('assistance channel constants, kinds and refusal kinds are the C++ ones', () => {
  const a = cxx.assist;
  assert.equal(assist.ASSIST_CHANNEL, a.channel_label);
  assert.equal(assist.MAX_ASSIST_MESSAGE_BYTES, a.max_message_bytes);
  assert.equal(assist.MAX_CHAT_BYTES, a.max_chat_bytes);
  assert.equal(assist.MAX_CHAT_NAME_BYTES, a.max_name_bytes);
  assert.equal(a.max_time, Number.MAX_SAFE_INTEGER);
  assert.equal(a.kind_field, 't');
  assertExactly(assist.AssistKind, a.kinds.map((k) => [k, k]), 'AssistKind');
  assert.deepEqual(Object.values(assist.ClipboardMime), a.clipboard_mimes);
  assert.equal(assist.MAX_CLIPBOARD_BYTES, a.max_clipboard_bytes);
  assert.equal(assist.CLIPBOARD_CHUNK_BYTES, a.clipboard_chunk_bytes);
  assertExactly(assist.RefusedWhat, a.refused_what.map((w) => [w, w]), 'RefusedWhat');
  // Both hosts refuse in the same words.
  assert.equal(assist.CHAT_REFUSED_MESSAGE, a.chat_refused_message);
  assert.equal(assist.CLIPBOARD_REFUSED_MESSAGE, a.clipboard_refused_message);
  assert.equal(assist.SOURCE_REFUSED_MESSAGE, a.source_refused_message);
  // What a host can share.
  assert.equal(assist.MAX_SOURCES, a.max_sources);
  assert.equal(assist.MAX_SOURCE_NAME_BYTES, a.max_source_name_bytes);
  assert.equal(assist.MAX_SOURCE_ID_BYTES, a.max_source_id_bytes);
  assertExactly(assist.SourceKind, a.source_kinds.map((k) => [k, k]), 'SourceKind');
  assert.deepEqual(Object.values(assist.SourceKind), a.source_kinds);
  assert.deepEqual(Object.values(assist.SharedReason).sort(), [...a.shared_reasons].sort());
  assert.equal(assist.SharedReason.NONE, '');
  assert.equal(proto.Capability.SOURCE, assist.RefusedWhat.SOURCE);
  // The host's pointer.
  assert.equal(assist.MAX_CURSOR_SIZE, a.max_cursor_size);
  assert.equal(assist.MAX_CURSOR_COORDINATE, a.max_cursor_coordinate);
  assert.equal(assist.AssistKind.CURSOR, 'cursor');
  assert.equal(assist.AssistKind.CURSOR_SHAPE, 'cursor-shape');
  // Resizing the host's display.
  assert.equal(assist.MIN_RESIZE, a.min_resize);
  assert.equal(assist.MAX_RESIZE, a.max_resize);
  assert.equal(assist.RESIZE_REFUSED_MESSAGE, a.resize_refused_message);
  assert.equal(assist.makeResize(a.min_resize - 1, 100), null);
  assert.equal(assist.makeResize(100, a.max_resize + 1), null);
  assert.equal(assist.makeResize(100.5, 100), null);
  // A refusal names the capability the message needed, or the request (resize, which needs control).
  for (const w of a.refused_what) {
    assert.ok(Object.values(proto.Capability).includes(w) || w === assist.RefusedWhat.RESIZE, `${w} is a capability`);
  }
  assert.equal(proto.Capability.CHAT, assist.RefusedWhat.CHAT);
  assert.notEqual(proto.INPUT_CHANNEL_LABEL, assist.ASSIST_CHANNEL);
});

test('every assist.js builder makes what the C++ parser reads as the same message', () => {
  const a = cxx.assist;
  const samples = [
    assist.makeChat('hello'),
    assist.makeChat('two\nlines\tand tabs, é ☃ 🎉'),
    assist.makeChat('x'.repeat(a.max_chat_bytes)),
    assist.makeChat('é'.repeat(a.max_chat_bytes / 2)),
    assist.makeHostChat(a.host_name, a.host_peer, 'from the host', 1764763200000),
    assist.makeHostChat('é'.repeat(a.max_name_bytes / 2), 'p'.repeat(a.max_peer_length), 'x', 0),
    assist.makeHostChat('', 'ab12cd34', 'y', Number.MAX_SAFE_INTEGER),
    ...a.refused_what.map((w) => assist.makeRefused(w, a.chat_refused_message)),
    assist.makeRefused(assist.RefusedWhat.FILE, ''),
    ...assist.makeClipboard('0123456789abcdef', assist.ClipboardMime.TEXT, new TextEncoder().encode('copied ☃')),
    ...assist.makeClipboard('0123456789abcdef0123456789abcdef', assist.ClipboardMime.PNG,
      Uint8Array.from({ length: a.clipboard_chunk_bytes * 2 + 5 }, (_, i) => i & 0xff)),
    ...assist.makeClipboard('ffffffffffffffff', assist.ClipboardMime.TEXT, new Uint8Array(0)),
    ...sourceSamples(a),
    ...cursorSamples(a),
    assist.makeResize(a.min_resize, a.max_resize),
    assist.makeResize(1280, 720),
  ];
  for (const s of samples) assert.equal(typeof s, 'string');
  const made = new Set(samples.map((s) => JSON.parse(s).t));
  assert.deepEqual([...made].sort(), [...a.kinds].sort(), 'a sample of every kind');
  const cxxResults = cxxParseAssist(samples);
  samples.forEach((text, i) => {
    assert.ok(cxxResults[i], `C++ refuses ${text.slice(0, 100)}`);
    assert.deepEqual(cxxResults[i], assist.parseAssist(text), text.slice(0, 100));
  });
  // What the builders refuse to make.
  for (const bad of ['', 'x'.repeat(a.max_chat_bytes + 1), 'bell\u0007', 'cr\r', '\u007f', 42, null]) {
    assert.equal(assist.makeChat(bad), null, JSON.stringify(bad));
    assert.equal(assist.makeHostChat('Ann', 'p1', bad), null, JSON.stringify(bad));
  }
});

test('the source builders refuse bad ids, kinds and sizes, and cut long names as the host does', () => {
  const a = cxx.assist;
  const badIds = ['', 'Screen', 'screen ', 'display', 'display:', 'display:1000', 'display:-1', 'display:1.5',
    'window:0x', 'window:0X1f', 'window:0x1F', 'window:1f', `window:0x${'f'.repeat(17)}`, 'region:0,0,10,10', 7, null];
  for (const id of badIds) {
    assert.equal(assist.isValidSourceId(id), false, JSON.stringify(id));
    assert.equal(assist.makeShare(id), null, JSON.stringify(id));
    assert.equal(assist.makeSources(id === '' ? 7 : id, []), null, JSON.stringify(id));
    assert.equal(assist.makeShared({ source: id, name: 'x', width: 1, height: 1, by: 'Host' }), null, JSON.stringify(id));
  }
  const item = { id: 'display:0', kind: 'display', name: 'HDMI-1', width: 1920, height: 1080 };
  for (const bad of [{ kind: 'monitor' }, { kind: '' }, { kind: 'window' }, { width: -1 }, { height: 65536 }, { width: 1.5 },
    { height: '768' }, { id: 'display:x' }]) {
    assert.equal(assist.makeSources('', [{ ...item, ...bad }]), null, JSON.stringify(bad));
  }
  assert.equal(assist.makeSources('', Array.from({ length: a.max_sources + 1 }, () => item)), null, 'one item too many');
  assert.equal(assist.makeSources('', 'display:0'), null);
  assert.equal(assist.makeShared({ source: 'screen', name: 'x', width: 1, height: 1, by: 'Host', reason: 'closed' }), null);
  assert.equal(assist.makeShared({ source: 'screen', name: 'x', width: 65536, height: 1, by: 'Host' }), null);
  // A window title past the limit is cut on a character boundary, as the native host cuts it.
  const long = assist.parseAssist(assist.makeSources('', [{ ...item, name: `x${'é'.repeat(a.max_source_name_bytes)}` }]));
  assert.equal(long.items[0].name, `x${'é'.repeat(a.max_source_name_bytes / 2 - 1)}`);
  const shared = assist.parseAssist(assist.makeShared({
    source: 'screen', name: '☃'.repeat(a.max_source_name_bytes), width: 1, height: 1, by: 'Ä'.repeat(a.max_name_bytes),
  }));
  assert.equal(Buffer.byteLength(shared.name), Math.floor(a.max_source_name_bytes / 3) * 3);
  assert.equal(shared.by, 'Ä'.repeat(a.max_name_bytes / 2));
  // Control characters in a title go as they are (pages show names as text; terminals clean them),
  // and the C++ parser reads them back the same.
  const controls = assist.makeShared({
    source: 'screen', name: 'a\tb\nc\u0007', width: 1, height: 1, by: 'H\u001bost',
  });
  assert.equal(assist.parseAssist(controls).name, 'a\tb\nc\u0007');
  assert.equal(cxxParse(['parse-assist'], [JSON.parse(controls)])[0].name, 'a\tb\nc\u0007');
  // The C++ parser reads the cut ones as parseAssist does.
  const made = [
    assist.makeSources('', [{ ...item, name: `x${'é'.repeat(a.max_source_name_bytes)}` }]),
    assist.makeShared({ source: 'screen', name: '☃'.repeat(a.max_source_name_bytes), width: 1, height: 1, by: 'Ä'.repeat(99) }),
    assist.makeShared({ source: 'screen', name: 'a\tb\nc\u0007', width: 1, height: 1, by: 'H\u001bost' }),
  ];
  assert.deepEqual(cxxParseAssist(made), made.map((m) => assist.parseAssist(m)));
});

test('the cursor builders refuse what the host\'s parser would, and the largest pointer image fits a message', () => {
  const a = cxx.assist;
  const c = a.max_cursor_coordinate;
  const at = { x: 1, y: 2, visible: true, shape: 3 };
  for (const bad of [{ x: c + 1 }, { x: -c - 1 }, { y: c + 1 }, { x: 1.5 }, { y: '2' }, { x: null }, { x: undefined },
    { visible: 'true' }, { visible: 1 }, { visible: undefined }, { shape: -1 }, { shape: 2 ** 32 }, { shape: 0.5 },
    { shape: '3' }, { shape: undefined }]) {
    assert.equal(assist.makeCursor({ ...at, ...bad }), null, JSON.stringify(bad));
  }
  const image = { shape: 9, width: 4, height: 2, hotX: 3, hotY: 1, rgba: cursorPixels(4, 2) };
  assert.deepEqual(assist.parseAssist(assist.makeCursorShape(image)), {
    t: 'cursor-shape', shape: 9, width: 4, height: 2, hot_x: 3, hot_y: 1, rgba: cursorPixels(4, 2),
  });
  const s = a.max_cursor_size;
  for (const bad of [{ shape: 0 }, { shape: 2 ** 32 }, { shape: -1 }, { width: 0, rgba: new Uint8Array(0) },
    { width: s + 1, height: 1, hotX: 0, hotY: 0, rgba: cursorPixels(s + 1, 1) },
    { height: s + 1, width: 1, hotX: 0, hotY: 0, rgba: cursorPixels(1, s + 1) },
    { hotX: 4 }, { hotY: 2 }, { hotX: -1 }, { hotY: 0.5 }, { hotX: undefined }, { width: 4.5 },
    { rgba: cursorPixels(4, 2).subarray(1) }, { rgba: cursorPixels(5, 2) }, { rgba: Array.from(cursorPixels(4, 2)) },
    { rgba: btoa('x'.repeat(32)) }, { rgba: null }]) {
    assert.equal(assist.makeCursorShape({ ...image, ...bad }), null, JSON.stringify(bad).slice(0, 80));
  }
  // The biggest image the host sends, with the biggest id, within one message.
  const biggest = assist.makeCursorShape({
    shape: 2 ** 32 - 1, width: s, height: s, hotX: s - 1, hotY: s - 1, rgba: cursorPixels(s, s),
  });
  assert.ok(biggest && Buffer.byteLength(biggest) <= a.max_message_bytes, `${biggest?.length} bytes`);
  assert.deepEqual(cxxParseAssist([biggest])[0], assist.parseAssist(biggest));
});

test('the C++ builders make what parseAssist reads as the same message', () => {
  const a = cxx.assist;
  const make = (...args) => runDump(args, '').replace(/\n$/, '');
  const cases = [
    [['make-chat', 'hello'], { t: 'chat', text: 'hello' }],
    [['make-chat', 'a\nb\tc é'], { t: 'chat', text: 'a\nb\tc é' }],
    [['make-chat', 'x'.repeat(a.max_chat_bytes)], { t: 'chat', text: 'x'.repeat(a.max_chat_bytes) }],
    [['make-host-chat', a.host_name, a.host_peer, 'hi', '1764763200000'],
      { t: 'chat', from: 'Host', peer: 'host', text: 'hi', time: 1764763200000 }],
    // A name past its limit is cut on a character boundary.
    [['make-host-chat', 'é'.repeat(40), 'p1', 'hi', '5'],
      { t: 'chat', from: 'é'.repeat(a.max_name_bytes / 2), peer: 'p1', text: 'hi', time: 5 }],
    [['make-refused', 'chat', a.chat_refused_message], { t: 'refused', what: 'chat', message: a.chat_refused_message }],
    [['make-refused', 'source', a.source_refused_message],
      { t: 'refused', what: 'source', message: a.source_refused_message }],
    [['make-refused', 'clipboard', 'x'.repeat(300)],
      { t: 'refused', what: 'clipboard', message: 'x'.repeat(a.max_refused_message_bytes) }],
  ];
  for (const [args, expected] of cases) {
    const text = make(...args);
    assert.deepEqual(assist.parseAssist(text), expected, `${args[0]}: ${text.slice(0, 100)}`);
  }
  // Refused by the C++ builders as by the JS ones.
  assert.equal(make('make-chat', 'x'.repeat(a.max_chat_bytes + 1)), '');
  assert.equal(make('make-chat', 'bell\u0007'), '');
  assert.equal(make('make-chat', 'cr\r'), '');
  assert.equal(make('make-host-chat', 'Ann', 'p1', '\u001b[31m', '1'), '');
  assert.equal(make('make-refused', 'control', 'no'), '');
});

test('parseAssist and the C++ parser agree on what is an assist message', () => {
  const a = cxx.assist;
  const clip = (fields) => JSON.stringify({
    t: 'clipboard', id: '0123456789abcdef', mime: 'text/plain;charset=utf-8', size: 3, offset: 0, data: 'YWJj', last: true, ...fields,
  });
  const clipLines = [
    clip({}), clip({ last: false }), clip({ size: 4, last: false }), clip({ size: 2 }), clip({ data: 'YWJ' }),
    clip({ data: 'YW=j' }), clip({ data: 'Y WJ' }), clip({ id: 'ABCDEF0123456789' }), clip({ id: '0123' }),
    clip({ mime: 'text/html' }), clip({ size: a.max_clipboard_bytes + 1 }), clip({ offset: 4 }), clip({ size: 3.5 }),
    clip({ last: 'yes' }), clip({ data: 'YWJj', offset: 1, size: 4 }), clip({ size: 0, data: '', last: true }),
  ];
  {
    const cxxClip = cxxParseAssist(clipLines);
    clipLines.forEach((text, i) => assert.deepEqual(cxxClip[i], assist.parseAssist(text), text));
  }
  const chat = (fields) => JSON.stringify({ t: 'chat', ...fields });
  const host = (fields) => chat({ from: 'Ann', peer: 'ab12cd34', text: 'hi', time: 1, ...fields });
  const refused = (fields) => JSON.stringify({ t: 'refused', what: 'chat', message: 'no', ...fields });
  const lines = [
    chat({ text: 'x'.repeat(a.max_chat_bytes) }),
    chat({ text: 'x'.repeat(a.max_chat_bytes + 1) }),
    chat({ text: 'é'.repeat(a.max_chat_bytes / 2) }),
    chat({ text: `${'é'.repeat(a.max_chat_bytes / 2)}x` }),
    chat({ text: '🎉'.repeat(a.max_chat_bytes / 4) }),
    chat({ text: '' }),
    chat({ text: 'line\nbreak\ttab' }),
    chat({ text: 'cr\r' }),
    chat({ text: 'bell\u0007' }),
    chat({ text: 'esc\u001b[2J' }),
    chat({ text: 'del\u007f' }),
    chat({ text: 'c1\u0085 and\u2028 are text' }),
    chat({ text: 42 }),
    chat({ text: null }),
    chat({ text: ['x'] }),
    chat({}),
    chat({ text: 'x', extra: { nested: [1, 2] } }),
    host({}),
    host({ from: '' }),
    host({ from: 'é'.repeat(a.max_name_bytes / 2) }),
    host({ from: `${'é'.repeat(a.max_name_bytes / 2)}x` }),
    host({ from: 7 }),
    host({ from: undefined }),
    host({ from: null }),
    host({ peer: '' }),
    host({ peer: 'p'.repeat(a.max_peer_length) }),
    host({ peer: 'p'.repeat(a.max_peer_length + 1) }),
    host({ peer: '😀'.repeat(a.max_peer_length / 2) }),
    host({ peer: '😀'.repeat(a.max_peer_length / 2 + 1) }),
    host({ time: 0 }),
    host({ time: -1 }),
    host({ time: 1.5 }),
    host({ time: '1' }),
    host({ time: null }),
    host({ time: Number.MAX_SAFE_INTEGER }),
    host({ time: Number.MAX_SAFE_INTEGER + 1 }),
    host({ peer: undefined, from: undefined }),
    '{"t":"chat","from":"A","peer":"p","text":"x","time":1.0}',
    '{"t":"chat","from":"A","peer":"p","text":"x","time":1e3}',
    '{"t":"chat","from":"A","peer":"p","text":"x","time":1e400}',
    refused({}),
    ...a.refused_what.map((what) => refused({ what })),
    refused({ what: 'control' }),
    refused({ what: 'CHAT' }),
    refused({ what: null }),
    refused({ message: '' }),
    refused({ message: 'x'.repeat(a.max_refused_message_bytes) }),
    refused({ message: 'x'.repeat(a.max_refused_message_bytes + 1) }),
    refused({ message: 3 }),
    chat({ text: 'x', pad: 'p'.repeat(a.max_message_bytes - 40) }),
    chat({ text: 'x', pad: 'p'.repeat(a.max_message_bytes) }),
    JSON.stringify({ t: 'file', name: 'a.txt' }),
    JSON.stringify({ t: 'clipboard', text: 'x' }),
    JSON.stringify({ t: 7 }),
    '{"text":"x"}',
    '{"t":"chat","text":"x"',
    'not json',
    '[]',
    '["chat"]',
    'null',
    '"chat"',
    '{}',
    JSON.stringify(proto.makeMouseMove(0.5, 0.5)),
  ];
  const results = cxxParseAssist(lines);
  lines.forEach((text, n) => {
    const js = assist.parseAssist(text);
    assert.deepEqual(results[n], js, `${text.slice(0, 90)}: JavaScript ${JSON.stringify(js)?.slice(0, 60)}, C++ ${JSON.stringify(results[n])?.slice(0, 60)}`);
  });
  {
    const sourceLines = sourceAgreementLines(a);
    const cxxSource = cxxParseAssist(sourceLines);
    sourceLines.forEach((text, n) => {
      const js = assist.parseAssist(text);
      assert.deepEqual(cxxSource[n], js, `${text.slice(0, 90)}: JavaScript ${JSON.stringify(js)?.slice(0, 60)}, C++ ${JSON.stringify(cxxSource[n])?.slice(0, 60)}`);
    });
    const ok = cxxSource.filter(Boolean).length;
    assert.ok(ok >= 15 && ok <= sourceLines.length - 40, `${ok} of ${sourceLines.length} source messages accepted`);
  }
  {
    const cursorLines = [...cursorAgreementLines(a), ...resizeAgreementLines(a)];
    const cxxCursor = cxxParseAssist(cursorLines);
    cursorLines.forEach((text, n) => {
      const js = assist.parseAssist(text);
      assert.deepEqual(cxxCursor[n], js, `${text.slice(0, 90)}: JavaScript ${JSON.stringify(js)?.slice(0, 60)}, C++ ${JSON.stringify(cxxCursor[n])?.slice(0, 60)}`);
    });
    const ok = cxxCursor.filter(Boolean).length;
    assert.ok(ok >= 15 && ok <= cursorLines.length - 40, `${ok} of ${cursorLines.length} cursor messages accepted`);
  }
  const accepted = results.filter(Boolean).length;
  assert.ok(accepted >= 20 && accepted <= lines.length - 30, `${accepted} of ${lines.length} accepted`);
  assert.equal(assist.parseAssist(new ArrayBuffer(8)), null, 'binary: not an assist message');
});

/** list-sources, share, sources and shared, valid and not, for both parsers. */
function sourceAgreementLines(a) {
  const msg = (t, fields) => JSON.stringify({ t, ...fields });
  const share = (source) => msg('share', { source });
  const item = { id: 'display:0', kind: 'display', name: 'HDMI-1', width: 1920, height: 1080 };
  const sources = (fields) => msg('sources', { current: 'display:0', items: [item], ...fields });
  const withItem = (fields) => sources({ items: [{ ...item, ...fields }] });
  const shared = (fields) => msg('shared', {
    source: 'window:0x2c0000a', name: 'Terminal', width: 640, height: 480, by: 'Ann', reason: '', ...fields,
  });
  const without = (name) => {
    const m = JSON.parse(shared({}));
    delete m[name];
    return JSON.stringify(m);
  };
  // (A width of 1.0 is 1 to JavaScript, not to json-glib: hosts write plain integers, so it is left out.)
  return [
    msg('list-sources', {}),
    msg('list-sources', { extra: [1, { x: 2 }] }),
    share('screen'), share('display:0'), share('display:999'), share('display:007'), share('window:0x1'),
    share(`window:0x${'0123456789abcdef'}`),
    share(''), share('Screen'), share('screen '), share(' screen'), share('display'), share('display:'),
    share('display:1000'), share('display:-1'), share('display:+1'), share('display:1.0'), share('window:0x'),
    share('window:0X1f'), share('window:0x1F'), share('window:1f'), share(`window:0x${'f'.repeat(17)}`),
    share('window:0x1\n'), share('region:0,0,10,10'), share(7), share(null), share(['screen']),
    msg('share', {}),
    sources({}),
    sources({ current: '' }),
    sources({ current: 'window:0x99' }),
    sources({ items: [] }),
    sources({ current: 'display:x' }), sources({ current: null }), sources({ current: 7 }),
    msg('sources', { items: [item] }),
    msg('sources', { current: '' }),
    sources({ items: null }), sources({ items: item }), sources({ items: ['display:0'] }), sources({ items: [null] }),
    sources({ items: [[item]] }),
    sources({ items: Array.from({ length: a.max_sources }, () => item) }),
    sources({ items: Array.from({ length: a.max_sources + 1 }, () => item) }),
    withItem({ kind: 'screen' }), withItem({ kind: 'window' }), withItem({ id: 'screen', kind: 'screen' }),
    withItem({ id: 'window:0xabc', kind: 'window' }), withItem({ id: 'screen', kind: 'display' }),
    withItem({ name: '' }), withItem({ name: 'x'.repeat(a.max_source_name_bytes) }),
    withItem({ name: 'x'.repeat(a.max_source_name_bytes + 1) }),
    withItem({ name: '€'.repeat(a.max_source_name_bytes / 4 + 1) }),
    withItem({ name: 'tab\tand ☃' }), withItem({ name: 'emoji 😀' }), withItem({ name: 'lone \ud800 surrogate' }),
    withItem({ width: 0, height: 0 }), withItem({ width: 65535, height: 65535 }),
    withItem({ width: 65536 }), withItem({ height: -1 }), withItem({ width: 1.5 }), withItem({ width: '1920' }),
    withItem({ height: null }), withItem({ height: undefined }),
    withItem({ id: 'display:1000' }), withItem({ id: undefined }), withItem({ kind: 'monitor' }),
    withItem({ kind: 'Display' }), withItem({ kind: undefined }), withItem({ name: 7 }), withItem({ name: undefined }),
    shared({}),
    shared({ reason: 'window-closed', by: a.host_name, source: 'display:0' }),
    shared({ source: 'screen', name: '', width: 0, height: 0, by: '' }),
    shared({ name: 'x'.repeat(a.max_source_name_bytes) }),
    shared({ name: 'x'.repeat(a.max_source_name_bytes + 1) }),
    shared({ by: 'é'.repeat(a.max_name_bytes / 2) }),
    shared({ by: `${'é'.repeat(a.max_name_bytes / 2)}x` }),
    shared({ name: 'lone \udc00' }), shared({ by: '\ud83d' }),
    shared({ reason: 'closed' }), shared({ reason: 'WINDOW-CLOSED' }), shared({ reason: null }),
    shared({ source: '' }), shared({ source: 'window:0xZZ' }),
    shared({ width: 65536 }), shared({ height: -2 }), shared({ width: 2.5 }), shared({ by: 3 }), shared({ name: [] }),
    without('source'), without('name'), without('width'), without('height'), without('by'), without('reason'),
    msg('sources', { current: 'screen', items: [item], pad: 'p'.repeat(a.max_message_bytes) }),
    JSON.stringify({ t: 'list-source' }),
    JSON.stringify({ t: 'LIST-SOURCES' }),
  ];
}

/** resize, valid and not, for both parsers. */
function resizeAgreementLines(a) {
  const resize = (fields) => JSON.stringify({ t: 'resize', width: 800, height: 600, ...fields });
  return [
    resize({}), resize({ width: a.min_resize, height: a.max_resize }), resize({ width: a.min_resize - 1 }),
    resize({ height: a.max_resize + 1 }), resize({ width: -800 }), resize({ width: '800' }), resize({ height: null }),
    resize({ width: 800.5 }), JSON.stringify({ t: 'resize', width: 800 }), JSON.stringify({ t: 'resize' }),
    JSON.stringify({ t: 'refused', what: 'resize', message: 'no' }), JSON.stringify({ t: 'Resize', width: 800, height: 600 }),
  ];
}

/** cursor and cursor-shape, valid and not, for both parsers. */
function cursorAgreementLines(a) {
  const c = a.max_cursor_coordinate;
  const s = a.max_cursor_size;
  const cursor = (fields) => JSON.stringify({ t: 'cursor', x: 10, y: 20, visible: true, shape: 1, ...fields });
  const b64 = (width, height) => Buffer.from(cursorPixels(width, height)).toString('base64');
  const shape = (fields) => JSON.stringify({
    t: 'cursor-shape', shape: 7, width: 2, height: 2, hot_x: 0, hot_y: 1, rgba: b64(2, 2), ...fields,
  });
  const sized = (width, height, fields = {}) => shape({ width, height, hot_x: 0, hot_y: 0, rgba: b64(width, height), ...fields });
  const without = (make, name) => {
    const m = JSON.parse(make({}));
    delete m[name];
    return JSON.stringify(m);
  };
  const twoByTwo = b64(2, 2); // 16 bytes: 24 characters, two of them padding
  // (A number spelt 1.0 or 1e3 is an integer to JavaScript, not to json-glib: hosts write plain integers, so it is left out.)
  return [
    cursor({}),
    cursor({ x: 0, y: 0 }), cursor({ x: -c, y: c }), cursor({ x: c, y: -c }),
    cursor({ x: c + 1 }), cursor({ x: -c - 1 }), cursor({ y: c + 1 }), cursor({ y: -c - 1 }),
    cursor({ x: 1.5 }), cursor({ y: -0.5 }), cursor({ x: '10' }), cursor({ y: null }), cursor({ x: true }), cursor({ x: [1] }),
    cursor({ visible: false }), cursor({ visible: 'true' }), cursor({ visible: 1 }), cursor({ visible: null }),
    cursor({ shape: 0 }), cursor({ shape: 2 ** 32 - 1 }), cursor({ shape: 2 ** 32 }), cursor({ shape: -1 }),
    cursor({ shape: 2.5 }), cursor({ shape: '1' }), cursor({ shape: null }),
    cursor({ extra: { nested: [1, 2] }, name: 'ignored' }),
    without(cursor, 'x'), without(cursor, 'y'), without(cursor, 'visible'), without(cursor, 'shape'),
    cursor({ pad: 'p'.repeat(a.max_message_bytes) }),
    shape({}),
    shape({ hot_x: 1, hot_y: 0 }), shape({ hot_x: 1, hot_y: 1 }),
    shape({ shape: 1 }), shape({ shape: 2 ** 32 - 1 }), shape({ shape: 0 }), shape({ shape: 2 ** 32 }), shape({ shape: -7 }),
    shape({ shape: '7' }), shape({ shape: 7.5 }),
    sized(1, 1), sized(3, 1), sized(1, 3), sized(s, s), sized(s, 1), sized(1, s, { hot_y: s - 1 }),
    sized(s, s, { hot_x: s - 1, hot_y: s - 1 }),
    sized(s + 1, 1), sized(1, s + 1), sized(0, 1, { rgba: '' }), sized(1, 0, { rgba: '' }),
    shape({ width: -2 }), shape({ height: 2.5 }), shape({ width: '2' }), shape({ height: null }),
    shape({ hot_x: 2 }), shape({ hot_y: 2 }), shape({ hot_x: -1 }), shape({ hot_y: -1 }), shape({ hot_x: 0.5 }),
    shape({ hot_y: '0' }), shape({ hot_x: null }),
    shape({ rgba: b64(2, 1) }), shape({ rgba: b64(3, 2) }), shape({ rgba: '' }),
    shape({ rgba: Buffer.from(cursorPixels(2, 2)).subarray(1).toString('base64') }),
    shape({ rgba: Buffer.concat([Buffer.from(cursorPixels(2, 2)), Buffer.from([1])]).toString('base64') }),
    shape({ rgba: twoByTwo.replace(/=+$/, '') }), // padding left out
    shape({ rgba: `${twoByTwo.slice(0, 4)} ${twoByTwo.slice(5)}` }),
    shape({ rgba: `${twoByTwo.slice(0, 4)}=${twoByTwo.slice(5)}` }),
    shape({ rgba: twoByTwo.replace(/\+/g, '-').replace(/\//g, '_').replace(/^./, '-') }), // base64url
    shape({ rgba: `${twoByTwo}\n` }),
    shape({ rgba: null }), shape({ rgba: 16 }), shape({ rgba: Array.from(cursorPixels(2, 2)) }),
    without(shape, 'shape'), without(shape, 'width'), without(shape, 'height'), without(shape, 'hot_x'),
    without(shape, 'hot_y'), without(shape, 'rgba'),
    shape({ pad: 'p'.repeat(a.max_message_bytes) }),
    JSON.stringify({ t: 'Cursor', x: 1, y: 1, visible: true, shape: 1 }),
    JSON.stringify({ t: 'cursor_shape' }),
    JSON.stringify({ t: 'cursor-shapes' }),
  ];
}

test('every assist.js export is checked here', () => {
  const listed = new Set(Object.values(ASSIST_CHECKED).flat());
  for (const name of Object.keys(assist)) {
    assert.ok(listed.has(name), `assist.js exports ${name}: check it against C++ here`);
  }
  for (const name of listed) assert.ok(name in assist, `ASSIST_CHECKED lists ${name}, which assist.js does not export`);
});

test('clipboard content made in pieces by assist.js comes back whole, through C++ too', () => {
  const a = cxx.assist;
  const bytes = Uint8Array.from({ length: a.clipboard_chunk_bytes * 3 + 7 }, (_, i) => (i * 31) & 0xff);
  const pieces = assist.makeClipboard('0123456789abcdef', assist.ClipboardMime.PNG, bytes);
  assert.equal(pieces.length, 4);
  const assembler = new assist.ClipboardAssembler();
  let whole = null;
  for (const p of pieces) whole = assembler.add(assist.parseAssist(p)) || whole;
  assert.deepEqual(whole, { mime: assist.ClipboardMime.PNG, bytes });
  // The C++ parser reads every piece as parseAssist does.
  assert.deepEqual(cxxParseAssist(pieces), pieces.map((p) => assist.parseAssist(p)));
  // A piece out of order drops what was gathered.
  const again = new assist.ClipboardAssembler();
  assert.equal(again.add(assist.parseAssist(pieces[0])), null);
  assert.equal(again.add(assist.parseAssist(pieces[2])), null);
  assert.equal(again.add(assist.parseAssist(pieces[3])), null);
  assert.equal(assist.makeClipboard('0123456789abcdef', 'text/html', bytes), null);
});
