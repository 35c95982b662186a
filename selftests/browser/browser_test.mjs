// SPDX-License-Identifier: GPL-2.0
/*
 * A real browser against khttpd: Debian's Chromium, headless, driven
 * through the DevTools protocol over --remote-debugging-pipe (JSON
 * messages ended by a NUL byte on file descriptors 3 and 4), so that
 * nothing but Node.js and Chromium is needed.
 *
 *   node browser_test.mjs --http URL --https URL --cert PEM --site DIR
 *                         --out DIR [--chromium PATH]
 *
 * URL is where make serve's guest answers, PEM its certificate (the only
 * one accepted for HTTPS), DIR the site it serves (the demo site:
 * index.html, style.css, picture.png, clip.webm), --out where the
 * screenshots and Chromium's profile go.  Prints a TAP result line per
 * check ("ok - ..." or "not ok - ...", numbered by run.sh) and "#" lines
 * that say what was seen.  Exits 0 when every check passed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { createHash, X509Certificate } from 'node:crypto';

const args = {};
for (let i = 2; i < process.argv.length; i += 2)
	args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const chromium = args.chromium || '/usr/bin/chromium';
const out = args.out;
const site = args.site;

/* What the demo site paints: style.css's banner, demo-media.c's picture */
const BANNER = [0x1a, 0x6e, 0x5a];
const QUADRANTS = [[0xe0, 0x20, 0x20], [0x20, 0xc0, 0x20],
		   [0x20, 0x40, 0xe0], [0xf0, 0xd0, 0x10]];
const WHITE = [0xff, 0xff, 0xff];
/*
 * The video's first frame (demo-media.c's colour bars, 40 pixels each),
 * as the decoder paints it: two bars by their dominant channels, since
 * its colour conversion and the noise shift the exact values.
 */
const BARS = [['yellow', 60, (c) => c[0] > 140 && c[1] > 140 && c[2] < 80],
	      ['blue', 260, (c) => c[2] > 140 && c[0] < 80 && c[1] < 80]];
const VIEW = { width: 1000, height: 800 };
/* a bound on each wait, never a pass/fail criterion */
const WAIT_MS = 120000;

let failed = 0;
function ok(cond, name, diag) {
	console.log(`${cond ? 'ok' : 'not ok'} - ${name}`);
	if (!cond) {
		failed++;
		if (diag)
			for (const l of String(diag).split('\n'))
				console.log(`#   ${l}`);
	}
	return cond;
}
function note(s) { console.log(`# ${s}`); }

/* ---- the DevTools protocol over a pipe -------------------------------- */

class Cdp {
	constructor(proc) {
		this.w = proc.stdio[3];
		this.id = 0;
		this.pending = new Map();
		this.handlers = new Set();
		this.buf = Buffer.alloc(0);
		proc.stdio[4].on('data', (d) => this.data(d));
	}

	data(d) {
		this.buf = Buffer.concat([this.buf, d]);
		let z;
		while ((z = this.buf.indexOf(0)) >= 0) {
			const msg = JSON.parse(this.buf.subarray(0, z).toString());
			this.buf = this.buf.subarray(z + 1);
			if (msg.id !== undefined) {
				const p = this.pending.get(msg.id);
				this.pending.delete(msg.id);
				if (!p)
					continue;
				clearTimeout(p.timer);
				if (msg.error)
					p.reject(new Error(`${p.method}: ${msg.error.message}`));
				else
					p.resolve(msg.result);
			} else {
				for (const h of this.handlers)
					h(msg);
			}
		}
	}

