// User authentication in OpenSSH's order: keys held by ssh-agent first, then the
// identity files. Identity files are read and decrypted BEFORE connecting, so a
// passphrase prompt never races the connect timeout, and a missing passphrase is a
// clear error instead of an authentication failure after the fact.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { AuthHandlerMiddleware, AnyAuthMethod, ParsedKey } from 'ssh2';
import { DrbookError } from '../../core/errors.js';
import { promptPassphraseOnTty, type PassphrasePrompt } from './passphrase-prompt.js';
import type { SshTarget } from './resolve-target.js';

export interface AuthDeps {
  env?: NodeJS.ProcessEnv;
  /** Asks the operator for a passphrase; default: the terminal, when there is one. */
  prompt?: PassphrasePrompt | null;
}

export interface PreparedAuth {
  authHandler: AuthHandlerMiddleware;
  /** What will be tried and what was skipped, for the message when every method fails. */
  summary: string;
}

// Passphrases that worked, per key file: several hosts sharing a key ask once.
const passphraseCache = new Map<string, string>();

export async function prepareAuthentication(target: SshTarget, deps: AuthDeps = {}): Promise<PreparedAuth> {
  const env = deps.env ?? process.env;
  const prompt = deps.prompt === undefined ? promptPassphraseOnTty : deps.prompt;
  const tried: string[] = [];
  const skipped: string[] = [];
  const methods: AnyAuthMethod[] = [];

  const agentSocket = env.SSH_AUTH_SOCK;
  const agentKeys = agentSocket && existsSync(agentSocket) ? await listAgentKeys(agentSocket) : undefined;
  if (agentSocket && agentKeys) {
    methods.push({ type: 'agent', username: target.user, agent: agentSocket });
    tried.push(`ssh-agent (${agentKeys.length} key${agentKeys.length === 1 ? '' : 's'})`);
  } else {
    skipped.push(agentSocket ? `ssh-agent at ${agentSocket} is not answering` : 'no ssh-agent (SSH_AUTH_SOCK is not set)');
  }

  for (const file of target.identityFiles) {
    const data = await readFile(file).catch((error: NodeJS.ErrnoException) => error);
    if (data instanceof Error) {
      // A missing default key (~/.ssh/id_rsa...) is normal; any other failure is worth saying as it is.
      skipped.push(data.code === 'ENOENT' ? `identity file ${file} does not exist` : `identity file ${file} cannot be read: ${data.code ?? data.message}`);
      continue;
    }
    let key = parsePrivateKey(data);
    if (key instanceof Error && isEncryptedKeyError(key)) {
      if (agentKeys && (await agentHoldsKeyOf(file, agentKeys))) {
        skipped.push(`${file} is encrypted and its key is in ssh-agent`);
        continue;
      }
      const passphrase = await obtainPassphrase(target, file, env, prompt);
      if (passphrase === undefined) {
        skipped.push(`${file} is encrypted and no passphrase is available`);
        continue;
      }
      key = parsePrivateKey(data, passphrase);
      if (key instanceof Error) {
        passphraseCache.delete(file);
        const source = target.passphraseEnv ? `the passphrase in $${target.passphraseEnv}` : 'the passphrase';
        throw new DrbookError('input', `${source} does not decrypt identity file ${file}: ${key.message}`, { host: target.name });
      }
      passphraseCache.set(file, passphrase);
    }
    if (key instanceof Error) {
      skipped.push(`${file} is not a usable private key (${key.message})`);
      continue;
    }
    methods.push({ type: 'publickey', username: target.user, key });
    tried.push(`identity file ${file}`);
  }

  const summary = `tried ${tried.join(', ') || 'nothing'}${skipped.length ? `; ${skipped.join('; ')}` : ''}`;
  if (methods.length === 0) {
    throw new DrbookError('input', `no way to authenticate to ${target.user}@${target.address}:${target.port}: ${summary}`, {
      host: target.name,
      hint: 'set identityFile (and passphraseEnv for an encrypted key) for this host in the inventory, or load the key into ssh-agent',
    });
  }
  const queue = [...methods];
  return {
    summary,
    authHandler: (methodsLeft, _partial, next) => {
      // Every method here is a public key (the agent's or a file's); the server lists what
      // it still accepts (null on the first round). false tells ssh2 to give up.
      const accepted = !methodsLeft || methodsLeft.includes('publickey');
      next((accepted && queue.shift()) || (false as unknown as AnyAuthMethod));
    },
  };
}

async function obtainPassphrase(target: SshTarget, file: string, env: NodeJS.ProcessEnv, prompt: PassphrasePrompt | null): Promise<string | undefined> {
  if (target.passphraseEnv) {
    const value = env[target.passphraseEnv];
    if (value === undefined) {
      throw new DrbookError('input', `identity file ${file} is encrypted and $${target.passphraseEnv} (passphraseEnv) is not set`, {
        host: target.name,
        hint: `export ${target.passphraseEnv}=... before running drbook`,
      });
    }
    return value;
  }
  const cached = passphraseCache.get(file);
  if (cached !== undefined) return cached;
  // The built-in prompt needs a terminal; an injected one (the CLI's renderer) decides for itself.
  const canPrompt = prompt !== null && (prompt !== promptPassphraseOnTty || Boolean(process.stdin.isTTY));
  if (canPrompt) return prompt(`Enter passphrase for key '${file}' (host ${target.name}): `);
  if (!target.identityFilesExplicit) return undefined; // a default key we merely found: skip it, as OpenSSH's BatchMode would
  throw new DrbookError('input', `identity file ${file} is encrypted, and there is no terminal to ask for its passphrase`, {
    host: target.name,
    hint: 'name an environment variable holding it with passphraseEnv in the inventory, or add the key to ssh-agent',
  });
}

function parsePrivateKey(data: Buffer, passphrase?: string): ParsedKey | Error {
  const parsed = ssh2.utils.parseKey(data, passphrase);
  if (parsed instanceof Error) return parsed;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key) return new Error('no key in file');
  return key.isPrivateKey() ? key : new Error('it holds a public key');
}

function isEncryptedKeyError(error: Error): boolean {
  return /encrypted .*no passphrase given/i.test(error.message);
}

async function listAgentKeys(socket: string): Promise<ParsedKey[] | undefined> {
  const agent = ssh2.createAgent(socket);
  return new Promise((resolve) => {
    // OpenSSH's agent answers with parsed keys (the typings allow more shapes).
    agent.getIdentities((error, keys) => resolve(error ? undefined : ((keys ?? []) as unknown as ParsedKey[])));
  });
}

/** Is the public half of `file` (from `file.pub`) among the agent's keys? */
async function agentHoldsKeyOf(file: string, agentKeys: ParsedKey[]): Promise<boolean> {
  // No readable .pub beside the key: we cannot tell whether the agent holds it, so the passphrase is asked for.
  const pub = await readFile(`${file}.pub`).catch(() => undefined);
  if (!pub) return false;
  const parsed = ssh2.utils.parseKey(pub);
  if (parsed instanceof Error) return false;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return agentKeys.some((k) => key !== undefined && typeof k.equals === 'function' && k.equals(key));
}
