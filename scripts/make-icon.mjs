// Renders media/icon.svg (the activity/tab icon) into media/icon.png, the 256×256 extension icon
// the marketplace and the Extensions view show (they need a PNG). Run after changing the SVG:
//   node scripts/make-icon.mjs
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const svg = readFileSync('media/icon.svg', 'utf8').replace('<svg ', '<svg width="200" height="200" ');
const html = `<body style="margin:0"><div style="width:256px;height:256px;border-radius:40px;background:#1e1e2e;display:flex;align-items:center;justify-content:center">${svg}</div></body>`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 256, height: 256 } });
await page.setContent(html);
await page.screenshot({ path: 'media/icon.png', omitBackground: true, clip: { x: 0, y: 0, width: 256, height: 256 } });
await browser.close();
console.log('wrote media/icon.png');