	send(method, params = {}, sessionId = undefined) {
		const id = ++this.id;
		const msg = { id, method, params };
		if (sessionId)
			msg.sessionId = sessionId;
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.pending.delete(id);
				reject(new Error(`${method}: no answer in ${WAIT_MS} ms`));
			}, WAIT_MS);
			this.pending.set(id, { resolve, reject, timer, method });
			this.w.write(JSON.stringify(msg) + '\0');
		});
	}

	/* the next event METHOD (of SESSION) for which PRED holds */
	event(method, sessionId, pred = () => true) {
		return new Promise((resolve, reject) => {
			const h = (msg) => {
				if (msg.method !== method || msg.sessionId !== sessionId ||
				    !pred(msg.params))
					return;
				this.handlers.delete(h);
				clearTimeout(timer);
				resolve(msg.params);
			};
			const timer = setTimeout(() => {
				this.handlers.delete(h);
				reject(new Error(`no ${method} in ${WAIT_MS} ms`));
			}, WAIT_MS);
			this.handlers.add(h);
		});
	}
}

/* ---- PNG, as Chromium's screenshots are: 8-bit RGB(A), no interlace ---- */

function decodePng(buf) {
	if (buf.readUInt32BE(0) !== 0x89504e47)
		throw new Error('not a PNG');
	let off = 8, w, h, bpp, idat = [];
	while (off < buf.length) {
		const len = buf.readUInt32BE(off);
		const type = buf.toString('latin1', off + 4, off + 8);
		const data = buf.subarray(off + 8, off + 8 + len);
		if (type === 'IHDR') {
			w = data.readUInt32BE(0);
			h = data.readUInt32BE(4);
			if (data[8] !== 8 || data[12] !== 0 || ![2, 6].includes(data[9]))
				throw new Error(`PNG of depth ${data[8]}, type ${data[9]}`);
			bpp = data[9] === 6 ? 4 : 3;
		} else if (type === 'IDAT') {
			idat.push(data);
		}
		off += 12 + len;
	}
	const raw = inflateSync(Buffer.concat(idat));
	const stride = w * bpp, px = Buffer.alloc(stride * h);
	for (let y = 0; y < h; y++) {
		const f = raw[y * (stride + 1)], src = y * (stride + 1) + 1;
		for (let x = 0; x < stride; x++) {
			const a = x >= bpp ? px[y * stride + x - bpp] : 0;
			const b = y ? px[(y - 1) * stride + x] : 0;
			const c = x >= bpp && y ? px[(y - 1) * stride + x - bpp] : 0;
			let v = raw[src + x];
			if (f === 1) v += a;
			else if (f === 2) v += b;
			else if (f === 3) v += (a + b) >> 1;
			else if (f === 4) {
				const p = a + b - c, pa = Math.abs(p - a);
				const pb = Math.abs(p - b), pc = Math.abs(p - c);
				v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
			}
			px[y * stride + x] = v & 0xff;
		}
	}
	return { w, h, at: (x, y) => {
		const i = Math.round(y) * stride + Math.round(x) * bpp;
		return [px[i], px[i + 1], px[i + 2]];
	} };
}

/* the mean colour of the 9x9 pixels around (x, y) */
function patch(img, x, y) {
	const sum = [0, 0, 0];
	for (let dy = -4; dy <= 4; dy++)
		for (let dx = -4; dx <= 4; dx++)
			img.at(x + dx, y + dy).forEach((v, i) => { sum[i] += v; });
	return sum.map((v) => Math.round(v / 81));
}

function near(got, want, tol = 12) {
	return got.every((v, i) => Math.abs(v - want[i]) <= tol);
}
const hex = (c) => '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');

/* ---- the browser --------------------------------------------------------- */

/* the test certificate's key, the only one Chromium is told to accept */
function spkiHash(certPem) {
	const key = new X509Certificate(readFileSync(certPem)).publicKey;
	return createHash('sha256').update(key.export({ type: 'spki', format: 'der' }))
		.digest('base64');
}

/* the requests that went out on the wire, in all, for run.sh */
const wire = new Set();

