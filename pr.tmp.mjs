import { SignJWT } from 'jose';
import { createHash } from 'node:crypto';
const secret = new TextEncoder().encode(process.argv[2]);
const uuid = (s) => { const h = createHash('sha1').update(s).digest('hex'); return `${h.slice(0,8)}-${h.slice(8,12)}-5${h.slice(13,16)}-a${h.slice(17,20)}-${h.slice(20,32)}`; };
const N = Number(process.argv[3] || 1000), C = 50;
const tokens = await Promise.all(Array.from({ length: N }, (_, i) => new SignJWT({ email: `u${i}-${Date.now()}@ex.com`, role: 'authenticated' }).setProtectedHeader({ alg: 'HS256' }).setSubject(uuid(`u${i}-${Date.now()}`)).setIssuedAt().setExpirationTime('1h').sign(secret)));
let next = 0, ok = 0, bad = 0; const t0 = performance.now();
await Promise.all(Array.from({ length: C }, async () => { while (next < N) { const i = next++; const r = await fetch('http://127.0.0.1:3999/api/paliadin/turn', { method: 'POST', headers: { Authorization: `Bearer ${tokens[i]}`, 'Content-Type': 'application/json' }, body: '{"user_message":"hi"}' }); await r.text(); r.ok ? ok++ : bad++; } }));
const s = (performance.now() - t0) / 1000; console.log(`${N} POSTs in ${s.toFixed(2)} s: ${(N / s).toFixed(0)}/s ok=${ok} bad=${bad}`);
