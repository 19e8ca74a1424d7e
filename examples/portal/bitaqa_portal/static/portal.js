// The page side of the example portal: one function per button, each a few awaits long.
// Every failure goes through showError(), which turns the client's error.code into a sentence.
import { BitaqaClient, candidateEndpoints } from '/client/index.js';

const lang = document.body.dataset.lang;
const messages = JSON.parse(document.getElementById('messages').textContent);
// An agent on non-standard ports (the portal's "agentPorts" setting); normally the spec's ports.
const [securePort, plainPort] = document.body.dataset.agentPorts.split(',').filter(Boolean).map(Number);
const endpoints = securePort ? candidateEndpoints({ securePorts: [securePort], plainPorts: [plainPort] }) : undefined;
const bitaqa = new BitaqaClient({ lang, endpoints });

async function post(path, body = {}) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ error: 'default' }));
  if (!response.ok) throw Object.assign(new Error(answer.error), { code: answer.error });
  return answer;
}

async function logIn() {
  const { challengeId, challengeNonce, signedRequest } = await post('/api/login/challenge');
  const token = await bitaqa.authenticate(challengeNonce, { signedRequest });
  await post('/api/login', { challengeId, token: JSON.stringify(token) });
  location.reload();
}

async function logOut() {
  await post('/api/logout');
  location.reload();
}

async function signPdf() {
  const file = document.getElementById('pdf-file').files[0];
  const pdf = file ? await base64(file) : undefined;
  const { certificate } = await bitaqa.getSigningCertificate();
  const { signingId, signedRequest } = await post('/api/sign/prepare', { certificate, pdf, documentName: file?.name });
  const { signature, signatureAlgorithm } = await bitaqa.sign(signedRequest);
  const { downloadUrl } = await post('/api/sign/finish', { signingId, signature, signatureAlgorithm });
  const link = document.getElementById('signed-link');
  link.href = downloadUrl;
  link.hidden = false;
}

// Fills the form with what the card returned; fields it left out stay empty (SPEC.md §6.7).
async function readIdentity() {
  const { signedRequest } = await post('/api/identity/request');
  const { fields = {}, issuerSignature } = await bitaqa.readIdentity(signedRequest);
  const form = document.getElementById('identity-form');
  form.reset();
  for (const [name, value] of Object.entries(fields)) {
    if (form.elements[name] && typeof value === 'string') form.elements[name].value = value;
  }
  showPhoto(fields.photo);
  showIssuerSignature(issuerSignature);
}

function showPhoto(photo) {
  const image = document.getElementById('identity-photo');
  const usable = ['image/jpeg', 'image/jp2'].includes(photo?.mediaType) && typeof photo.data === 'string';
  if (usable) image.src = `data:${photo.mediaType};base64,${photo.data}`;
  else image.removeAttribute('src');
  image.hidden = !usable;
}

// One line: the agent's verdict on the issuer's signature, and the signer when it is known.
function showIssuerSignature(signature) {
  const line = document.getElementById('issuer-signature');
  const verdict = !signature?.checked ? 'unchecked' : signature.valid === true ? 'valid' : 'invalid';
  line.dataset.verdict = verdict;
  line.textContent = templateText(`signature-${verdict}`);
  if (typeof signature?.signer === 'string' && signature.signer) {
    const signer = document.createElement('bdi');
    signer.dir = 'ltr';
    signer.textContent = signature.signer;
    line.append(` — ${templateText('signature-signer')} `, signer);
  }
  line.hidden = false;
}

async function base64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

// A text the page holds in a <template> (its words live in the template's content).
function templateText(id) {
  return document.getElementById(id).content.textContent;
}

function showError(error) {
  const code = error?.code in messages ? error.code : 'default';
  const text = messages[code].replace('{triesLeft}', String(error?.data?.triesLeft ?? '?'));
  document.getElementById('error-text').textContent = text;
  document.getElementById('error').dataset.code = error?.code ?? 'default';
  document.getElementById('error').hidden = false;
  document.getElementById('download-agent').hidden = code !== 'AGENT_UNAVAILABLE';
}

// Runs one action with the other buttons disabled, a "follow the helper" note with a Cancel
// button (which closes the agent's dialogs), and error reporting.
function action(id, run) {
  document.getElementById(id)?.addEventListener('click', async () => {
    const status = document.getElementById('status');
    const buttons = document.querySelectorAll('button:not(#cancel)');
    buttons.forEach((button) => { button.disabled = true; });
    document.getElementById('error').hidden = true;
    document.getElementById('status-text').textContent = templateText('working-text');
    status.hidden = false;
    try {
      await run();
      document.body.dataset.done = id;
    } catch (error) {
      showError(error);
    } finally {
      status.hidden = true;
      buttons.forEach((button) => { button.disabled = false; });
    }
  });
}

document.getElementById('cancel').addEventListener('click', () => bitaqa.cancel());
action('login', logIn);
action('logout', logOut);
action('sign', signPdf);
action('read-identity', readIdentity);
document.body.dataset.ready = 'true';