/* Every request of a page load, by request id: what went out, what came back. */
function recorder(cdp, sessionId) {
	const reqs = new Map();
	const get = (id) => {
		if (!reqs.has(id))
			reqs.set(id, { id, headers: {} });
		return reqs.get(id);
	};
	const lower = (h) => Object.fromEntries(Object.entries(h || {})
		.map(([k, v]) => [k.toLowerCase(), v]));
	cdp.handlers.add((msg) => {
		if (msg.sessionId !== sessionId)
			return;
		const p = msg.params;
		switch (msg.method) {
		case 'Network.requestWillBeSent': {
			const r = get(p.requestId);
			r.url = p.request.url;
			r.type = p.type;
			Object.assign(r.headers, lower(p.request.headers));
			break;
		}
		case 'Network.requestWillBeSentExtraInfo':
			/* what the network stack really sent, conditionals too */
			Object.assign(get(p.requestId).headers, lower(p.headers));
			get(p.requestId).sent = true;
			break;
		case 'Network.responseReceived': {
			const r = get(p.requestId);
			r.status = r.status || p.response.status;
			r.resHeaders = { ...lower(p.response.headers), ...r.resHeaders };
			r.fromCache = p.response.fromDiskCache || p.response.fromServiceWorker;
			r.protocol = p.response.securityDetails &&
				p.response.securityDetails.protocol;
			break;
		}
		case 'Network.responseReceivedExtraInfo': {
			/* the status on the wire: a 304, where the page sees 200 */
			const r = get(p.requestId);
			r.wireStatus = p.statusCode;
			wire.add(`${sessionId} ${p.requestId}`);
			r.resHeaders = { ...r.resHeaders, ...lower(p.headers) };
			break;
		}
		case 'Network.requestServedFromCache':
			get(p.requestId).fromCache = true;
			break;
		case 'Network.loadingFinished':
			get(p.requestId).finished = true;
			break;
		case 'Network.loadingFailed':
			get(p.requestId).error = p.errorText;
			break;
		}
	});
	return {
		all: () => [...reqs.values()].filter((r) => r.url && r.url.startsWith('http')),
		of: (path) => [...reqs.values()].filter((r) => r.url && r.url.startsWith('http') &&
			new URL(r.url).pathname === path),
		clear: () => reqs.clear(),
	};
}

function describe(r) {
	const h = r.headers;
	const from = r.sent ? '' : r.fromCache ? ' (disk cache)' :
		r.status ? ' (memory cache)' : '';
	return `${r.type} ${new URL(r.url).pathname}: ` +
		`${r.wireStatus || r.status || '-'}${from}` +
		`${r.error ? ' ' + r.error : ''}` +
		`${h.range ? ' Range: ' + h.range : ''}` +
		`${h['if-none-match'] ? ' If-None-Match: ' + h['if-none-match'] : ''}` +
		`${h['if-modified-since'] ? ' If-Modified-Since: ' + h['if-modified-since'] : ''}` +
		`${r.resHeaders && r.resHeaders['content-range'] ?
			' Content-Range: ' + r.resHeaders['content-range'] : ''}`;
}

/* In the page: wait for the picture and the video's first frame, then
 * say what the page has. */
const PAGE_STATE = `(async () => {
	const v = document.querySelector('video');
	const img = document.querySelector('#picture img');
	const b = document.getElementById('banner');
	if (v && v.readyState < 2 && !v.error)
		await new Promise((res) => {
			v.addEventListener('loadeddata', res, { once: true });
			v.addEventListener('error', res, { once: true });
			setTimeout(res, ${WAIT_MS / 2});
		});
	if (img)
		await img.decode().catch(() => {});
	const rect = (e) => { const r = e.getBoundingClientRect();
		return { x: r.x, y: r.y, w: r.width, h: r.height }; };
	return {
		bg: b && getComputedStyle(b).backgroundColor,
		banner: b && rect(b),
		img: img && rect(img),
		video: v && rect(v),
		imgW: img ? img.naturalWidth : 0,
		imgH: img ? img.naturalHeight : 0,
		ready: v ? v.readyState : -1,
		duration: v ? v.duration : 0,
		vw: v ? v.videoWidth : 0,
		verr: v && v.error ? v.error.code + ' ' + v.error.message : null,
	};
})()`;

async function pageState(cdp, s) {
	const r = await cdp.send('Runtime.evaluate', {
		expression: PAGE_STATE, awaitPromise: true, returnByValue: true,
	}, s);
	if (r.exceptionDetails)
		throw new Error(`page: ${r.exceptionDetails.text}`);
	return r.result.value;
}

