// The receipt page (/receipt): reads a receipt file (picked or pasted) and checks it offline with
// receipt-check.js. Nothing is sent anywhere; the page works the same when saved and opened
// from disk.
import { FAULTS, checkReceiptFile, toHex } from './receipt-check.js';

const $ = (s) => document.querySelector(s);

function row(dl, term, value) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  dl.append(dt, dd);
}

async function readInput() {
  const f = $('#file').files[0];
  return f ? await f.text() : $('#text').value;
}

function show(r, usedFileKey) {
  const verdict = $('#verdict');
  const dl = $('#details');
  dl.replaceChildren();
  $('#result').hidden = false;
  if (!r.ok) {
    verdict.textContent = 'This receipt does not hold.';
    verdict.dataset.ok = 'false';
    row(dl, 'Why', r.fault + ': ' + FAULTS[r.fault]);
    row(dl, 'Where', r.detail);
    return;
  }
  const rc = r.receipt;
  verdict.textContent = 'This receipt holds.';
  verdict.dataset.ok = 'true';
  row(dl, 'Lock', toHex(rc.deviceId));
  row(dl, 'Lock key', toHex(rc.lockKey) + (usedFileKey ? ' (the file\'s own: compare it with your installation record)' : ''));
  row(dl, 'Door closed, bolt locked', 'log event ' + rc.seq + (rc.time ? ', ' + new Date(rc.time * 1000).toISOString() : ''));
  row(dl, 'Entry', 'log event ' + rc.entrySeq + (rc.grantId ? ', grant ' + rc.grantId : ', direct request'));
  row(dl, 'Camera', r.camera ? 'acknowledged, log event ' + rc.cameraSeq : 'no camera event named');
}

$('#form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const key = $('#key').value.trim();
  let parsed;
  try {
    parsed = JSON.parse(await readInput());
  } catch {
    show({ ok: false, fault: 'RECEIPT_MALFORMED', detail: 'not a JSON receipt file' }, false);
    return;
  }
  show(await checkReceiptFile(parsed, key || undefined), !key);
});
