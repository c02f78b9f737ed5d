// Runs an npm package's CommonJS file (a dist file made for bundlers:
// `require(...)`, `module.exports`) from the web root with no bundler and no
// eval: it is loaded as a classic <script> (the CSP's script-src 'self'),
// with `module`, `exports` and `require` lent on window while it runs.
// `modules` maps each name the file requires to what that name exports.
// Loads run one after another (they share those three names).
// SPDX-License-Identifier: LGPL-2.1-or-later

let queue = Promise.resolve();

/** Resolves with the file's module.exports. */
export function loadCommonJS(src, modules = {}) {
  const load = queue.then(() => new Promise((resolve, reject) => {
    const module = { exports: {} };
    const require = (name) => {
      if (Object.hasOwn(modules, name)) return modules[name];
      throw new Error(`${src} requires ${name}, which this page does not provide`);
    };
    const lent = { module, exports: module.exports, require };
    Object.assign(window, lent);
    const script = document.createElement('script');
    const done = (error) => {
      for (const name of Object.keys(lent)) delete window[name];
      script.remove();
      if (error) reject(error);
      else resolve(module.exports);
    };
    script.onload = () => done();
    script.onerror = () => done(new Error(`could not load ${src}`));
    script.src = src;
    document.head.append(script);
  }));
  queue = load.catch(() => {});
  return load;
}