async function load(cdp, s, how) {
	const loaded = cdp.event('Page.loadEventFired', s);
	await how();
	await loaded;
	return pageState(cdp, s);
}

/* Until every request for PATH has ended (the video's body is whole in
 * the cache before the reload), within WAIT_MS */
async function settled(rec, path) {
	for (let t = 0; t < WAIT_MS; t += 100) {
		const rs = rec.of(path);
		if (rs.length && rs.every((r) => r.finished || r.error))
			return;
		await new Promise((res) => setTimeout(res, 100));
	}
	note(`${path}: still loading after ${WAIT_MS} ms`);
}

/* the requests of one load, as "#" lines */
function listRequests(rec) {
	for (const r of rec.all())
		note(`  ${describe(r)}`);
}

function size(name) { return statSync(join(site, name)).size; }

/* The page, its stylesheet, picture and video: all loaded (PREFIX names
 * the scheme in the check names) */
function checkLoaded(rec, st, prefix) {
	const one = (path, type) => {
		const rs = rec.of(path);
		ok(rs.length && rs.every((r) => !r.error && [200, 206].includes(r.status)),
		   `${prefix}: ${path} loads (${type})`,
		   rs.map(describe).join('\n') || 'never requested');
	};
	one('/', 'the document');
	one('/style.css', 'the stylesheet');
	one('/picture.png', 'the image');
	one('/clip.webm', 'the video');
	ok(st.bg === `rgb(${BANNER.join(', ')})`,
	   `${prefix}: the stylesheet applies (the banner's computed background)`,
	   `background-color ${st.bg}, want rgb(${BANNER.join(', ')})`);
	ok(st.imgW === 64 && st.imgH === 64,
	   `${prefix}: the picture decodes (naturalWidth x naturalHeight 64x64)`,
	   `${st.imgW}x${st.imgH}`);
	ok(st.ready >= 1 && st.duration > 3.5 && st.duration < 4.5 && st.vw === 320,
	   `${prefix}: the video's metadata loads (readyState >= HAVE_METADATA, 4 s, 320 wide)`,
	   `readyState ${st.ready}, duration ${st.duration}, videoWidth ${st.vw}, error ${st.verr}`);
	const total = size('clip.webm');
	const ranged = rec.of('/clip.webm').filter((r) => r.headers.range &&
		r.status === 206 && /^bytes \d+-\d+\/(\d+)$/.test(r.resHeaders['content-range'] || '') &&
		Number(r.resHeaders['content-range'].split('/')[1]) === total);
	ok(ranged.length > 0,
	   `${prefix}: the video comes through Range requests (206 with Content-Range of all ${total} bytes)`,
	   rec.of('/clip.webm').map(describe).join('\n') || 'never requested');
}

/* What the browser got for the document, the stylesheet and the picture
 * is the site's files, byte for byte */
async function checkBodies(cdp, s, rec, prefix) {
	const bad = [];
	for (const [path, file] of [['/', 'index.html'], ['/style.css', 'style.css'],
				    ['/picture.png', 'picture.png']]) {
		const r = rec.of(path).find((x) => x.status === 200);
		if (!r) {
			bad.push(`${path}: no 200`);
			continue;
		}
		const b = await cdp.send('Network.getResponseBody', { requestId: r.id }, s);
		const got = Buffer.from(b.body, b.base64Encoded ? 'base64' : 'utf8');
		if (!got.equals(readFileSync(join(site, file))))
			bad.push(`${path}: ${got.length} bytes differ from ${file}'s ${size(file)}`);
	}
	ok(!bad.length, `${prefix}: the document, stylesheet and picture are the site's files byte for byte`,
	   bad.join('\n'));
}

