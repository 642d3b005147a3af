// Imports a module (default: the package entry 'liberty-crypto', resolved by Node as any consumer would)
// and reports every module Node loaded for it, as JSON on stdout: ES modules through a load hook, CommonJS
// through the require cache. With a settings directory, it also loads it through the library first, so
// the modules a real use pulls in lazily are counted too. Used by test/e2e/library-api.test.ts.
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const [specifier = 'liberty-crypto', settingsDir] = process.argv.slice(2);
const { port1, port2 } = new MessageChannel();
const loaded = [];
port1.on('message', (url) => loaded.push(url));
const hooks = `let port; export function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url, { data: { port: port2 }, transferList: [port2] });

const api = await import(specifier);
let sections;
if (settingsDir) sections = Object.keys(await api.loadSettingsDirectory(settingsDir, { env: process.env }));
// messages arrive in order: once this marker module is reported, every earlier load has been too
const marker = `data:text/javascript,export default ${Date.now()}`;
await import(marker);
while (!loaded.includes(marker)) await new Promise((resolve) => setTimeout(resolve, 5));
port1.close();
const required = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({ exports: Object.keys(api).sort(), sections, loaded: loaded.filter((url) => url !== marker), required }));
