import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from '../../test-support/run.js';

const dir = mkdtempSync(join(tmpdir(), 'prismctl-completion-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What bash offers after `words` (the last one is the word being completed), with the script loaded. */
function complete(words: string[]): string[] {
  const array = words.map((w) => `'${w}'`).join(' ');
  const out = execFileSync(
    'bash',
    [
      '-c',
      `source "${join(dir, 'prismctl.bash')}"; COMP_WORDS=(${array}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _prismctl; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8', cwd: dir },
  );
  return out.split('\n').filter(Boolean);
}

describe('prismctl completion (loaded into a real bash)', () => {
  beforeAll(async () => {
    const r = await runBin('prismctl', ['completion', 'bash'], dir);
    expect(r.code).toBe(0);
    writeFileSync(join(dir, 'prismctl.bash'), r.stdout);
  });

  it('completes commands and subcommands from the command tree', () => {
    expect(complete(['prismctl', ''])).toEqual(expect.arrayContaining(['lb', 'proxies', 'namespace', 'certs']));
    expect(complete(['prismctl', 'l'])).toEqual(['lb']);
    expect(complete(['prismctl', 'lb', ''])).toEqual(expect.arrayContaining(['generate', 'watch']));
  });

  it("completes a command's flags after its arguments, and the choices of flags that take one", () => {
    expect(complete(['prismctl', 'ns', 'get', 'orders-prod', '--j'])).toEqual(['--json']);
    expect(complete(['prismctl', 'lb', 'generate', '--target', ''])).toEqual(['haproxy', 'nginx', 'envoy']);
    expect(complete(['prismctl', 'auth', 'token', 'create', '--role', 'v'])).toEqual(['viewer']);
    // A flag's value is not taken for a command: the flags of `lb generate` still complete after it.
    expect(complete(['prismctl', 'lb', 'generate', '--out', 'x', '--ch'])).toEqual(['--check', '--check-with']);
  });

  it('refuses a shell it has no script for, with a code', async () => {
    const r = await runBin('prismctl', ['completion', 'fish'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PRISM-CLI-002');
  });
});