async function screenshot(cdp, s, st, file, prefix) {
	const shot = await cdp.send('Page.captureScreenshot', { format: 'png' }, s);
	const png = Buffer.from(shot.data, 'base64');
	writeFileSync(file, png);
	const img = decodePng(png);
	const b = st.banner || {}, p = st.img || {};
	const probes = [
		['the banner', b.x + 6, b.y + 6, BANNER],
		['the picture\'s top-left quadrant', p.x + p.w / 4, p.y + p.h / 4, QUADRANTS[0]],
		['the picture\'s top-right quadrant', p.x + 3 * p.w / 4, p.y + p.h / 4, QUADRANTS[1]],
		['the picture\'s bottom-left quadrant', p.x + p.w / 4, p.y + 3 * p.h / 4, QUADRANTS[2]],
		['the picture\'s bottom-right quadrant', p.x + 3 * p.w / 4, p.y + 3 * p.h / 4, QUADRANTS[3]],
		['the page below', img.w - 4, img.h - 4, WHITE],
	];
	const bad = probes.filter(([, x, y, want]) => !near(img.at(x, y), want))
		.map(([what, x, y, want]) =>
			`${what} at (${Math.round(x)}, ${Math.round(y)}): ${hex(img.at(x, y))}, want ${hex(want)}`);
	ok(img.w === VIEW.width && img.h === VIEW.height && !bad.length,
	   `${prefix}: the screenshot shows the banner's colour and the picture's four quadrants`,
	   `${img.w}x${img.h} ${file}\n${bad.join('\n')}`);
	const vbad = !st.video ? ['no video element'] : BARS.map(([what, dx, good]) => {
		const x = st.video.x + dx, y = st.video.y + 30, c = patch(img, x, y);
		return good(c) ? null : `the ${what} bar at (${Math.round(x)}, ${Math.round(y)}): ${hex(c)}`;
	}).filter((m) => m);
	ok(!vbad.length,
	   `${prefix}: the screenshot shows the video's first frame (its yellow and blue bars)`,
	   `readyState ${st.ready}\n${vbad.join('\n')}`);
}

/* A tab of its own (its own renderer, whose memory cache starts empty), in
 * front (a tab in the background defers its rendering), the size of VIEW */
async function openTab(cdp) {
	const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
	const { sessionId } = await cdp.send('Target.attachToTarget',
		{ targetId, flatten: true });
	await cdp.send('Target.activateTarget', { targetId });
	await cdp.send('Page.enable', {}, sessionId);
	await cdp.send('Network.enable', {}, sessionId);
	await cdp.send('Emulation.setDeviceMetricsOverride',
		{ ...VIEW, deviceScaleFactor: 1, mobile: false }, sessionId);
	return { targetId, s: sessionId, rec: recorder(cdp, sessionId) };
}

/* PATHs were asked for with a validator and answered 304 */
function checkRevalidated(rec, paths, prefix) {
	for (const path of paths) {
		const rs = rec.of(path);
		const cond = rs.filter((r) => r.headers['if-none-match'] ||
			r.headers['if-modified-since']);
		ok(cond.length && cond.every((r) => r.wireStatus === 304),
		   `${prefix}: ${path} is revalidated (If-None-Match, If-Modified-Since) and answered 304`,
		   rs.map(describe).join('\n') || 'not requested');
	}
}

