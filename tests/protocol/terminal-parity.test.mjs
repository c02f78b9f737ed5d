// web/js/terminal-protocol.js against the C++ definition it mirrors
// (plugins/webrtc/gvterminaljson.h), both ways, as printed by terminal-dump:
// the constants and kinds; every message the page builds (typing, pastes
// split into pieces, sizes) through the C++ parser, and what the page must
// never send refused by it; every host message the C++ builds through the
// page's parser. No browser: node's own test runner.
//   node tests/protocol/terminal-parity.test.mjs build/tests/protocol/terminal-dump
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = process.env.GHOSTVIEW_SOURCE_DIR || path.resolve(here, '../..');
const webDir = process.env.GHOSTVIEW_WEB_DIR || path.join(sourceDir, 'web');
const dumpBin = process.argv[2] || path.join(sourceDir, 'build', 'tests', 'protocol', 'terminal-dump');
if (!existsSync(dumpBin)) {
  process.stdout.write(`SKIP: ${dumpBin} is not built (ninja -C build)\n`);
  process.exit(77);
}
const tp = await import(pathToFileURL(path.join(webDir, 'js', 'terminal-protocol.js')).href);

function run(args, input = '') {
  const r = spawnSync(dumpBin, args, { input, encoding: 'utf8' });
  assert.equal(r.status, 0, `terminal-dump ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const lines = (out) => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
const cxxParse = (texts) => lines(run(['parse'], texts.map((t) => `${t}\n`).join('')));
const cxx = JSON.parse(run([]));

test('constants and kinds are the C++ ones', () => {
  assert.equal(tp.TERMINAL_CHANNEL, cxx.channel_label);
  assert.equal(tp.MAX_TERMINAL_MESSAGE_BYTES, cxx.max_viewer_message_bytes);
  assert.equal(tp.MAX_TERMINAL_INPUT_BYTES, cxx.max_input_bytes);
  assert.equal(tp.MIN_TERMINAL_COLS, cxx.min_cols);
  assert.equal(tp.MAX_TERMINAL_COLS, cxx.max_cols);
  assert.equal(tp.MIN_TERMINAL_ROWS, cxx.min_rows);
  assert.equal(tp.MAX_TERMINAL_ROWS, cxx.max_rows);
  assert.deepEqual(Object.values(tp.TerminalKind), cxx.kinds);
});

test("the page's typing and sizes are what the C++ parser accepts, as they were", () => {
  const paste = `${'é'.repeat(3000)}\u001b[200~x\u0000y${'ab'.repeat(2000)}`;
  const inputs = [
    ...tp.makeInputs('echo gv$((6*7))\r'),
    ...tp.makeInputs('\u001b[A\u001b]0;title\u0007'),
    ...tp.makeInputs(paste),
  ];
  assert.ok(inputs.length >= 4, 'a long paste goes in pieces');
  const resizes = [tp.makeTerminalResize(80, 24), tp.makeTerminalResize(500, 300), tp.makeTerminalResize(2, 1)];
  const sent = [...inputs, ...resizes].map((m) => JSON.stringify(m));
  const results = cxxParse(sent);
  results.forEach((r, i) => assert.equal(r.ok, true, `C++ refused ${sent[i].slice(0, 80)}`));
  assert.equal(results[0].data, 'echo gv$((6*7))\r');
  assert.equal(results[1].data, '\u001b[A\u001b]0;title\u0007');
  // The pieces put back together are the paste, less its NUL (which the host refuses).
  const pasted = results.slice(2, inputs.length).map((r) => r.data).join('');
  assert.equal(pasted, paste.replace('\u0000', ''));
  const back = results.slice(inputs.length);
  assert.deepEqual(back.map((r) => [r.t, r.cols, r.rows]), [['resize', 80, 24], ['resize', 500, 300], ['resize', 2, 1]]);
  // Out of range: the page builds nothing, and the C++ refuses it.
  assert.equal(tp.makeTerminalResize(501, 24), null);
  assert.equal(tp.makeTerminalResize(80, 0), null);
  assert.equal(tp.makeTerminalResize(80.5, 24), null);
  const refused = cxxParse([
    '{"t":"resize","cols":501,"rows":24}', '{"t":"resize","cols":80,"rows":0}',
    '{"t":"input","data":""}', `{"t":"input","data":"${'x'.repeat(cxx.max_input_bytes + 1)}"}`,
    '{"t":"input","data":"a\\u0000b"}', '{"t":"size","cols":80,"rows":24}', '{"t":"nope"}', 'not json',
  ]);
  refused.forEach((r) => assert.equal(r.ok, false));
});

test("the C++ host's messages are what the page reads", () => {
  const [size, exit0, exit137, refusedInput, refusedMessage] = lines(run(['build'])).map((m) =>
    tp.parseTerminalMessage(JSON.stringify(m)));
  assert.deepEqual(size, { kind: 'size', cols: 132, rows: 43 });
  assert.equal(exit0.message, '[process exited with status 0]');
  assert.equal(exit137.status, 137);
  assert.equal(exit137.message, '[process exited with status 137]');
  assert.equal(refusedInput.what, cxx.refused_what[0]);
  assert.equal(refusedInput.message, cxx.input_refused_message);
  assert.equal(refusedMessage.what, cxx.refused_what[1]);
  assert.equal(refusedMessage.message, cxx.malformed_message);
  assert.equal(tp.parseTerminalMessage('{"t":"size","cols":9999,"rows":1}'), null);
  assert.equal(tp.parseTerminalMessage('garbage'), null);
});
