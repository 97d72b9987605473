import type { Command, Option } from 'commander';
import { STRATEGY_NAMES } from '../../../core/src/assign/strategy.js';
import type { Io } from '../../../core/src/cli-output.js';
import { PrismError } from '../../../core/src/errors.js';
import { OPERATOR_ROLES } from '../../../core/src/operator-roles.js';

/** Option values prismctl knows the choices of; other values complete as file names. */
const VALUE_CHOICES: Record<string, string[]> = {
  '--target': ['haproxy', 'nginx', 'envoy'],
  '--strategy': [...STRATEGY_NAMES],
  '--role': [...OPERATOR_ROLES],
};

interface Node {
  path: string;
  words: string[];
  valueOptions: string[];
}

const optionWords = (o: Option) => [o.long, o.short].filter((w): w is string => Boolean(w));

/** Every command path ("", "lb", "lb watch", …) with the words that may follow it. */
function walk(cmd: Command, path: string[], out: Node[]): void {
  const subs = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const options = cmd.options.filter((o) => !o.hidden);
  out.push({
    path: path.join(' '),
    words: [...subs.flatMap((c) => [c.name(), ...c.aliases()]), ...options.flatMap(optionWords), '--help'],
    valueOptions: options.filter((o) => o.required || o.optional).flatMap(optionWords),
  });
  for (const c of subs) for (const name of [c.name(), ...c.aliases()]) walk(c, [...path, name], out);
}

const quote = (words: string[]) => `'${words.join(' ')}'`;

/**
 * A bash completion script for the command tree as it is (so every command and flag completes,
 * including ones added later): the command path is the words before the cursor that name commands
 * (not options, option values or arguments); options that take a value complete their choices or
 * file names.
 */
export function bashCompletion(program: Command): string {
  const nodes: Node[] = [];
  walk(program, [], nodes);
  const cases = nodes.map(
    (n) => `    ${JSON.stringify(n.path)}) words=${quote(n.words)}; takes=${quote(n.valueOptions)} ;;`,
  );
  const choices = Object.entries(VALUE_CHOICES).map(
    ([opt, vals]) => `    ${opt}) COMPREPLY=($(compgen -W ${quote(vals)} -- "$cur")); return ;;`,
  );
  return `# prismctl completion for bash (zsh: autoload -U +X bashcompinit && bashcompinit first).
# Load it with: source <(prismctl completion bash)   or save it into your bash-completion directory.
_prismctl() {
  local cur prev path="" next words takes i w skip=0
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    if [[ $w == -* ]]; then
      _prismctl_node "$path"
      [[ $w != *=* && " $takes " == *" $w "* ]] && skip=1
      continue
    fi
    # A word extends the command path only when that path exists; otherwise it is an argument.
    if [[ -z $path ]]; then next="$w"; else next="$path $w"; fi
    [[ "|$_prismctl_paths|" == *"|$next|"* ]] && path="$next"
  done
  _prismctl_node "$path"
  if [[ $prev == -* && " $takes " == *" $prev "* ]]; then
    case "$prev" in
${choices.join('\n')}
    esac
    COMPREPLY=($(compgen -f -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
_prismctl_node() {
  case "$1" in
${cases.join('\n')}
    *) words=""; takes="" ;;
  esac
}
_prismctl_paths=${quote([nodes.map((n) => n.path).join('|')])}
complete -o default -F _prismctl prismctl
`;
}

export function registerCompletionCommand(program: Command, io: Io): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(prismctl completion bash)')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      if (shell === 'bash') return io.out(bashCompletion(program));
      if (shell === 'zsh') return io.out(`autoload -U +X bashcompinit && bashcompinit\n${bashCompletion(program)}`);
      throw new PrismError('PRISM-CLI-002', `no completion for shell "${shell}": use bash or zsh`);
    });
}