async function main() {
	mkdirSync(out, { recursive: true });
	const profile = join(out, 'profile');
	rmSync(profile, { recursive: true, force: true });
	const flags = [
		'--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe',
		`--user-data-dir=${profile}`, '--no-first-run', '--no-default-browser-check',
		'--disable-dev-shm-usage', '--hide-scrollbars', '--mute-audio',
		/* nothing but the server under test: no lookups, no background
		 * traffic (this machine's only network is loopback) */
		'--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
		'--disable-background-networking', '--disable-component-update',
		'--disable-sync', '--disable-domain-reliability', '--no-pings',
		'--disable-breakpad', '--disable-features=Translate,MediaRouter,OptimizationHints',
		`--window-size=${VIEW.width},${VIEW.height}`,
	];
	if (args.cert)
		flags.push(`--ignore-certificate-errors-spki-list=${spkiHash(args.cert)}`);
	flags.push('about:blank');
	const proc = spawn(chromium, flags, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
	/* its last words, for a failure (but D-Bus's: there is no bus here) */
	let stderr = '';
	proc.stderr.on('data', (d) => {
		stderr = (stderr + d).split('\n').filter((l) => !/dbus/.test(l))
			.slice(-30).join('\n');
	});
	const exited = new Promise((res) => proc.on('exit', res));
	const cdp = new Cdp(proc);

	try {
		const v = await cdp.send('Browser.getVersion');
		note(`${v.product}, protocol ${v.protocolVersion}`);
		let tab = await openTab(cdp);
		let { s, rec } = tab;

		/* 1. the page over HTTP, from an empty cache */
		let st = await load(cdp, s, () => cdp.send('Page.navigate', { url: args.http }, s));
		await settled(rec, '/clip.webm');
		note(`HTTP, first load: ${rec.all().length} requests`);
		listRequests(rec);
		checkLoaded(rec, st, 'http');
		await checkBodies(cdp, s, rec, 'http');
		await screenshot(cdp, s, st, join(out, 'screenshot.png'), 'http');

		/*
		 * 2. A reload, as Chromium does one: the document is revalidated.
		 * Its subresources come from the renderer's memory cache while
		 * they are fresh, and with Last-Modified and no Cache-Control
		 * (khttpd's docroot sends none) they are, for a tenth of their
		 * age (RFC 9111's heuristic): so they are only listed here.
		 */
		rec.clear();
		st = await load(cdp, s, () => cdp.send('Page.reload', {}, s));
		note(`HTTP, reload: ${rec.all().length} requests`);
		listRequests(rec);
		checkRevalidated(rec, ['/'], 'http reload');

		/*
		 * 3. The page again in a new tab, every request asking caches to
		 * revalidate (Cache-Control: max-age=0, as a reload sends it in
		 * browsers that revalidate everything): each of the four is asked
		 * for with its validators, each answered 304, and the page is
		 * whole from the copies the 304s confirmed.
		 */
		await cdp.send('Target.closeTarget', { targetId: tab.targetId });
		tab = await openTab(cdp);
		({ s, rec } = tab);
		await cdp.send('Network.setExtraHTTPHeaders',
			{ headers: { 'Cache-Control': 'max-age=0' } }, s);
		st = await load(cdp, s, () => cdp.send('Page.navigate', { url: args.http }, s));
		await cdp.send('Network.setExtraHTTPHeaders', { headers: {} }, s);
		note(`HTTP, revalidating revisit: ${rec.all().length} requests`);
		listRequests(rec);
		checkRevalidated(rec, ['/', '/style.css', '/picture.png', '/clip.webm'],
				 'http revisit');
		ok(st.bg === `rgb(${BANNER.join(', ')})` && st.imgW === 64 && st.ready >= 1,
		   'http revisit: the page is whole from the revalidated copies',
		   JSON.stringify(st));

		/* 4. the same page over HTTPS (another origin: fetched anew) */
		rec.clear();
		st = await load(cdp, s, () => cdp.send('Page.navigate', { url: args.https }, s));
		note(`HTTPS: ${rec.all().length} requests`);
		listRequests(rec);
		const doc = rec.of('/')[0];
		ok(doc && doc.protocol === 'TLS 1.3',
		   'https: the document comes over TLS 1.3, the test certificate accepted',
		   doc ? `protocol ${doc.protocol}, ${describe(doc)}` : 'no document request');
		checkLoaded(rec, st, 'https');
		await checkBodies(cdp, s, rec, 'https');
		await screenshot(cdp, s, st, join(out, 'screenshot-https.png'), 'https');

		note(`answers on the wire: ${wire.size}`);
		await cdp.send('Browser.close').catch(() => {});
	} catch (e) {
		ok(false, `the browser run ended early: ${e.message}`, stderr);
	}
	const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
	await exited;
	clearTimeout(t);
	rmSync(profile, { recursive: true, force: true });
	return failed ? 1 : 0;
}

process.exitCode = await main();
