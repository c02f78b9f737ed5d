// web/js/filetransfer.js against the C++ definition it mirrors
// (plugins/webrtc/gvfilejson.h), both ways: the constants, kinds and codes
// file-dump prints; every builder's message through the C++ parser (and
// back through the JS one); messages the C++ parser refuses refused in JS
// too; chunks made on either side read by the other.
//   node tests/protocol/file-parity.test.mjs build/tests/protocol/file-dump
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
const dumpBin = process.argv[2] || path.join(sourceDir, 'build', 'tests', 'protocol', 'file-dump');
if (!existsSync(dumpBin)) {
  process.stdout.write(`SKIP: ${dumpBin} is not built (ninja -C build)\n`);
  process.exit(77);
}
const ft = await import(pathToFileURL(path.join(webDir, 'js', 'filetransfer.js')).href);

function run(args, input = '') {
  const r = spawnSync(dumpBin, args, { input, encoding: 'utf8' });
  assert.equal(r.status, 0, `file-dump ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const lines = (out) => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
const cxx = JSON.parse(run([]));
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromHex = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));

test('constants, kinds and codes are the C++ ones', () => {
  assert.equal(ft.FILE_CHANNEL_LABEL, cxx.channel_label);
  assert.equal(ft.MAX_FILE_CONTROL_BYTES, cxx.max_control_bytes);
  assert.equal(ft.FILE_CHUNK_HEADER_BYTES, cxx.chunk_header_bytes);
  assert.equal(ft.MAX_FILE_CHUNK_BYTES, cxx.max_chunk_bytes);
  assert.equal(ft.MAX_FILE_NAME_BYTES, cxx.max_name_bytes);
  assert.equal(ft.MAX_FILE_TEXT_BYTES, cxx.max_text_bytes);
  assert.equal(ft.MAX_FILE_BYTES, cxx.max_file_bytes);
  assert.deepEqual(Object.values(ft.FileKind), cxx.kinds);
  assert.deepEqual(Object.values(ft.FileCode), cxx.codes);
});

const id = '0123456789abcdef0123456789abcdef';
const sha = 'ab'.repeat(32);
const samples = () => [
  ft.makeOffer(id, 'report final (2).pdf', 52428800, sha),
  ft.makeOffer(id, 'é'.repeat(512), ft.MAX_FILE_BYTES, sha),
  ft.makeOffer(ft.newTransferId(), '../../etc/passwd', 0, sha),
  ft.makeAccept(id),
  ft.makeAccept(id, 1048576),
  ft.makeReject(id, ft.FileCode.NOT_ALLOWED, 'The host has not allowed file transfer.'),
  ft.makeProgress(id, 3),
  ft.makeDone(id, 'report final (2) (1).pdf'),
  ft.makeFailed(id, ft.FileCode.DISK_FULL, 'The disk is full.'),
  ft.makeCancel(id),
];

test('every builder makes a message the C++ parser accepts, with the same fields', () => {
  const made = samples();
  assert.deepEqual(new Set(made.map((m) => JSON.parse(m).t)), new Set(Object.values(ft.FileKind)));
  const results = lines(run(['parse'], made.map((m) => `${m}\n`).join('')));
  results.forEach((r, i) => {
    assert.ok(r.ok, `${made[i]}: ${r.why}`);
    assert.deepEqual(ft.parseFileMessage(r.rebuilt), ft.parseFileMessage(made[i]), 'C++ rebuilds it the same');
    assert.ok(ft.parseFileMessage(made[i]), 'JS parses its own');
  });
});

test('what C++ refuses, JS refuses', () => {
  const bad = [
    '', 'null', '[]', '{"t":"offer"}',
    JSON.stringify({ t: 'offer', id: 'ABCDEF0123456789', name: 'a', size: 1, sha256: sha }), // upper-case id
    JSON.stringify({ t: 'offer', id: '0123', name: 'a', size: 1, sha256: sha }), // short id
    JSON.stringify({ t: 'offer', id, name: '', size: 1, sha256: sha }),
    JSON.stringify({ t: 'offer', id, name: 'a'.repeat(1025), size: 1, sha256: sha }),
    JSON.stringify({ t: 'offer', id, name: 'a', size: -1, sha256: sha }),
    JSON.stringify({ t: 'offer', id, name: 'a', size: 1.5, sha256: sha }),
    JSON.stringify({ t: 'offer', id, name: 'a', size: 1, sha256: 'AB'.repeat(32) }),
    JSON.stringify({ t: 'accept', id, offset: '1' }),
    JSON.stringify({ t: 'reject', id, code: 'NOPE', message: '' }),
    JSON.stringify({ t: 'failed', id, code: 'DAMAGED', message: 'x'.repeat(257) }),
    JSON.stringify({ t: 'done', id }),
    JSON.stringify({ t: 'sideload', id }),
    `{"t":"cancel","id":"${id}","pad":"${'x'.repeat(4096)}"}`,
    `{"t":"done","id":"${id}","name":"d\\ud800t.pdf"}`, // a lone surrogate: not UTF-8
  ];
  const results = lines(run(['parse'], bad.map((m) => `${m}\n`).join('')));
  results.forEach((r, i) => {
    assert.equal(r.ok, false, `C++ accepted ${bad[i].slice(0, 80)}`);
    assert.equal(ft.parseFileMessage(bad[i]), null, `JS accepted ${bad[i].slice(0, 80)}`);
  });
});

test('offerName: any name a page can pick makes an offer the C++ parser accepts', () => {
  const names = [
    'report.pdf', `${'a'.repeat(3996)}.txt`, `${'é'.repeat(3996)}.txt`, '😀'.repeat(2000),
    `${'\u0000'.repeat(1000)}.bin`, `${'\n'.repeat(4000)}`, `${'x'.repeat(5000)}.${'y'.repeat(40)}`,
    'nul\u0000byte.txt', '..', '\u0001'.repeat(700),
  ];
  const offers = names.map((n) => ft.makeOffer(id, ft.offerName(n), ft.MAX_FILE_BYTES, sha));
  const results = lines(run(['parse'], offers.map((m) => `${m}\n`).join('')));
  results.forEach((r, i) => {
    const cut = ft.offerName(names[i]);
    assert.ok(r.ok, `${JSON.stringify(names[i].slice(0, 20))}... (${names[i].length} characters): ${r.why}`);
    assert.ok(ft.parseFileMessage(offers[i]), 'JS parses it too');
    assert.ok(cut.length > 0 && !cut.includes('\ufffd'), 'cut at a character, never empty');
    assert.equal(JSON.parse(r.rebuilt).name, cut, 'C++ reads the whole name');
    if (names[i].length < 100) assert.equal(cut, names[i].replaceAll('\u0000', '_'), 'a name that fits is kept');
  });
  assert.equal(ft.offerName(`${'a'.repeat(3996)}.txt`), `${'a'.repeat(1020)}.txt`, 'the extension kept');
  assert.equal(ft.offerName(`${'é'.repeat(3996)}.txt`), `${'é'.repeat(510)}.txt`, 'cut at a character');
});

test('chunks: made on one side, read on the other', () => {
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
  for (const offset of [0, 1, 65536, 2 ** 40 + 5]) {
    const js = ft.makeChunk(offset, data);
    assert.equal(run(['make-chunk', String(offset), toHex(data)]).trim(), toHex(js));
    const [r] = lines(run(['parse-chunk'], `${toHex(js)}\n`));
    assert.deepEqual(r, { ok: true, offset, count: data.length });
    const back = ft.parseChunk(js.buffer);
    assert.equal(back.offset, offset);
    assert.deepEqual(back.bytes, data);
  }
  const tooLong = ft.makeChunk(0, new Uint8Array(ft.MAX_FILE_CHUNK_BYTES + 1));
  const [r] = lines(run(['parse-chunk'], `${toHex(tooLong)}\n${toHex(new Uint8Array(7))}\n`));
  assert.equal(r.ok, false);
  assert.equal(ft.parseChunk(tooLong), null);
  assert.equal(ft.parseChunk(new Uint8Array(7)), null);
  assert.deepEqual(fromHex(toHex(data)), data);
});
